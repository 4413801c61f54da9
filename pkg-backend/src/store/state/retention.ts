/**
 * Retention of results and snapshots. As Elastic's results_retention_days, the age is measured from each
 * job's own progress, not from the clock: a job over old data (a demo, a backfill) keeps its recent
 * results instead of losing everything. The latest snapshot always stays: it is where the job resumes.
 */
import { StoreError } from '../errors.ts';
import { exec, type StateContext } from './context.ts';
import { inTransaction } from './transaction.ts';
import type { RetentionResult } from './types.ts';

export async function applyRetention(ctx: StateContext, days: number): Promise<RetentionResult> {
  if (!Number.isFinite(days) || days <= 0) {
    throw new StoreError('state_invalid', `retention must be a positive number of days, not ${String(days)}`, {
      field: 'retentionDays',
      value: String(days),
    });
  }
  const t = ctx.tables;
  const cutoff = `j.processed_until - $1::float8 * interval '1 day'`;
  return inTransaction(ctx.pool, 'apply retention', async (client) => {
    const remove = async (table: string, column: string, extra = ''): Promise<number> => {
      const res = await exec(
        ctx,
        client,
        'apply retention',
        `DELETE FROM ${table} AS x USING ${t.jobs} AS j
         WHERE x.job_key = j.key AND j.processed_until IS NOT NULL AND x.${column} < ${cutoff}${extra}`,
        [days],
      );
      return res.rowCount ?? 0;
    };
    return {
      records: (await remove(t.records, 'time')) + (await remove(t.jobRecords, 'time')),
      influencers: await remove(t.influencers, 'time'),
      buckets: await remove(t.buckets, 'time'),
      groups: await remove(t.groups, 'end_time'),
      snapshots: await remove(
        t.snapshots,
        'until',
        ` AND x.until < (SELECT max(s.until) FROM ${t.snapshots} AS s WHERE s.job_key = x.job_key)`,
      ),
    };
  });
}

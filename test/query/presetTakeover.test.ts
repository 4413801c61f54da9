/**
 * The Cryptolens preset against the demo's injected key takeover (a key suddenly verified from new machine
 * codes and addresses, mostly failing): the preset job reports it as a critical group of that key, while the
 * same job without its per-key (partitioned) detectors does not — the takeover is invisible to population
 * detectors, which is why the preset partitions by key.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptolensPreset } from '../../common/presets.ts';
import { seedDemo, type SeedResult } from '../../pkg-backend/src/demo/seed.ts';
import { runJob, type JobRunResult } from '../../pkg-backend/src/query/jobRun.ts';
import { createDatabase, dropDatabase } from '../setup/databases.ts';

const DB = 'rarity_preset_takeover';
let pool: pg.Pool;
let seed: SeedResult;

const request = (job: ReturnType<typeof cryptolensPreset>['job']) => ({
  table: 'public.weblogs',
  timeColumn: 'ts',
  idColumn: 'id',
  job,
  successRule: { field: 'state', op: '=', value: '1' } as const,
});

const groupsOfKey = (result: JobRunResult) => {
  const start = Date.parse(seed.keyTakeover.start);
  const end = Date.parse(seed.keyTakeover.end);
  return result.groups.filter((g) => g.entity === seed.keyTakeover.key && g.start < end && g.end > start);
};

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createDatabase(DB) });
  // 20 days of 2 000 requests: enough history for the per-key models to know the key's usual machines.
  seed = await seedDemo(pool, { days: 20, rowsPerDay: 2000, end: new Date('2026-11-20T00:00:00Z') });
}, 120_000);

afterAll(async () => {
  await pool.end();
  await dropDatabase(DB).catch(() => undefined);
});

describe('the Cryptolens preset on the demo', () => {
  it('finds the key takeover as a critical group of that key, mostly unsuccessful', { timeout: 120_000 }, async () => {
    const result = await runJob(pool, request(cryptolensPreset().job));
    expect(result.groupField).toBe('key');
    const groups = groupsOfKey(result);
    expect(groups, JSON.stringify(result.groups.slice(0, 10))).not.toHaveLength(0);
    const strongest = groups.reduce((a, b) => (b.maxScore > a.maxScore ? b : a));
    expect(strongest.severity).toBe('critical');
    expect(strongest.maxScore).toBeGreaterThanOrEqual(75);
    expect(strongest.unsuccessful).toBeGreaterThan(strongest.requests / 2);
    expect(BigInt(strongest.startingAt!)).toBeLessThanOrEqual(BigInt(strongest.endingAt!));
  });

  it('does not find it without the per-key detectors', { timeout: 120_000 }, async () => {
    const full = cryptolensPreset().job;
    const population = { ...full, detectors: full.detectors.filter((d) => d.partitionField === undefined) };
    expect(population.detectors.length).toBeGreaterThan(0);
    const result = await runJob(pool, request(population));
    expect(groupsOfKey(result).filter((g) => g.severity === 'critical')).toEqual([]);
  });
});

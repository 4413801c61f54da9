/**
 * The state schema's history. Each migration is applied once, in order, inside the transaction that opens
 * the store; a released migration is never edited (installed schemas already ran it), only followed by a
 * new one.
 */
import type { StateTables } from './schemaName.ts';

export interface Migration {
  version: number;
  description: string;
  statements(t: StateTables): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'jobs, model snapshots, bucket, record and group results',
    statements: (t) => [
      `CREATE TABLE ${t.jobs} (
        key text PRIMARY KEY,
        definition jsonb NOT NULL,
        status text NOT NULL DEFAULT 'created'
          CHECK (status IN ('created', 'backfilling', 'current', 'failed')),
        -- Exclusive end of the buckets analysed; NULL until the first chunk is committed.
        processed_until timestamptz,
        -- Largest log id read before the last chunk: rows above it dated before processed_until are late.
        id_watermark bigint,
        history_start timestamptz,
        -- End of the learning period (first bucket with data + learning buckets); NULL before any data.
        learning_until timestamptz,
        memory_status text NOT NULL DEFAULT 'ok' CHECK (memory_status IN ('ok', 'soft_limit', 'hard_limit')),
        model_bytes bigint,
        last_error text,
        last_error_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE ${t.snapshots} (
        job_key text NOT NULL REFERENCES ${t.jobs} (key) ON DELETE CASCADE,
        until timestamptz NOT NULL,
        format_version integer NOT NULL,
        -- gzip of the state's JSON; already compressed, so TOAST must not try again.
        state bytea NOT NULL,
        state_bytes bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_key, until)
      )`,
      `ALTER TABLE ${t.snapshots} ALTER COLUMN state SET STORAGE EXTERNAL`,
      `CREATE TABLE ${t.buckets} (
        job_key text NOT NULL REFERENCES ${t.jobs} (key) ON DELETE CASCADE,
        time timestamptz NOT NULL,
        raw_score double precision NOT NULL,
        score double precision NOT NULL,
        learning boolean NOT NULL,
        event_count bigint NOT NULL,
        interim boolean NOT NULL DEFAULT false,
        PRIMARY KEY (job_key, time)
      )`,
      `CREATE TABLE ${t.records} (
        job_key text NOT NULL REFERENCES ${t.jobs} (key) ON DELETE CASCADE,
        time timestamptz NOT NULL,
        entity text NOT NULL,
        -- Position in the engine's order within the bucket (score desc, probability asc), kept so frames
        -- rebuilt from rows list records exactly as a live run does.
        seq integer NOT NULL,
        by_value text NOT NULL,
        over_value text,
        probability double precision NOT NULL,
        raw_score double precision NOT NULL,
        score double precision NOT NULL,
        typical double precision NOT NULL,
        actual double precision NOT NULL,
        count bigint NOT NULL,
        causes jsonb NOT NULL,
        explanation jsonb NOT NULL,
        group_id text,
        interim boolean NOT NULL DEFAULT false,
        PRIMARY KEY (job_key, time, entity)
      )`,
      `CREATE TABLE ${t.groups} (
        job_key text NOT NULL REFERENCES ${t.jobs} (key) ON DELETE CASCADE,
        group_id text NOT NULL,
        entity text NOT NULL,
        start_time timestamptz NOT NULL,
        end_time timestamptz NOT NULL,
        starting_at bigint NOT NULL,
        ending_at bigint NOT NULL,
        max_score double precision NOT NULL,
        requests bigint NOT NULL,
        successful bigint NOT NULL,
        unsuccessful bigint NOT NULL,
        explanation text NOT NULL,
        open boolean NOT NULL,
        -- Changed by a re-analysis after late rows, after it had been reported.
        revised boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_key, group_id),
        CHECK (end_time > start_time)
      )`,
      // Range reads ask for groups with end > from: recent ranges make that selective, start < to is not.
      `CREATE INDEX ON ${t.groups} (job_key, end_time)`,
    ],
  },
  {
    version: 2,
    description: 'results of jobs with several detectors: their records, influencer results, bucket probability',
    statements: (t) => [
      `CREATE TABLE ${t.jobRecords} (
        job_key text NOT NULL REFERENCES ${t.jobs} (key) ON DELETE CASCADE,
        time timestamptz NOT NULL,
        -- Position in the job's order within the bucket, so frames rebuilt from rows list records as a run does.
        seq integer NOT NULL,
        detector integer NOT NULL,
        function text NOT NULL,
        by_value text NOT NULL,
        over_value text,
        partition_value text,
        probability double precision NOT NULL,
        score double precision NOT NULL,
        typical double precision NOT NULL,
        actual double precision NOT NULL,
        count bigint NOT NULL,
        influencers jsonb NOT NULL,
        explanation text NOT NULL,
        group_id text,
        PRIMARY KEY (job_key, time, seq)
      )`,
      `CREATE TABLE ${t.influencers} (
        job_key text NOT NULL REFERENCES ${t.jobs} (key) ON DELETE CASCADE,
        time timestamptz NOT NULL,
        field text NOT NULL,
        value text NOT NULL,
        probability double precision NOT NULL,
        score double precision NOT NULL,
        PRIMARY KEY (job_key, time, field, value)
      )`,
      // A job's bucket has the aggregate's probability besides its scores; single-detector rows leave it NULL.
      `ALTER TABLE ${t.buckets} ADD COLUMN probability double precision`,
      // A job's group counts its rows when committed; rows deleted since leave no first or last id.
      `ALTER TABLE ${t.groups} ALTER COLUMN starting_at DROP NOT NULL, ALTER COLUMN ending_at DROP NOT NULL`,
    ],
  },
];

export const LATEST_STATE_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

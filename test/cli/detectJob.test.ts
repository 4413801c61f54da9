/**
 * `rarity detect` with a job, through the real executable: a verbatim Elastic job file, a refused function
 * naming its detector, and the Cryptolens preset over a seeded demo table.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../setup/databases.ts';
import { rarity } from './helpers.ts';

let url: string;
const dir = mkdtempSync(join(tmpdir(), 'rarity-job-'));

// As Kibana's console writes it, with settings Rarity warns about.
const ELASTIC_JOB = `PUT _ml/anomaly_detectors/license-usage
{
  "description": "rare states per key",
  "analysis_config": {
    "bucket_span": "10m",
    "detectors": [
      { "detector_description": "rare state per key", "function": "rare", "by_field_name": "state", "partition_field_name": "key" },
      { "function": "freq_rare", "by_field_name": "state", "over_field_name": "ip" }
    ],
    "influencers": ["ip", "key"]
  },
  "data_description": { "time_field": "ts" },
  "model_plot_config": { "enabled": false }
}`;

beforeAll(async () => {
  url = await createDatabase('rarity_cli_job');
  const pool = new pg.Pool({ connectionString: url });
  await pool.query(
    'CREATE TABLE logs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int, key text)',
  );
  await pool.query(
    `INSERT INTO logs (ts, ip, state, key)
     SELECT timestamptz '2026-03-01T00:00:00Z' + g * interval '1 minute', '10.0.0.' || (g % 7),
            CASE WHEN g % 997 = 500 THEN 9 ELSE 1 END, 'k' || (g % 3)
       FROM generate_series(0, 1439) g`,
  );
  await pool.end();
  writeFileSync(join(dir, 'job.json'), ELASTIC_JOB);
  writeFileSync(
    join(dir, 'high_count.json'),
    JSON.stringify({
      analysis_config: {
        detectors: [
          { function: 'rare', by_field_name: 'state' },
          { function: 'high_count', by_field_name: 'key' },
        ],
      },
    }),
  );
});

describe('rarity detect --job', () => {
  it('runs a verbatim Elastic job file and prints buckets, records, influencers and groups', async () => {
    const r = await rarity(['detect', '--database-url', url, '--table', 'logs', '--job', join(dir, 'job.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: Ignored, as they do not change detection in Rarity: model_plot_config/);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['buckets', 'records', 'influencers', 'groups']);
    expect(out.buckets.length).toBe(144);
    expect(Object.keys(out.buckets[0])).toEqual(['time', 'score', 'rawScore', 'probability', 'eventCount']);
    const rare = out.records.find((x: { by: string }) => x.by === '9');
    expect(rare).toMatchObject({ detector: 0, function: 'rare', partition: 'k2', over: null });
    expect(Object.keys(rare)).toEqual([
      'time',
      'score',
      'probability',
      'detector',
      'function',
      'by',
      'over',
      'partition',
      'typical',
      'actual',
      'count',
      'influencers',
      'explanation',
      'groupId',
    ]);
    const table = await rarity([
      'detect',
      '--database-url',
      url,
      '--table',
      'logs',
      '--job',
      join(dir, 'job.json'),
      '--format',
      'table',
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/license-usage on "public"."logs": 2 detectors, bucket span 10m, groups per ip/);
  });

  it('refuses high_count naming the detector, with exit status 2, before opening a database', async () => {
    const r = await rarity([
      'detect',
      '--database-url',
      'postgres://nobody@127.0.0.1:1/none',
      '--table',
      'logs',
      '--job',
      join(dir, 'high_count.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/detector 2 \("high_count by key"\): function "high_count" is not supported/);
    const mixed = await rarity(['detect', '--table', 'logs', '--job', join(dir, 'job.json'), '--by', 'state']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--by cannot be combined with --job/);
  });

  it('splits the flags’ one detector by --partition', async () => {
    const r = await rarity([
      'detect',
      '--database-url',
      url,
      '--table',
      'logs',
      '--function',
      'rare',
      '--by',
      'state',
      '--partition',
      'key',
      '--bucket-span',
      '10m',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.records.find((x: { by: string }) => x.by === '9')).toMatchObject({ partition: 'k2' });
    const bad = await rarity([
      'detect',
      '--table',
      'logs',
      '--function',
      'high_count',
      '--by',
      'state',
      '--partition',
      'key',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/high_count/);
  });
});

describe('rarity detect --preset cryptolens', () => {
  let demoUrl: string;
  afterAll(() => undefined);

  it('runs the preset over a seeded demo table, groups per key', async () => {
    demoUrl = await createDatabase('rarity_cli_preset');
    const seeded = await rarity([
      'seed',
      '--database-url',
      demoUrl,
      '--days',
      '5',
      '--rows-per-day',
      '3000',
      '--end',
      '2026-11-20T00:00:00Z',
    ]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const r = await rarity([
      'detect',
      '--database-url',
      demoUrl,
      '--table',
      'public.weblogs',
      '--preset',
      'cryptolens',
      '--success',
      'state=1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(new Set(out.records.map((x: { detector: number }) => x.detector)).size).toBeGreaterThan(1);
    expect(out.groups.length).toBeGreaterThan(0);
    expect(out.groups.every((g: { field: string }) => g.field === 'key')).toBe(true);
    for (const g of out.groups) {
      expect(BigInt(g.startingAt) <= BigInt(g.endingAt)).toBe(true);
      expect(g.requests).toBe(g.successful + g.unsuccessful);
    }
  }, 240_000);
});

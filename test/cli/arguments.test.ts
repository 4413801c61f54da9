import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase } from '../setup/databases.ts';
import { rarity } from './helpers.ts';

let url: string;

beforeAll(async () => {
  url = await createDatabase('rarity_cli_args');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE weblogs (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, ip text, state int)`);
  await client.query(
    `INSERT INTO weblogs (ts, ip, state) SELECT timestamptz '2026-01-01' + g * interval '1 minute', '10.0.0.' || (g % 3), 1 FROM generate_series(1, 500) g`,
  );
  await client.end();
});

const base = ['detect', '--table', 'public.weblogs', '--function', 'rare', '--by', 'state'];

describe('rarity detect: bad arguments exit 2 with one clear line', () => {
  it.each([
    // Rules come from the validator the editor and the backend share, worded with the flags' names.
    [
      ['detect', '--table', 'public.weblogs', '--function', 'freq_rare', '--by', 'state'],
      /--over is required for freq_rare/,
    ],
    [[...base, '--bucket-span', '0s'], /--bucket-span "0s" must be longer than zero/],
    [[...base, '--bucket-span', '500ms'], /--bucket-span "500ms" must be a whole number of seconds, at least 1s/],
    [[...base, '--bucket-span', '366d'], /--bucket-span "366d" is too long; use at most 365d/],
    [[...base, '--learning-buckets', '5'], /--learning-buckets 5 must be a whole number of at least 20/],
    [['detect', '--table', 'public.weblogs', '--function', 'rare'], /--by is required/],
    [[...base, '--bucket-span', 'soon'], /not a duration/],
    [[...base, '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], /--from .* must be before --to/],
    [[...base, '--from', 'yesterday'], /--from "yesterday" is not an ISO date/],
    [
      ['detect', '--table', 'public.weblogs', '--function', 'mean', '--by', 'state'],
      /--function "mean" is not known; use rare or freq_rare/,
    ],
    [['detect', '--table', 'public.weblogs', '--by', 'state'], /--function is required/],
    [[...base, '--filter', 'state'], /--filter "state" is not a condition/],
    [[...base, '--format', 'xml'], /--format must be json or table/],
    [[...base, '--bogus'], /Unknown option '--bogus'/],
    [['explode'], /unknown command "explode"/],
  ])('%j', async (args, message) => {
    const r = await rarity(args as string[], { DATABASE_URL: url });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [[...base.slice(0, -1), 'colour'], /colour/],
    [['detect', '--table', 'public.nope', '--function', 'rare', '--by', 'state'], /nope/],
    [
      ['detect', '--table', 'weblogs; DROP TABLE weblogs', '--function', 'rare', '--by', 'state'],
      /weblogs; DROP TABLE weblogs/,
    ],
    [[...base, '--filter', 'missing=1'], /missing/],
    [[...base, '--time-column', 'ip'], /ip/],
  ])('names the unknown table/column: %j', async (args, message) => {
    const r = await rarity(args as string[], { DATABASE_URL: url });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n FROM weblogs');
    await client.end();
    expect(rows[0].n).toBe(500);
  });

  it('runs a valid detection and prints JSON', async () => {
    const r = await rarity([...base, '--format', 'json'], { DATABASE_URL: url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.detector).toMatchObject({ function: 'rare', byField: 'state', overField: null, bucketSpan: '5m' });
    expect(json.buckets.length).toBeGreaterThan(90);
    expect(json.records).toEqual([]); // one state forever: nothing is rare
    expect(json.groups).toEqual([]);
  });

  it('reports an unreachable database with status 1 and one line', async () => {
    const r = await rarity([...base], { DATABASE_URL: 'postgres://postgres:x@127.0.0.1:9/none' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1/);
  });
});

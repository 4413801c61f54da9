import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import {
  seedDemo,
  KEY_COUNT,
  KEY_NEW_COUNTRY,
  NEW_STATE,
  FAILED_HAMMERING,
  KEY_TAKEOVER,
  QUIET_DAYS,
  type SeedResult,
} from '../../pkg-backend/src/demo/seed.ts';
import { describeTable } from '../../pkg-backend/src/store/catalogue.ts';
import { dropSchema, freshSchema, testPool, utc } from './helpers.ts';

const END = utc('2024-03-01T00:00:00');

async function checksum(pool: pg.Pool, table: string): Promise<string> {
  const res = await pool.query(
    `SELECT md5(string_agg(concat_ws('|', id, extract(epoch FROM ts), ip, key, product, state, machine_code, country), ',' ORDER BY id)) AS sum FROM ${table}`,
  );
  return res.rows[0].sum as string;
}

async function one<T = number>(pool: pg.Pool, sql: string, values: unknown[] = []): Promise<T> {
  const res = await pool.query(sql, values);
  return Object.values(res.rows[0])[0] as T;
}

describe('seedDemo', () => {
  let pool: pg.Pool;
  let schema: string;

  beforeAll(async () => {
    pool = testPool();
    schema = await freshSchema(pool, 'seed');
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('is deterministic: same seed → same rows and checksum; another seed → other rows', async () => {
    const a = await seedDemo(pool, { days: 5, rowsPerDay: 3000, seed: 7, end: END, table: `${schema}.a` });
    const b = await seedDemo(pool, { days: 5, rowsPerDay: 3000, seed: 7, end: END, table: `${schema}.b` });
    await seedDemo(pool, { days: 5, rowsPerDay: 3000, seed: 8, end: END, table: `${schema}.c` });
    expect(a.rows).toBe(b.rows);
    expect(a.injected).toEqual(b.injected);
    expect(a.keyTakeover).toEqual(b.keyTakeover);
    expect(await checksum(pool, `"${schema}".a`)).toBe(await checksum(pool, `"${schema}".b`));
    expect(await checksum(pool, `"${schema}".a`)).not.toBe(await checksum(pool, `"${schema}".c`));
    // Re-seeding replaces instead of appending.
    const again = await seedDemo(pool, { days: 5, rowsPerDay: 3000, seed: 7, end: END, table: `${schema}.a` });
    expect(await one(pool, `SELECT count(*)::int FROM "${schema}".a`)).toBe(again.rows);
    expect(await checksum(pool, `"${schema}".a`)).toBe(await checksum(pool, `"${schema}".b`));
    await expect(
      seedDemo(pool, { days: 5, rowsPerDay: 3000, end: END, table: `${schema}.a`, ifExists: 'error' }),
    ).rejects.toThrow(/already holds rows/);
    await pool.query(`CREATE TABLE "${schema}".other (id int, note text)`);
    await expect(seedDemo(pool, { days: 5, end: END, table: `${schema}.other` })).rejects.toThrow(
      /not a demo log table/,
    );
    await expect(seedDemo(pool, { days: 2, end: END, table: `${schema}.d` })).rejects.toThrow(/days 2/);
  });

  describe('30 days × 20 000 rows', () => {
    let result: SeedResult;
    let t: string;

    beforeAll(async () => {
      t = `"${schema}"."weblogs"`;
      result = await seedDemo(pool, { end: END, table: `${schema}.weblogs` });
    }, 120_000);

    it('creates the documented table with an index on ts and the expected row count', async () => {
      const info = await describeTable(pool, `${schema}.weblogs`);
      expect(info.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
        'id:bigint',
        'ts:timestamp with time zone',
        'ip:text',
        'key:text',
        'product:integer',
        'state:integer',
        'machine_code:text',
        'country:text',
      ]);
      const idx = await one<string>(
        pool,
        `SELECT string_agg(indexdef, ';') FROM pg_indexes WHERE schemaname = $1 AND tablename = 'weblogs'`,
        [schema],
      );
      expect(idx).toMatch(/\(ts\)/);
      const injectedRows = result.injected.reduce((s, a) => s + a.requests, 0) + result.keyTakeover.requests;
      expect(result.rows).toBe(30 * 20_000 + injectedRows);
      expect(await one(pool, `SELECT count(*)::int FROM ${t}`)).toBe(result.rows);
      expect(result.from).toEqual(new Date(END.getTime() - 30 * 86_400_000));
      expect((await one<Date>(pool, `SELECT min(ts) FROM ${t}`)) >= result.from).toBe(true);
      expect((await one<Date>(pool, `SELECT max(ts) FROM ${t}`)) < END).toBe(true);
    });

    it('ids grow with time', async () => {
      expect(
        await one(
          pool,
          `SELECT count(*)::int FROM (SELECT ts < lag(ts) OVER (ORDER BY id) AS back FROM ${t}) x WHERE back`,
        ),
      ).toBe(0);
    });

    it('looks like a licensing API log: keys, anonymised IPs, products, countries, state mix, diurnal cycle', async () => {
      const keys = await one(pool, `SELECT count(DISTINCT key)::int FROM ${t}`);
      // Every key is used at least once in 30 days, and no key is invented outside the key list.
      expect(keys).toBeGreaterThan(KEY_COUNT * 0.95);
      expect(keys).toBeLessThanOrEqual(KEY_COUNT);
      expect(await one(pool, `SELECT count(*)::int FROM ${t} WHERE ip NOT LIKE '%.0'`)).toBe(0);
      expect(await one(pool, `SELECT count(*)::int FROM ${t} WHERE product NOT BETWEEN 1 AND 5`)).toBe(0);
      expect(await one(pool, `SELECT count(DISTINCT product)::int FROM ${t}`)).toBe(5);
      expect(
        await one(pool, `SELECT max(n)::int FROM (SELECT count(DISTINCT product) n FROM ${t} GROUP BY key) x`),
      ).toBe(1);
      expect(
        await one(
          pool,
          `SELECT max(n)::int FROM (SELECT count(DISTINCT machine_code) n FROM ${t} WHERE state <> 4 AND NOT machine_code = ANY($1) GROUP BY key) x`,
          [result.keyTakeover.machineCodes],
        ),
      ).toBeLessThanOrEqual(4);
      const injectedIps = [
        ...result.injected.filter((a) => a.kind !== 'new_state').map((a) => a.ip),
        ...result.keyTakeover.ips,
      ];
      expect(
        await one(
          pool,
          `SELECT max(n)::int FROM (SELECT count(DISTINCT ip) n FROM ${t} WHERE NOT ip = ANY($1) GROUP BY key) x`,
          [injectedIps],
        ),
      ).toBeLessThanOrEqual(3);
      // An IP belongs to one customer; a customer has one country.
      expect(
        await one(pool, `SELECT max(n)::int FROM (SELECT count(DISTINCT country) n FROM ${t} GROUP BY ip) x`),
      ).toBe(1);
      const countries = await one(pool, `SELECT count(DISTINCT country)::int FROM ${t} WHERE country <> $1`, [
        KEY_NEW_COUNTRY.country,
      ]);
      expect(countries).toBeGreaterThanOrEqual(10);
      expect(countries).toBeLessThanOrEqual(15);
      const share = async (state: number) =>
        (await one<number>(pool, `SELECT avg((state = $1)::int)::float8 FROM ${t}`, [state])) * 100;
      expect(await share(1)).toBeGreaterThan(95);
      expect(await share(1)).toBeLessThan(97);
      expect(await share(2)).toBeGreaterThan(2.5);
      expect(await share(2)).toBeLessThan(3.5);
      expect(await share(3)).toBeGreaterThan(0.7);
      expect(await share(3)).toBeLessThan(1.3);
      expect(await one(pool, `SELECT count(DISTINCT key)::int FROM ${t} WHERE state = 2`)).toBeGreaterThan(150);
      expect(await one(pool, `SELECT count(DISTINCT key)::int FROM ${t} WHERE state = 3`)).toBeGreaterThan(100);
      const hours = await pool.query(
        `SELECT extract(hour FROM ts AT TIME ZONE 'UTC')::int AS h, count(*)::int AS n FROM ${t} GROUP BY 1 ORDER BY 1`,
      );
      const n = hours.rows.map((r) => r.n as number);
      expect(Math.max(...n) / Math.min(...n)).toBeGreaterThan(2.5);
      expect(n.indexOf(Math.max(...n))).toBe(14);
    });

    it('injects the three anomalies after the quiet days, at distinct times', () => {
      expect(result.injected.map((a) => a.kind)).toEqual(['new_state', 'failed_hammering', 'key_new_country']);
      const quietEnd = result.from.getTime() + QUIET_DAYS * 86_400_000;
      const spans = result.injected.map((a) => [Date.parse(a.start), Date.parse(a.end)] as const);
      for (const [s, e] of spans) {
        expect(s).toBeGreaterThanOrEqual(quietEnd);
        expect(e).toBeLessThanOrEqual(END.getTime());
      }
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i][0]).toBeGreaterThan(spans[i - 1][1] + 86_400_000);
      }
      expect(result.injected[0].detector).toEqual({ function: 'rare', by: 'state', bucketSpan: '5m' });
      expect(result.injected[1].detector).toEqual({ function: 'freq_rare', by: 'state', over: 'ip', bucketSpan: '5m' });
      expect(result.injected[2].detector).toEqual({ function: 'rare', by: 'country', over: 'key', bucketSpan: '5m' });
    });

    it('new_state: state 7 only in its window, for one key from its usual IP', async () => {
      const a = result.injected[0];
      expect(a.entity).toBe(String(NEW_STATE.state));
      expect(a.requests).toBeGreaterThanOrEqual(NEW_STATE.minRequests);
      expect(a.requests).toBeLessThanOrEqual(NEW_STATE.maxRequests);
      expect(Date.parse(a.end) - Date.parse(a.start)).toBe(NEW_STATE.windowMinutes * 60_000);
      const rows = await pool.query(`SELECT key, ip, ts FROM ${t} WHERE state = 7`);
      expect(rows.rowCount).toBe(a.requests);
      for (const r of rows.rows) {
        expect(r.key).toBe(a.key);
        expect(r.ip).toBe(a.ip);
        expect(r.ts >= new Date(a.start) && r.ts < new Date(a.end)).toBe(true);
      }
      const usual = await one(
        pool,
        `SELECT count(*)::int FROM ${t} WHERE key = $1 AND ip = $2 AND state = 1 AND ts < $3`,
        [a.key, a.ip, a.start],
      );
      expect(usual).toBeGreaterThan(50);
    });

    it('failed_hammering: ~300 state-4 requests in one hour from an IP never seen otherwise; benign state 4 only twice', async () => {
      const a = result.injected[1];
      expect(a.requests).toBe(FAILED_HAMMERING.requests);
      const fromIp = await pool.query(
        `SELECT count(*)::int AS n, min(ts) AS first, max(ts) AS last, count(DISTINCT key)::int AS keys, bool_and(state = 4) AS all4 FROM ${t} WHERE ip = $1`,
        [a.entity],
      );
      expect(fromIp.rows[0]).toMatchObject({ n: 300, keys: 1, all4: true });
      expect(fromIp.rows[0].first >= new Date(a.start)).toBe(true);
      expect(fromIp.rows[0].last < new Date(a.end)).toBe(true);
      expect(await one(pool, `SELECT key FROM ${t} WHERE ip = $1 LIMIT 1`, [a.entity])).toBe(a.key);
      const benign = await pool.query(`SELECT ip, ts FROM ${t} WHERE state = 4 AND ip <> $1 ORDER BY id`, [a.entity]);
      expect(benign.rowCount).toBe(2);
      expect(new Set(benign.rows.map((r) => r.ip)).size).toBe(2);
      expect(benign.rows.map((r) => ({ ts: (r.ts as Date).toISOString(), ip: r.ip }))).toEqual(result.benignState4);
      for (const r of benign.rows) {
        expect(await one(pool, `SELECT count(*)::int FROM ${t} WHERE ip = $1`, [r.ip])).toBeGreaterThan(100);
      }
    });

    it('key_new_country: KP only in its window, for one key, all successful', async () => {
      const a = result.injected[2];
      const rows = await pool.query(`SELECT key, state, ts FROM ${t} WHERE country = $1`, [KEY_NEW_COUNTRY.country]);
      expect(rows.rowCount).toBe(a.requests);
      expect(a.requests).toBeGreaterThanOrEqual(KEY_NEW_COUNTRY.minRequests);
      expect(a.requests).toBeLessThanOrEqual(KEY_NEW_COUNTRY.maxRequests);
      for (const r of rows.rows) {
        expect(r.key).toBe(a.entity);
        expect(r.state).toBe(1);
        expect(r.ts >= new Date(a.start) && r.ts < new Date(a.end)).toBe(true);
      }
      const before = await one(pool, `SELECT count(*)::int FROM ${t} WHERE key = $1 AND ts < $2`, [a.key, a.start]);
      expect(before).toBeGreaterThan(50);
    });

    it('key_takeover: after a plain history, a dozen new machines on new IPs within the window, mostly failing', async () => {
      const a = result.keyTakeover;
      expect(a.entity).toBe(a.key);
      expect(Date.parse(a.end) - Date.parse(a.start)).toBe(KEY_TAKEOVER.windowMinutes * 60_000);
      const quietEnd = result.from.getTime() + QUIET_DAYS * 86_400_000;
      expect(Date.parse(a.start)).toBeGreaterThanOrEqual(quietEnd);
      // Apart from the other anomalies' windows by more than a day.
      for (const o of result.injected) {
        expect(Math.abs(Date.parse(o.start) - Date.parse(a.start))).toBeGreaterThan(86_400_000);
      }
      expect(a.machineCodes).toHaveLength(KEY_TAKEOVER.machines);
      expect(new Set(a.machineCodes).size).toBe(KEY_TAKEOVER.machines);
      expect(new Set(a.ips).size).toBe(KEY_TAKEOVER.machines);
      expect(a.requests).toBeGreaterThanOrEqual(KEY_TAKEOVER.machines * KEY_TAKEOVER.minRequestsPerMachine);
      expect(a.requests).toBeLessThanOrEqual(KEY_TAKEOVER.machines * KEY_TAKEOVER.maxRequestsPerMachine);
      expect(a.failed).toBe(Math.ceil(KEY_TAKEOVER.failureShare * a.requests));
      expect(a.failed / a.requests).toBeGreaterThan(0.5);

      // Every row of a new machine code or IP is the takeover's: that key, inside the window.
      const rows = await pool.query(
        `SELECT key, ip, machine_code, state, ts FROM ${t} WHERE machine_code = ANY($1) OR ip = ANY($2)`,
        [a.machineCodes, a.ips],
      );
      expect(rows.rowCount).toBe(a.requests);
      const pairs = new Set(a.machineCodes.map((m, i) => `${m}@${a.ips[i]}`));
      for (const r of rows.rows) {
        expect(r.key).toBe(a.key);
        expect(pairs.has(`${r.machine_code}@${r.ip}`)).toBe(true);
        expect(r.ts >= new Date(a.start) && r.ts < new Date(a.end)).toBe(true);
        expect([1, ...KEY_TAKEOVER.failureStates]).toContain(r.state);
      }
      expect(new Set(rows.rows.map((r) => r.machine_code)).size).toBe(KEY_TAKEOVER.machines);
      expect(new Set(rows.rows.map((r) => r.ip)).size).toBe(KEY_TAKEOVER.machines);
      expect(rows.rows.filter((r) => r.state !== 1).length).toBe(a.failed);
      // Each machine code of the table belongs to one key, the new ones included: nothing for a population detector.
      expect(
        await one(pool, `SELECT max(n)::int FROM (SELECT count(DISTINCT key) n FROM ${t} GROUP BY machine_code) x`),
      ).toBe(1);

      // The failure states are ordinary: many keys get them before the takeover.
      for (const state of KEY_TAKEOVER.failureStates) {
        expect(
          await one(pool, `SELECT count(DISTINCT key)::int FROM ${t} WHERE state = $1 AND ts < $2`, [state, a.start]),
        ).toBeGreaterThan(100);
      }

      // Before: regular, mostly successful verifications from the usual one or two machines and addresses only.
      expect(a.usualMachineCodes.length).toBeLessThanOrEqual(2);
      expect(a.usualIps.length).toBeLessThanOrEqual(2);
      const history = await pool.query(
        `SELECT count(*)::int AS n, avg((state = 1)::int)::float8 AS ok, count(DISTINCT ts::date)::int AS days,
                bool_and(machine_code = ANY($3)) AS usual_machine, bool_and(ip = ANY($4)) AS usual_ip
           FROM ${t} WHERE key = $1 AND ts < $2`,
        [a.key, a.start, a.usualMachineCodes, a.usualIps],
      );
      const h = history.rows[0];
      expect(h.n).toBeGreaterThan(300);
      expect(h.ok).toBeGreaterThan(0.9);
      expect(h.days).toBeGreaterThan(15);
      expect(h.usual_machine).toBe(true);
      expect(h.usual_ip).toBe(true);
      // The key's usual machines keep verifying as before; the new ones add to them.
      expect(
        await one(pool, `SELECT count(DISTINCT machine_code)::int FROM ${t} WHERE key = $1 AND ts < $2`, [
          a.key,
          a.start,
        ]),
      ).toBe(a.usualMachineCodes.length);
    });
  });
});

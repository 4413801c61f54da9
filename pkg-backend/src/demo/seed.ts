/**
 * Demo data: a licensing Web API log in the style of Cryptolens (key verifications by customers' machines),
 * with three injected anomalies whose time, entity and detector are known, so detection can be checked end
 * to end, and a fourth (a key taken over) that only a key's own history shows. Deterministic: the same seed
 * and end time give the same rows.
 *
 * Benign traffic never contains state 7 or the injected country; state 4 appears in benign traffic exactly
 * BENIGN_STATE4_ROWS times, from distinct ordinary IPs, within the first three days (learning period).
 */
import type pg from 'pg';
import { StoreError, emptyColumns, loadLogTable, type IfTableExists, type RowColumns } from '../store/index.ts';
import { Rng, WeightedPicker } from './random.ts';

// ---- world ----------------------------------------------------------------------------------------------
/** A few hundred customers, so one key or IP is a small share of the population (docs/detection.md, Population rare). */
export const KEY_COUNT = 800;
export const PRODUCT_COUNT = 5;
export const COUNTRIES = [
  'US',
  'DE',
  'GB',
  'SE',
  'FR',
  'NL',
  'IN',
  'JP',
  'BR',
  'CA',
  'AU',
  'PL',
  'ES',
  'IT',
  'KR',
] as const;
export const STATE_SUCCESS = 1;
export const STATE_KEY_EXPIRED = 2;
export const STATE_MACHINE_LIMIT = 3;
export const STATE_INVALID_MACHINE = 4;
export const SHARE_KEY_EXPIRED = 0.03;
export const SHARE_MACHINE_LIMIT = 0.01;
/** Peak-to-mean of the diurnal cycle (0 = flat), peak at DIURNAL_PEAK_HOUR UTC. */
export const DIURNAL_AMPLITUDE = 0.6;
export const DIURNAL_PEAK_HOUR = 14;
/** Ordinary rows turned into state 4 ("invalid machine code"), each from a different ordinary IP. */
export const BENIGN_STATE4_ROWS = 2;
/** No anomaly is injected before this many days (they would fall into the learning period). */
export const QUIET_DAYS = 3;
export const INSERT_BATCH_ROWS = 8000;

// ---- injected anomalies ---------------------------------------------------------------------------------
export const NEW_STATE = {
  state: 7,
  minRequests: 5,
  maxRequests: 10,
  windowMinutes: 15,
  /** Position inside the injectable span (after QUIET_DAYS, before the last two hours), 0–1. */
  at: 0.35,
} as const;
export const FAILED_HAMMERING = {
  state: STATE_INVALID_MACHINE,
  requests: 300,
  windowMinutes: 60,
  at: 0.6,
} as const;
export const KEY_NEW_COUNTRY = {
  country: 'KP',
  minRequests: 20,
  maxRequests: 40,
  windowMinutes: 30,
  at: 0.85,
} as const;

/**
 * A key, after weeks of regular successful verifications from its one or two machines and addresses, is
 * suddenly verified from a dozen new machines, each on a new address, and mostly fails with the states every
 * key gets now and then. Each new machine code is used by that key alone, like every machine code, and the
 * failure states are common, so no detector over the whole population sees it; only the key's own history
 * (partitioned by key, the Cryptolens preset) does.
 */
export const KEY_TAKEOVER = {
  machines: 12,
  minRequestsPerMachine: 2,
  maxRequestsPerMachine: 5,
  /** Each new machine's requests fall within this many minutes of its first. */
  burstMinutes: 20,
  windowMinutes: 90,
  /** Share of the takeover's requests that fail (rounded up), with the ordinary failure states. */
  failureShare: 0.8,
  failureStates: [STATE_MACHINE_LIMIT, STATE_KEY_EXPIRED],
  at: 0.72,
  /**
   * Its own generator (seed + this), so the benign traffic and the three other anomalies are the same rows
   * as without it.
   */
  rngSalt: 0x7a4e0e5,
} as const;

export type InjectedKind = 'new_state' | 'failed_hammering' | 'key_new_country';

export interface InjectedAnomaly {
  kind: InjectedKind;
  /** What the detector should name: the by value (rare in time) or the over value (population). */
  entity: string;
  /** The window the injected rows lie in, [start, end), ISO. */
  start: string;
  end: string;
  detector: { function: 'rare' | 'freq_rare'; by: string; over?: string; bucketSpan: string };
  requests: number;
  key: string;
  ip: string;
}

/** Ground truth of KEY_TAKEOVER: what the Cryptolens preset job should report as a critical group of `key`. */
export interface KeyTakeover {
  kind: 'key_takeover';
  /** The group entity (groups per key). */
  entity: string;
  key: string;
  /** The window the takeover rows lie in, [start, end), ISO. */
  start: string;
  end: string;
  job: 'cryptolens';
  groupField: 'key';
  requests: number;
  /** Requests with a failure state (STATE_MACHINE_LIMIT or STATE_KEY_EXPIRED); the rest succeed. */
  failed: number;
  /** The new machine codes and addresses, machineCodes[i] on ips[i]; none appears before the window. */
  machineCodes: string[];
  ips: string[];
  /** What the key is normally verified from. */
  usualMachineCodes: string[];
  usualIps: string[];
}

export interface SeedOptions {
  days?: number;
  rowsPerDay?: number;
  seed?: number;
  /** Default: now, rounded down to the hour. */
  end?: Date;
  table?: string;
  /** An existing demo table is emptied first (default); 'append' adds to it; 'error' refuses. */
  ifExists?: IfTableExists;
}

export interface SeedResult {
  rows: number;
  injected: InjectedAnomaly[];
  /** Not in `injected`: no single detector over the population finds it, only a job partitioned by key. */
  keyTakeover: KeyTakeover;
  table: string;
  from: Date;
  to: Date;
  /** The benign state-4 rows (ts ISO, ip), so tests and tuning know them. */
  benignState4: Array<{ ts: string; ip: string }>;
}

interface Customer {
  country: string;
  ips: string[];
  ipPicker: WeightedPicker<string>;
}

interface LicenseKey {
  key: string;
  product: number;
  customer: Customer;
  machines: string[];
  weight: number;
}

const HOUR = 3_600_000;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function licenseKey(rng: Rng): string {
  const group = () => Array.from({ length: 5 }, () => rng.pick([...KEY_ALPHABET])).join('');
  return [group(), group(), group(), group()].join('-');
}

function machineCode(rng: Rng): string {
  return Array.from({ length: 16 }, () => rng.int(0, 15).toString(16)).join('');
}

/** Anonymised IPv4 (last octet zeroed), unique across the whole data set. */
function freshIp(rng: Rng, used: Set<string>): string {
  for (;;) {
    const ip = `${rng.int(11, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.0`;
    if (!used.has(ip)) {
      used.add(ip);
      return ip;
    }
  }
}

function buildWorld(rng: Rng, usedIps: Set<string>, usedKeys: Set<string>): LicenseKey[] {
  const countryMix: Array<WeightedPicker<string>> = [];
  for (let p = 1; p <= PRODUCT_COUNT; p++) {
    // Each product sells in its own markets: a few dominant countries, a long tail.
    countryMix.push(
      new WeightedPicker(
        COUNTRIES,
        COUNTRIES.map(() => Math.pow(rng.next(), 3) + 0.01),
      ),
    );
  }
  const keys: LicenseKey[] = [];
  while (keys.length < KEY_COUNT) {
    const product = rng.int(1, PRODUCT_COUNT);
    const ipCount = rng.int(1, 3);
    const ips = Array.from({ length: ipCount }, () => freshIp(rng, usedIps));
    const customer: Customer = {
      country: countryMix[product - 1].pick(rng),
      ips,
      ipPicker: new WeightedPicker(ips, [0.7, 0.2, 0.1].slice(0, ipCount)),
    };
    const keyCount = Math.min(KEY_COUNT - keys.length, rng.next() < 0.75 ? 1 : 2);
    for (let k = 0; k < keyCount; k++) {
      let key = licenseKey(rng);
      while (usedKeys.has(key)) {
        key = licenseKey(rng);
      }
      usedKeys.add(key);
      keys.push({
        key,
        product: k === 0 ? product : rng.int(1, PRODUCT_COUNT),
        customer,
        machines: Array.from({ length: rng.int(1, 4) }, () => machineCode(rng)),
        weight: Math.exp(rng.normal() * 1.1),
      });
    }
  }
  return keys;
}

/** Rows per hour for one day: diurnal weights, integer counts summing exactly to rowsPerDay. */
function hourlyCounts(rowsPerDay: number): number[] {
  const w = Array.from(
    { length: 24 },
    (_, h) => 1 + DIURNAL_AMPLITUDE * Math.cos((2 * Math.PI * (h - DIURNAL_PEAK_HOUR)) / 24),
  );
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (x / sum) * rowsPerDay);
  const counts = exact.map(Math.floor);
  let rest = rowsPerDay - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest-- <= 0) {
      break;
    }
    counts[i] += 1;
  }
  return counts;
}

interface PlannedRow {
  ms: number;
  ip: string;
  key: string;
  product: number;
  state: number;
  machine: string;
  country: string;
}

/** Picks the injection windows and their rows (times inside each window, sorted). */
function planInjections(
  rng: Rng,
  keys: LicenseKey[],
  usedIps: Set<string>,
  from: number,
  to: number,
): { anomalies: InjectedAnomaly[]; rows: PlannedRow[]; keys: LicenseKey[] } {
  const spanStart = from + QUIET_DAYS * 24 * HOUR;
  const spanEnd = to - 2 * HOUR;
  const at = (fraction: number) => Math.floor((spanStart + fraction * (spanEnd - spanStart)) / 60_000) * 60_000;
  // Busy-ish keys, so "its usual IP" really is usual; three distinct ones.
  const busy = [...keys].sort((a, b) => b.weight - a.weight).slice(10, 60);
  const chosen: LicenseKey[] = [];
  while (chosen.length < 3) {
    const k = rng.pick(busy);
    if (!chosen.includes(k)) {
      chosen.push(k);
    }
  }
  const rows: PlannedRow[] = [];
  const anomalies: InjectedAnomaly[] = [];
  const place = (start: number, minutes: number, n: number, make: (ms: number) => PlannedRow) => {
    const times = Array.from({ length: n }, () => start + Math.floor(rng.next() * minutes * 60_000)).sort(
      (a, b) => a - b,
    );
    for (const ms of times) {
      rows.push(make(ms));
    }
  };
  const window = (start: number, minutes: number) => ({
    start: new Date(start).toISOString(),
    end: new Date(start + minutes * 60_000).toISOString(),
  });

  {
    const k = chosen[0];
    const start = at(NEW_STATE.at);
    const n = rng.int(NEW_STATE.minRequests, NEW_STATE.maxRequests);
    const ip = k.customer.ips[0];
    place(start, NEW_STATE.windowMinutes, n, (ms) => ({
      ms,
      ip,
      key: k.key,
      product: k.product,
      state: NEW_STATE.state,
      machine: k.machines[0],
      country: k.customer.country,
    }));
    anomalies.push({
      kind: 'new_state',
      entity: String(NEW_STATE.state),
      ...window(start, NEW_STATE.windowMinutes),
      detector: { function: 'rare', by: 'state', bucketSpan: '5m' },
      requests: n,
      key: k.key,
      ip,
    });
  }
  {
    const k = chosen[1];
    const start = at(FAILED_HAMMERING.at);
    const ip = freshIp(rng, usedIps);
    const country = rng.pick(COUNTRIES);
    place(start, FAILED_HAMMERING.windowMinutes, FAILED_HAMMERING.requests, (ms) => ({
      ms,
      ip,
      key: k.key,
      product: k.product,
      state: FAILED_HAMMERING.state,
      machine: machineCode(rng),
      country,
    }));
    anomalies.push({
      kind: 'failed_hammering',
      entity: ip,
      ...window(start, FAILED_HAMMERING.windowMinutes),
      detector: { function: 'freq_rare', by: 'state', over: 'ip', bucketSpan: '5m' },
      requests: FAILED_HAMMERING.requests,
      key: k.key,
      ip,
    });
  }
  {
    const k = chosen[2];
    const start = at(KEY_NEW_COUNTRY.at);
    const n = rng.int(KEY_NEW_COUNTRY.minRequests, KEY_NEW_COUNTRY.maxRequests);
    const ip = freshIp(rng, usedIps);
    place(start, KEY_NEW_COUNTRY.windowMinutes, n, (ms) => ({
      ms,
      ip,
      key: k.key,
      product: k.product,
      state: STATE_SUCCESS,
      machine: k.machines[0],
      country: KEY_NEW_COUNTRY.country,
    }));
    anomalies.push({
      kind: 'key_new_country',
      entity: k.key,
      ...window(start, KEY_NEW_COUNTRY.windowMinutes),
      detector: { function: 'rare', by: 'country', over: 'key', bucketSpan: '5m' },
      requests: n,
      key: k.key,
      ip,
    });
  }
  rows.sort((a, b) => a.ms - b.ms);
  return { anomalies, rows, keys: chosen };
}

/** KEY_TAKEOVER's key and rows; `taken` are keys other anomalies or the benign state-4 rows already use. */
function planTakeover(
  rng: Rng,
  keys: LicenseKey[],
  taken: LicenseKey[],
  usedIps: Set<string>,
  from: number,
  to: number,
): { truth: KeyTakeover; rows: PlannedRow[] } {
  const spanStart = from + QUIET_DAYS * 24 * HOUR;
  const spanEnd = to - 2 * HOUR;
  const start = Math.floor((spanStart + KEY_TAKEOVER.at * (spanEnd - spanStart)) / 60_000) * 60_000;
  // A busy key of a customer with one or two machines and addresses: its usual pattern is plain to learn.
  const plain = [...keys]
    .sort((a, b) => b.weight - a.weight)
    .slice(10)
    .filter(
      (k) =>
        k.machines.length <= 2 &&
        k.customer.ips.length <= 2 &&
        !taken.some((t) => t === k || t.customer === k.customer) &&
        !keys.some((o) => o !== k && o.customer === k.customer),
    )
    .slice(0, 30);
  if (plain.length === 0) {
    throw new Error('demo world has no key fit for the key takeover (one or two machines and addresses)');
  }
  const k = rng.pick(plain);
  const knownMachines = new Set(keys.flatMap((o) => o.machines));
  const machines: string[] = [];
  while (machines.length < KEY_TAKEOVER.machines) {
    const m = machineCode(rng);
    if (!knownMachines.has(m)) {
      knownMachines.add(m);
      machines.push(m);
    }
  }
  const ips = machines.map(() => freshIp(rng, usedIps));
  const rows: PlannedRow[] = [];
  const burst = KEY_TAKEOVER.burstMinutes * 60_000;
  machines.forEach((machine, i) => {
    const first = start + Math.floor(rng.next() * (KEY_TAKEOVER.windowMinutes * 60_000 - burst));
    const n = rng.int(KEY_TAKEOVER.minRequestsPerMachine, KEY_TAKEOVER.maxRequestsPerMachine);
    for (let r = 0; r < n; r++) {
      rows.push({
        ms: first + (r === 0 ? 0 : Math.floor(rng.next() * burst)),
        ip: ips[i],
        key: k.key,
        product: k.product,
        state: STATE_SUCCESS,
        machine,
        country: k.customer.country,
      });
    }
  });
  // Which requests fail: a shuffled exact count, so the share is what KEY_TAKEOVER says.
  const failed = Math.ceil(KEY_TAKEOVER.failureShare * rows.length);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order.slice(0, failed)) {
    rows[i].state = rng.pick(KEY_TAKEOVER.failureStates);
  }
  rows.sort((a, b) => a.ms - b.ms);
  return {
    truth: {
      kind: 'key_takeover',
      entity: k.key,
      key: k.key,
      start: new Date(start).toISOString(),
      end: new Date(start + KEY_TAKEOVER.windowMinutes * 60_000).toISOString(),
      job: 'cryptolens',
      groupField: 'key',
      requests: rows.length,
      failed,
      machineCodes: machines,
      ips,
      usualMachineCodes: [...k.machines],
      usualIps: [...k.customer.ips],
    },
    rows,
  };
}

function push(cols: RowColumns, r: PlannedRow): void {
  cols.ts.push(new Date(r.ms).toISOString());
  cols.ip.push(r.ip);
  cols.key.push(r.key);
  cols.product.push(r.product);
  cols.state.push(r.state);
  cols.machine_code.push(r.machine);
  cols.country.push(r.country);
}

export async function seedDemo(pool: pg.Pool, options: SeedOptions = {}): Promise<SeedResult> {
  const days = options.days ?? 30;
  const rowsPerDay = options.rowsPerDay ?? 20_000;
  const seed = options.seed ?? 42;
  const table = options.table ?? 'public.weblogs';
  if (!Number.isInteger(days) || days < QUIET_DAYS + 1 || days > 3650) {
    throw new StoreError(
      'query',
      `days ${days} must be a whole number from ${QUIET_DAYS + 1} (anomalies come after ${QUIET_DAYS} quiet days) to 3650`,
      { field: 'days', value: String(days) },
    );
  }
  if (!Number.isInteger(rowsPerDay) || rowsPerDay < 24 || rowsPerDay > 10_000_000) {
    throw new StoreError('query', `rowsPerDay ${rowsPerDay} must be a whole number from 24 to 10000000`, {
      field: 'rowsPerDay',
      value: String(rowsPerDay),
    });
  }
  const end = options.end ? options.end.getTime() : Math.floor(Date.now() / HOUR) * HOUR;
  if (!Number.isFinite(end)) {
    throw new StoreError('query', 'end is not a valid time', { field: 'end' });
  }
  const from = end - days * 24 * HOUR;

  const rng = new Rng(seed);
  const usedIps = new Set<string>();
  const keys = buildWorld(rng, usedIps, new Set());
  const keyPicker = new WeightedPicker(
    keys,
    keys.map((k) => k.weight),
  );
  const injections = planInjections(rng, keys, usedIps, from, end);
  const perHour = hourlyCounts(rowsPerDay);
  const totalHours = days * 24;
  // The benign state-4 rows: first row of two hours inside the quiet days, from two different customers.
  const state4Hours = [Math.floor(totalHours * 0.04) + 1, Math.floor(totalHours * 0.07) + 5].slice(
    0,
    BENIGN_STATE4_ROWS,
  );
  const state4Keys: LicenseKey[] = [];
  while (state4Keys.length < state4Hours.length) {
    const k = rng.pick(keys);
    if (!state4Keys.some((o) => o.customer === k.customer)) {
      state4Keys.push(k);
    }
  }
  const benignState4: Array<{ ts: string; ip: string }> = [];
  const takeover = planTakeover(
    new Rng((seed + KEY_TAKEOVER.rngSalt) >>> 0),
    keys,
    [...injections.keys, ...state4Keys],
    usedIps,
    from,
    end,
  );
  // Stable: the other anomalies' rows keep their order.
  const injectedRows = [...injections.rows, ...takeover.rows].sort((a, b) => a.ms - b.ms);

  const load = { table, ifExists: options.ifExists ?? 'replace', operation: 'seed demo' };
  const rows = await loadLogTable(pool, load, async (insert) => {
    let inserted = 0;
    let cols = emptyColumns();
    let inj = 0;
    // One insert in flight while the next batch is generated: the server's work overlaps ours.
    let inFlight: Promise<number> = Promise.resolve(0);
    const flush = async (batch: RowColumns) => {
      inserted += await inFlight;
      inFlight = insert(batch);
      inFlight.catch(() => undefined); // observed by the next flush; avoids an unhandled rejection meanwhile
    };
    const hourRows: PlannedRow[] = [];
    for (let h = 0; h < totalHours; h++) {
      const hourStart = from + h * HOUR;
      const n = perHour[h % 24];
      hourRows.length = 0;
      for (let i = 0; i < n; i++) {
        const k = keyPicker.pick(rng);
        const r = rng.next();
        const state =
          r < SHARE_MACHINE_LIMIT
            ? STATE_MACHINE_LIMIT
            : r < SHARE_MACHINE_LIMIT + SHARE_KEY_EXPIRED
              ? STATE_KEY_EXPIRED
              : STATE_SUCCESS;
        hourRows.push({
          ms: hourStart + Math.floor(rng.next() * HOUR),
          ip: k.customer.ipPicker.pick(rng),
          key: k.key,
          product: k.product,
          state,
          machine: rng.pick(k.machines),
          country: k.customer.country,
        });
      }
      const s4 = state4Hours.indexOf(h);
      if (s4 >= 0 && hourRows.length > 0) {
        const k = state4Keys[s4];
        const row = hourRows[0];
        Object.assign(row, {
          ip: k.customer.ips[0],
          key: k.key,
          product: k.product,
          state: STATE_INVALID_MACHINE,
          machine: machineCode(rng),
          country: k.customer.country,
        });
        benignState4.push({ ts: new Date(row.ms).toISOString(), ip: row.ip });
      }
      while (inj < injectedRows.length && injectedRows[inj].ms < hourStart + HOUR) {
        hourRows.push(injectedRows[inj++]);
      }
      // Stable sort keeps generation order for equal times, so the result is the same on every run.
      hourRows.sort((a, b) => a.ms - b.ms);
      for (const r of hourRows) {
        push(cols, r);
      }
      if (cols.ts.length >= INSERT_BATCH_ROWS) {
        await flush(cols);
        cols = emptyColumns();
      }
      // Let the socket drain the in-flight batch while we generate; a tight loop would stall the write.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await flush(cols);
    return inserted + (await inFlight);
  });
  return {
    rows,
    injected: injections.anomalies,
    keyTakeover: takeover.truth,
    table,
    from: new Date(from),
    to: new Date(end),
    benignState4,
  };
}

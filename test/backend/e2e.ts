/**
 * Shared by the end-to-end backend tests (queries, hostile, postgres-outage, health-resources): a private
 * database per test file on the test server (test/setup/databases.ts), Grafana-shaped datasource settings for
 * it, and readers for the Arrow frames the built executable returns (types, schema/field metadata, values).
 */
import { DataType, type Table } from 'apache-arrow';
import { decodeFrames, type TestDatasource } from './host.ts';

export { adminUrl, createDatabase, dropDatabase, urlForDatabase } from '../setup/databases.ts';

export const WEBLOGS_JSON = {
  table: 'public.weblogs',
  timeColumn: 'ts',
  idColumn: 'id',
  successRule: { field: 'state', op: '=', value: '1' },
};

/**
 * Datasource settings exactly as Grafana sends them for a datasource configured in the UI: connection in
 * jsonData (url/database/user/sslmode), the password in decryptedSecureJsonData, top-level url/user/database
 * empty (Grafana's newer config editors only fill jsonData).
 */
export function grafanaDatasource(
  databaseUrl: string,
  jsonData: Record<string, unknown> = {},
  extra: Partial<TestDatasource> = {},
): TestDatasource {
  const u = new URL(databaseUrl);
  return {
    uid: 'rarity-e2e',
    lastUpdatedMS: 1_700_000_000_000,
    url: '',
    user: '',
    database: '',
    jsonData: {
      url: `${u.hostname}:${u.port || 5432}`,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      user: decodeURIComponent(u.username),
      sslmode: 'disable',
      ...WEBLOGS_JSON,
      ...jsonData,
    },
    secure: { password: decodeURIComponent(u.password) },
    ...extra,
  };
}

/** Arrow type ids Grafana's decoder accepts for our frames (docs/protocol.md, Data frames on the wire). */
const ALLOWED = new Set<string>(['Utf8', 'Float64', 'Int64', 'Bool', 'Timestamp<NANOSECOND>', 'Binary']);

export function arrowTypeName(type: DataType): string {
  if (DataType.isTimestamp(type)) {
    return `Timestamp<${['SECOND', 'MILLISECOND', 'MICROSECOND', 'NANOSECOND'][type.unit]}>${type.timezone ? `[${type.timezone}]` : ''}`;
  }
  if (DataType.isInt(type)) {
    return `${type.isSigned ? 'Int' : 'Uint'}${type.bitWidth}`;
  }
  if (DataType.isFloat(type)) {
    return ['Float16', 'Float32', 'Float64'][type.precision];
  }
  if (DataType.isUtf8(type)) {
    return 'Utf8';
  }
  if (DataType.isLargeUtf8(type)) {
    return 'LargeUtf8';
  }
  if (DataType.isBool(type)) {
    return 'Bool';
  }
  if (DataType.isBinary(type)) {
    return 'Binary';
  }
  if (DataType.isDictionary(type)) {
    return 'Dictionary';
  }
  if (DataType.isDate(type)) {
    return 'Date';
  }
  if (DataType.isNull(type)) {
    return 'Null';
  }
  return String(type);
}

/** Every field's type is one Grafana decodes; returns offending "frame.field: type" strings. */
export function badTypes(tables: Table[]): string[] {
  const bad: string[] = [];
  for (const t of tables) {
    for (const f of t.schema.fields) {
      const name = arrowTypeName(f.type);
      if (!ALLOWED.has(name)) {
        bad.push(`${t.schema.metadata.get('name')}.${f.name}: ${name}`);
      }
    }
  }
  return bad;
}

export interface DecodedField {
  name: string;
  type: string;
  labels?: Record<string, string>;
  config?: Record<string, unknown>;
  values: unknown[];
}

export interface DecodedFrame {
  name?: string;
  refId?: string;
  meta?: Record<string, unknown>;
  fields: DecodedField[];
  table: Table;
  field(name: string): DecodedField;
  rows(): Array<Record<string, unknown>>;
}

function jsonOrUndefined(text: string | undefined): Record<string, unknown> | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

/** Decodes one DataResponse's frames into names, metadata and plain JS values (timestamps → epoch ms). */
export function readFrames(frames: readonly Uint8Array[] | undefined): DecodedFrame[] {
  return decodeFrames(frames).map((table) => {
    const fields: DecodedField[] = table.schema.fields.map((f, i) => {
      const col = table.getChildAt(i)!;
      const type = arrowTypeName(f.type);
      const values: unknown[] = [];
      if (type.startsWith('Timestamp')) {
        // Grafana reads the raw int64 as nanoseconds; read it the same way (not via apache-arrow's ms conversion).
        for (const chunk of col.data) {
          const raw = chunk.values as BigInt64Array;
          for (let r = 0; r < chunk.length; r++) {
            values.push(chunk.getValid(r) ? Number(raw[chunk.offset + r] / 1_000_000n) : null);
          }
        }
      } else {
        for (let r = 0; r < table.numRows; r++) {
          let v = col.get(r) as unknown;
          if (v !== null && type === 'Binary') {
            v = JSON.parse(Buffer.from(v as Uint8Array).toString('utf8'));
          }
          values.push(v);
        }
      }
      return {
        name: f.name,
        type,
        labels: jsonOrUndefined(f.metadata.get('labels')) as Record<string, string> | undefined,
        config: jsonOrUndefined(f.metadata.get('config')),
        values,
      };
    });
    const frame: DecodedFrame = {
      name: table.schema.metadata.get('name'),
      refId: table.schema.metadata.get('refId'),
      meta: jsonOrUndefined(table.schema.metadata.get('meta')),
      fields,
      table,
      field(name) {
        const f = fields.find((x) => x.name === name);
        if (!f) {
          throw new Error(`frame ${frame.name} has no field ${name}; fields: ${fields.map((x) => x.name).join(', ')}`);
        }
        return f;
      },
      rows() {
        return Array.from({ length: table.numRows }, (_, r) =>
          Object.fromEntries(fields.map((f) => [f.name, f.values[r]])),
        );
      },
    };
    return frame;
  });
}

export const DAY = 86_400_000;

/** Grafana's data-plane reader for timeseries-multi + Reduce(max) + Threshold(> limit): labels → firing. */
export function evaluateAlert(decoded: DecodedFrame[], limit: number): Map<string, { max: number; firing: boolean }> {
  if (decoded.length === 0) {
    return new Map();
  } // NoData
  const first = decoded[0];
  const typeVersion = first.meta?.typeVersion as number[] | undefined;
  if (first.meta?.type !== 'timeseries-multi' || !typeVersion || (typeVersion[0] === 0 && typeVersion[1] === 0)) {
    throw new Error('not a data-plane timeseries-multi response');
  }
  const out = new Map<string, { max: number; firing: boolean }>();
  for (const f of decoded) {
    const times = f.fields.filter((x) => x.type.startsWith('Timestamp'));
    const numbers = f.fields.filter((x) => /^(Float|Int|Uint)/.test(x.type));
    if (f.fields.some((x) => x.type === 'Utf8')) {
      throw new Error(`frame ${f.name} has a string field: a "long" frame, evaluation fails`);
    }
    if (times.length !== 1 || numbers.length !== 1) {
      throw new Error(`frame ${f.name}: ${times.length} time and ${numbers.length} number fields`);
    }
    const key = JSON.stringify(Object.fromEntries(Object.entries(numbers[0].labels ?? {}).sort()));
    if (out.has(key)) {
      throw new Error(`duplicate series ${key}`);
    }
    const values = numbers[0].values as Array<number | null>;
    const present = values.filter((v): v is number => v !== null && !Number.isNaN(v));
    const max = present.length ? Math.max(...present) : NaN;
    out.set(key, { max, firing: max > limit });
  }
  return out;
}

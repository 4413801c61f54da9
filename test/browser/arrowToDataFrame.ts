/**
 * The backend's Arrow frames as the JSON data frames Grafana's /api/ds/query hands the browser (Grafana's
 * server converts Arrow to this form; the front end decodes it with dataFrameFromJSON): timestamps as epoch
 * ms, int64 as numbers, Binary (JSON) columns as parsed values of type "other".
 */
import type { DataFrameJSON } from '@grafana/data';

import { readFrames, type DecodedField } from '../backend/e2e.ts';

function grafanaType(field: DecodedField): string {
  if (field.type.startsWith('Timestamp')) {
    return 'time';
  }
  if (/^(Int|Uint|Float)/.test(field.type)) {
    return 'number';
  }
  if (field.type === 'Bool') {
    return 'boolean';
  }
  if (field.type === 'Binary') {
    return 'other';
  }
  return 'string';
}

export function arrowToDataFrameJSON(frames: readonly Uint8Array[] | undefined): DataFrameJSON[] {
  return readFrames(frames).map((frame) => ({
    schema: {
      name: frame.name,
      refId: frame.refId,
      meta: frame.meta as DataFrameJSON['schema'] extends infer S ? (S extends { meta?: infer M } ? M : never) : never,
      fields: frame.fields.map((f) => ({
        name: f.name,
        type: grafanaType(f) as never,
        labels: f.labels,
        config: f.config ?? {},
      })),
    },
    data: { values: frame.fields.map((f) => f.values.map((v) => (typeof v === 'bigint' ? Number(v) : v))) },
  }));
}

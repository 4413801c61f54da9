/**
 * The rules the backend holds the state schema's name to (store/identifiers.ts and store/state/schemaName.ts),
 * restated without Node so the config editor can point at a bad name before Save & test does.
 * test/common/stateSchema.test.ts keeps both in step.
 */
import { DEFAULT_STATE_SCHEMA } from './limits.ts';

/** PostgreSQL truncates longer names, which would silently address another schema. */
const MAX_IDENTIFIER_BYTES = 63;
const UNQUOTED = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
const QUOTED = /^"([^"\p{Cc}\p{Cf}]+)"$/u;

/**
 * Why the backend would refuse `text` as the state schema, or undefined when it accepts it. Surrounding
 * blanks are ignored and an empty name means DEFAULT_STATE_SCHEMA, as the backend reads the settings.
 */
export function stateSchemaProblem(text: string | undefined): string | undefined {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') {
    return undefined;
  }
  let name: string;
  if (trimmed.startsWith('"')) {
    const quoted = QUOTED.exec(trimmed);
    if (!quoted) {
      return `Schema ${trimmed} is not a valid name: a quoted name needs one closing double quote, no double quotes or control characters inside and nothing after it`;
    }
    name = quoted[1];
  } else if (!UNQUOTED.test(trimmed)) {
    const reason = trimmed.includes('.')
      ? 'a schema name has no dots'
      : 'use letters, digits, _ and $, not starting with a digit or $ (or a "Quoted Name")';
    return `Schema "${trimmed}" is not a valid name: ${reason}`;
  } else {
    name = trimmed.toLowerCase();
  }
  if (new TextEncoder().encode(name).length > MAX_IDENTIFIER_BYTES) {
    return `Schema "${trimmed}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`;
  }
  if (name.startsWith('pg_') || name === 'information_schema') {
    return `Schema "${trimmed}" is reserved for PostgreSQL's own catalogues; choose another name such as ${DEFAULT_STATE_SCHEMA}`;
  }
  return undefined;
}

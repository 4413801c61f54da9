/**
 * Names typed by users (tables, columns) are parsed strictly here, then looked up in the catalogue, and
 * only the catalogue's spelling is ever quoted into SQL. Anything that is not a plain name is refused
 * with the offending value in the message.
 */
import { truncateEcho } from '../../../common/echo.ts';
import { StoreError } from './errors.ts';

/** PostgreSQL truncates longer names (NAMEDATALEN − 1), which could silently address another object. */
const MAX_IDENTIFIER_BYTES = 63;

export interface TableName {
  schema?: string;
  name: string;
}

// Unquoted names: what PostgreSQL accepts without quotes (letters incl. non-ASCII, digits, _ and $).
const UNQUOTED = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
// Quoted names: any printable text, but no double quote (no escaping games) and no control characters.
const QUOTED_BODY = /^[^"\p{Cc}\p{Cf}]+$/u;

function invalid(full: string, what: string, reason: string): StoreError {
  const text = truncateEcho(full);
  return new StoreError(
    'invalid_identifier',
    `${what} "${text}" is not a valid name: ${truncateEcho(reason)}. ` +
      'Use a plain name such as weblogs or public.weblogs (letters, digits, _ and $; ' +
      `quoted "Mixed Case" names allowed without double quotes inside; at most ${MAX_IDENTIFIER_BYTES} bytes).`,
    { field: what, value: text },
  );
}

function checkLength(name: string, text: string, what: string): void {
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw invalid(text, what, `longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  }
}

/** Splits "a.b" / "\"A\".\"b\"" into parts; unquoted parts are folded to lower case as PostgreSQL does. */
function splitParts(text: string, what: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let part: string;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) {
        throw invalid(text, what, 'unterminated double quote');
      }
      part = text.slice(i + 1, close);
      if (text[close + 1] === '"') {
        throw invalid(text, what, 'double quotes inside a quoted name are not allowed');
      }
      if (!QUOTED_BODY.test(part)) {
        throw invalid(text, what, 'empty quoted name or control characters');
      }
      i = close + 1;
    } else {
      const dot = text.indexOf('.', i);
      const raw = dot < 0 ? text.slice(i) : text.slice(i, dot);
      if (!UNQUOTED.test(raw)) {
        throw invalid(
          text,
          what,
          raw === '' ? 'empty name part' : `"${raw}" contains characters other than letters, digits, _ and $`,
        );
      }
      part = raw.toLowerCase();
      i += raw.length;
    }
    checkLength(part, text, what);
    parts.push(part);
    if (i === text.length) {
      break;
    }
    if (text[i] !== '.') {
      throw invalid(text, what, `unexpected "${text[i]}" after a name`);
    }
    i += 1;
    if (i === text.length) {
      throw invalid(text, what, 'ends with a dot');
    }
  }
  return parts;
}

/** Parses `weblogs`, `public.weblogs`, `"Public"."Web Logs"`. */
export function parseTableName(text: string): TableName {
  if (typeof text !== 'string' || text === '') {
    throw invalid(String(text ?? ''), 'table', 'empty');
  }
  const parts = splitParts(text, 'table');
  if (parts.length > 2) {
    throw invalid(text, 'table', 'use at most schema.table');
  }
  return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { name: parts[0] };
}

/**
 * Parses a column name. `quoted` tells the caller whether the user asked for exact case, so a lookup can
 * fall back to case-insensitive matching only for unquoted names.
 */
export function parseColumnName(text: string, what = 'column'): { name: string; quoted: boolean } {
  if (typeof text !== 'string' || text === '') {
    throw invalid(String(text ?? ''), what, 'empty');
  }
  const trimmed = text;
  const parts = splitParts(trimmed, what);
  if (parts.length !== 1) {
    throw invalid(text, what, 'a column name has no dots');
  }
  const quoted = trimmed.startsWith('"');
  return { name: quoted ? parts[0] : trimmed, quoted };
}

/** Double-quotes a name for SQL. Only ever called with names read from the catalogue. */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new StoreError('invalid_identifier', `cannot quote name "${String(name)}"`, { value: String(name) });
  }
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * Field references in Elastic's words and in Rarity's. Elastic names a field literally ("process.name",
 * "@timestamp"); a query names a column as the backend's store/identifiers.ts parses it: a plain name, or a
 * double-quoted exact name. An Elastic field becomes the column of exactly that name, and back.
 * test/common/elasticJob.test.ts checks the references against the backend's column resolution.
 */

/** PostgreSQL truncates longer names, which could silently address another column. */
const MAX_IDENTIFIER_BYTES = 63;
/** What PostgreSQL accepts without quotes: letters (non-ASCII too), digits, _ and $, not first a digit or $. */
const UNQUOTED = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
/** A quoted name: no double quote inside (no escaping) and no control or format characters. */
const QUOTED = /^"([^"\p{Cc}\p{Cf}]+)"$/u;
/** Elastic refuses `"` and `\` in detector field names (Detector.PROHIBITED_FIELDNAME_CHARACTERS) and ISO controls. */
const ELASTIC_PROHIBITED = /["\\\p{Cc}]/u;

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Why `field` is not a usable field reference, or undefined when the backend can resolve it as a column name. */
export function fieldReferenceProblem(field: string): string | undefined {
  if (field.startsWith('"')) {
    const quoted = QUOTED.exec(field);
    if (!quoted) {
      return 'a quoted name needs one closing double quote, no double quotes or control characters inside and nothing after it';
    }
    return byteLength(quoted[1]) > MAX_IDENTIFIER_BYTES ? `longer than ${MAX_IDENTIFIER_BYTES} bytes` : undefined;
  }
  if (!UNQUOTED.test(field)) {
    return 'use letters, digits, _ and $, not starting with a digit or $, or a "Quoted Name"';
  }
  return byteLength(field) > MAX_IDENTIFIER_BYTES ? `longer than ${MAX_IDENTIFIER_BYTES} bytes` : undefined;
}

/**
 * The reference to the column named exactly `name` (an Elastic field name), or the reason there is none.
 * Plain names stay as they are; anything else ("process.name", "@timestamp", "Machine Code") is quoted.
 */
export function referenceOfElasticField(name: string): { field: string } | { problem: string } {
  if (ELASTIC_PROHIBITED.test(name)) {
    return { problem: 'contains a double quote, a backslash or a control character, which Elastic refuses too' };
  }
  const field = UNQUOTED.test(name) ? name : `"${name}"`;
  const problem = fieldReferenceProblem(field);
  return problem ? { problem } : { field };
}

/** The Elastic field name of a reference fieldReferenceProblem accepted: the quoted name without its quotes. */
export function elasticFieldOfReference(field: string): string {
  return field.startsWith('"') && field.endsWith('"') && field.length > 1 ? field.slice(1, -1) : field;
}

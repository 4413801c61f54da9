import { describe, expect, it } from 'vitest';

import { DEFAULT_STATE_SCHEMA } from '../../common/limits.ts';
import { stateSchemaProblem } from '../../common/stateSchema.ts';
import { parseStateSchema } from '../../pkg-backend/src/store/index.ts';

// The editor's check is only useful while it agrees with what the backend accepts at Save & test.
const backendAccepts = (text: string) => {
  try {
    parseStateSchema(text.trim() || DEFAULT_STATE_SCHEMA);
    return true;
  } catch {
    return false;
  }
};

const ACCEPTED = [
  '',
  '  ',
  'rarity',
  ' rarity ',
  'Rarity',
  'rarity_state$2',
  '_x',
  'résultats',
  '"Rarity State"',
  '"pg x"',
  '"Pg_x"',
  'a'.repeat(63),
];
const REFUSED = [
  'rarity-state',
  'my schema',
  '1rarity',
  '$x',
  'public.rarity',
  '"a"."b"',
  '"unterminated',
  '"a""b"',
  '""',
  '"a"b',
  '"tab\there"',
  'a'.repeat(64),
  'é'.repeat(32),
  'pg_rarity',
  'PG_Rarity',
  'information_schema',
  '"pg_x"',
  '"information_schema"',
];

describe('stateSchemaProblem', () => {
  it.each(ACCEPTED)('accepts %j like the backend', (text) => {
    expect(backendAccepts(text)).toBe(true);
    expect(stateSchemaProblem(text)).toBeUndefined();
  });

  it.each(REFUSED)('refuses %j like the backend, naming the schema', (text) => {
    expect(backendAccepts(text)).toBe(false);
    expect(stateSchemaProblem(text)).toContain(text.trim());
  });

  it('says what is wrong', () => {
    expect(stateSchemaProblem('rarity-state')).toMatch(/letters, digits, _ and \$/);
    expect(stateSchemaProblem('public.rarity')).toMatch(/no dots/);
    expect(stateSchemaProblem('a'.repeat(64))).toMatch(/longer than 63 bytes/);
    expect(stateSchemaProblem('pg_rarity')).toMatch(/reserved for PostgreSQL/);
    expect(stateSchemaProblem('"a""b"')).toMatch(/quoted name/);
  });
});

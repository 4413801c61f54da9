import { describe, expect, it } from 'vitest';

import { checkQuery, errorFor, missingFields, validateQuery } from '../../common/validateQuery.ts';
import type { RarityQuery } from '../../common/queryModel.ts';

const base: RarityQuery = { refId: 'A', queryType: 'scores', function: 'rare', byField: 'state' };
const fields = (query: Partial<RarityQuery>, allowTemplateVariables = false) =>
  validateQuery({ ...base, ...query }, { allowTemplateVariables }).map((e) => e.field);

describe('validateQuery', () => {
  it('accepts a complete rare query and a complete freq_rare query', () => {
    expect(validateQuery(base)).toEqual([]);
    expect(
      validateQuery({ ...base, function: 'freq_rare', overField: 'ip', bucketSpan: '1h30m', minScore: 50, limit: 10 }),
    ).toEqual([]);
  });

  it('requires a by field', () => {
    const errors = validateQuery({ ...base, byField: '  ' });
    expect(errors).toHaveLength(1);
    expect(errorFor(errors, 'byField')).toMatch(/By field is required/);
  });

  it('requires an over field for freq_rare only', () => {
    expect(fields({ overField: undefined })).toEqual([]);
    const errors = validateQuery({ ...base, function: 'freq_rare' });
    expect(errorFor(errors, 'overField')).toMatch(/Over field is required for freq_rare/);
  });

  it('refuses the same field as by and over', () => {
    expect(errorFor(validateQuery({ ...base, overField: 'state' }), 'overField')).toMatch(/same as the by field/);
  });

  it('names the wrong value and what is allowed', () => {
    expect(errorFor(validateQuery({ ...base, function: 'mean' as never }), 'function')).toBe(
      'function "mean" is not known; use rare or freq_rare',
    );
    expect(errorFor(validateQuery({ ...base, queryType: 'table' as never }), 'queryType')).toMatch(
      /"table" is not known; use one of scores, records/,
    );
    expect(errorFor(validateQuery({ ...base, bucketSpan: '5 min' }), 'bucketSpan')).toMatch(
      /"5 min" is not a duration/,
    );
    expect(errorFor(validateQuery({ ...base, bucketSpan: '0m' }), 'bucketSpan')).toMatch(/longer than zero/);
    expect(errorFor(validateQuery({ ...base, minScore: 101 }), 'minScore')).toBe(
      'minScore 101 must be a number from 0 to 100',
    );
    expect(errorFor(validateQuery({ ...base, limit: 2.5 }), 'limit')).toMatch(/whole number from 1 to 100000/);
    expect(errorFor(validateQuery({ ...base, limit: 0 }), 'limit')).toMatch(/whole number/);
  });

  it('takes includeInterim as true or false only', () => {
    expect(validateQuery({ ...base, includeInterim: true })).toEqual([]);
    expect(validateQuery({ ...base, includeInterim: false })).toEqual([]);
    expect(errorFor(validateQuery({ ...base, includeInterim: 'yes' as unknown as boolean }), 'includeInterim')).toBe(
      'includeInterim "yes" must be true or false',
    );
  });

  it('holds bucket spans to the limits the backend enforces: whole seconds, at least 1s, at most 365d', () => {
    expect(errorFor(validateQuery({ ...base, bucketSpan: '500ms' }), 'bucketSpan')).toBe(
      'bucketSpan "500ms" must be a whole number of seconds, at least 1s',
    );
    expect(errorFor(validateQuery({ ...base, bucketSpan: '1500ms' }), 'bucketSpan')).toMatch(/whole number of seconds/);
    expect(errorFor(validateQuery({ ...base, bucketSpan: '366d' }), 'bucketSpan')).toBe(
      'bucketSpan "366d" is too long; use at most 365d',
    );
    expect(fields({ bucketSpan: '1s' })).toEqual([]);
    expect(fields({ bucketSpan: '365d' })).toEqual([]);
    expect(fields({ bucketSpan: '2000ms' })).toEqual([]);
  });

  it('hands back the parsed span, the default one when none is given', () => {
    expect(checkQuery({ ...base, bucketSpan: '1h30m' })).toEqual({ errors: [], bucketSpanMs: 5_400_000 });
    expect(checkQuery({ ...base, bucketSpan: '' }).bucketSpanMs).toBe(300_000);
    expect(checkQuery(base).bucketSpanMs).toBe(300_000);
    expect(checkQuery({ ...base, bucketSpan: '$span' }, { allowTemplateVariables: true }).bucketSpanMs).toBeNaN();
  });

  it('words messages with the labels the caller gives (the command line names its flags)', () => {
    const labels = { function: '--function', byField: '--by', overField: '--over', bucketSpan: '--bucket-span' };
    const messages = validateQuery({ ...base, function: 'freq_rare', byField: '', bucketSpan: '0s' }, { labels }).map(
      (e) => e.message,
    );
    expect(messages).toEqual([
      '--by is required: choose the categorical field whose rare values are searched for',
      '--over is required for freq_rare: choose the entity field (e.g. a client IP) whose requests are compared',
      '--bucket-span "0s" must be longer than zero, e.g. 5m',
    ]);
    expect(errorFor(validateQuery({ ...base, function: 'mean' as never }, { labels }), 'function')).toBe(
      '--function "mean" is not known; use rare or freq_rare',
    );
  });

  it('names what a query cannot run without', () => {
    expect(missingFields(base)).toEqual([]);
    expect(missingFields({ ...base, byField: ' ' })).toEqual(['byField']);
    expect(missingFields({ ...base, function: 'freq_rare', overField: '' })).toEqual(['overField']);
    expect(missingFields({ ...base, function: '$fn' as never })).toEqual([]);
  });

  it('checks each filter: field, operator, value and lists', () => {
    const errors = validateQuery({
      ...base,
      filters: [
        { field: '', op: '=', value: '1' },
        { field: 'state', op: 'between' as never, value: '1' },
        { field: 'state', op: '=' },
        { field: 'state', op: 'in', value: '1,,2' },
        { field: 'state', op: 'is null' },
        { field: 'product', op: 'not in', value: '3, 4' },
      ],
    });
    expect(errors.map((e) => e.field)).toEqual([
      'filters.0.field',
      'filters.1.op',
      'filters.2.value',
      'filters.3.value',
    ]);
    expect(errorFor(errors, 'filters.1.op')).toMatch(/operator "between" is not allowed; use one of =, !=/);
    expect(errorFor(errors, 'filters.2.value')).toBe('Filter 3: "=" needs a value');
    const many = Array.from({ length: 51 }, () => ({ field: 'state', op: '!=' as const, value: '9' }));
    expect(errorFor(validateQuery({ ...base, filters: many }), 'filters')).toBe(
      '51 filters given; at most 50 are allowed',
    );
  });

  it('lets the editor accept template variables it cannot check yet, and the backend refuse them', () => {
    const query = { bucketSpan: '$span', filters: [{ field: 'state', op: 'in' as const, value: '${states:csv}' }] };
    expect(fields(query, true)).toEqual([]);
    expect(fields(query, false)).toEqual(['bucketSpan']);
    expect(fields({ byField: '$f', overField: '$f' }, true)).toEqual([]);
  });
});

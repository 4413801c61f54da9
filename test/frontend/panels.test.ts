// @vitest-environment jsdom
/**
 * The pure parts of the spans and logs panels: groups read from a groups frame, draw order and hit testing,
 * zoom target, log entries with their Cryptolens properties and marks, filters and group navigation, and the
 * `group` variable as replaceVariables answers it.
 */
import './helpers/dom.ts';
import { FieldType, toDataFrame } from '@grafana/data';
import { describe, expect, it } from 'vitest';

import { findGroupsFrames, readGroups } from '../../src/panels/common/groups.ts';
import { atLeast, bandColours, DEFAULT_SEVERITY_COLOURS, severityName } from '../../src/panels/common/severity.ts';
import { readVariable } from '../../src/panels/common/variables.ts';
import { adjacentGroup, filterEntries, groupStarts, readLogEntries } from '../../src/panels/logs/logEntries.ts';
import { drawOrder, groupAt, zoomRange } from '../../src/panels/spans/spanGeometry.ts';

const T = Date.UTC(2026, 10, 15, 10);
const M = 60_000;

const groupsFrame = toDataFrame({
  refId: 'B',
  fields: [
    { name: 'groupId', type: FieldType.string, values: ['weak', 'strong', 'mid'] },
    { name: 'entity', type: FieldType.string, values: ['1', '7', '4'] },
    { name: 'start', type: FieldType.time, values: [T, T + 5 * M, T + 60 * M] },
    { name: 'end', type: FieldType.time, values: [T + 30 * M, T + 15 * M, T + 70 * M] },
    { name: 'startingAt', type: FieldType.number, values: [10, 20, 30] },
    { name: 'endingAt', type: FieldType.number, values: [19, 29, 39] },
    { name: 'maxScore', type: FieldType.number, values: [10, 90, 55] },
    { name: 'requests', type: FieldType.number, values: [3, 9, 300] },
    { name: 'successful', type: FieldType.number, values: [3, 0, 1] },
    { name: 'unsuccessful', type: FieldType.number, values: [0, 9, 299] },
    { name: 'explanation', type: FieldType.string, values: ['a', 'first occurrence of state 7', 'c'] },
  ],
});
const scoresFrame = toDataFrame({
  refId: 'A',
  fields: [
    { name: 'time', type: FieldType.time, values: [T] },
    { name: 'score', type: FieldType.number, values: [1] },
  ],
});

describe('severity bands', () => {
  it('follows Kibana: 75 critical, 50 major, 25 minor, 3 warning, else low', () => {
    expect([80, 75, 74.9, 50, 25, 3, 2.9].map(severityName)).toEqual([
      'critical',
      'critical',
      'major',
      'major',
      'minor',
      'warning',
      'low',
    ]);
    expect(DEFAULT_SEVERITY_COLOURS).toEqual({
      critical: '#fe5050',
      major: '#fba740',
      minor: '#fdec25',
      warning: '#8bc8fb',
      low: '#d2e9f7',
    });
    expect(atLeast(49, 'major')).toBe(false);
    expect(bandColours({ critical: 'purple', minor: ' ' })).toMatchObject({ critical: 'purple', minor: '#fdec25' });
  });
});

describe('spans', () => {
  it('finds the groups frame by refId or by shape and reads the Cryptolens properties', () => {
    expect(findGroupsFrames([scoresFrame, groupsFrame], '')).toEqual([groupsFrame]);
    expect(findGroupsFrames([scoresFrame, groupsFrame], 'A')).toEqual([]);
    const [, strong] = readGroups([groupsFrame]);
    expect(strong).toMatchObject({
      id: 'strong',
      entity: '7',
      startingAt: '20',
      endingAt: '29',
      severity: 'critical',
      unsuccessful: 9,
      start: T + 5 * M,
    });
  });

  it('draws weakest first, so the strongest is on top and wins the hover where spans overlap', () => {
    const ordered = drawOrder(readGroups([groupsFrame]), 'warning');
    expect(ordered.map((g) => g.id)).toEqual(['weak', 'mid', 'strong']);
    expect(groupAt(ordered, T + 10 * M)?.id).toBe('strong');
    expect(groupAt(ordered, T + 20 * M)?.id).toBe('weak');
    expect(groupAt(ordered, T + 45 * M)).toBeUndefined();
    expect(groupAt(ordered, T + 71 * M, 2 * M)?.id).toBe('mid');
    expect(drawOrder(readGroups([groupsFrame]), 'major').map((g) => g.id)).toEqual(['mid', 'strong']);
  });

  it('zooms to the span with a little room either side', () => {
    const strong = readGroups([groupsFrame])[1];
    expect(zoomRange(strong)).toEqual({ from: T + 4 * M, to: T + 16 * M });
  });
});

describe('log entries', () => {
  const logs = toDataFrame({
    meta: { type: 'log-lines' as never },
    fields: [
      { name: 'timestamp', type: FieldType.time, values: [T + 3 * M, T, T + M, T + 2 * M, T + 4 * M] },
      { name: 'body', type: FieldType.string, values: ['e', 'a', 'b', 'c', 'd'] },
      { name: 'id', type: FieldType.string, values: ['10', '7', '8', '9', '11'] },
      {
        name: 'labels',
        type: FieldType.other,
        values: [
          {
            successful: 'false',
            groupId: 'g2',
            startingAt: '10',
            endingAt: '10',
            anomalyScore: '60.0',
            anomalySeverity: 'major',
          },
          { successful: 'true' },
          JSON.stringify({
            successful: 'false',
            groupId: 'g1',
            startingAt: '8',
            endingAt: '9',
            anomalyScore: '80.0',
            anomalySeverity: 'critical',
          }),
          {
            successful: 'false',
            groupId: 'g1',
            startingAt: '8',
            endingAt: '9',
            anomalyScore: '80.0',
            anomalySeverity: 'critical',
          },
          {},
        ],
      },
    ],
  });

  it('orders by time, carries group id / starting at / ending at and marks first and last entries', () => {
    const entries = readLogEntries([logs]);
    expect(entries.map((e) => e.body)).toEqual(['a', 'b', 'c', 'e', 'd']);
    expect(entries.map((e) => e.mark ?? '')).toEqual(['', 'first', 'last', 'only', '']);
    expect(entries[1].group).toMatchObject({
      id: 'g1',
      startingAt: '8',
      endingAt: '9',
      severity: 'critical',
      score: 80,
    });
    expect(entries.map((e) => e.successful)).toEqual([true, false, false, false, null]);
    expect(readLogEntries([logs], 'desc').map((e) => e.body)).toEqual(['d', 'e', 'c', 'b', 'a']);
  });

  it('filters to anomalous entries or one group, and jumps between group starts', () => {
    const entries = readLogEntries([logs]);
    expect(filterEntries(entries, { onlyAnomalous: true }).map((e) => e.body)).toEqual(['b', 'c', 'e']);
    expect(filterEntries(entries, { onlyAnomalous: false, groupId: 'g2' }).map((e) => e.body)).toEqual(['e']);
    const starts = groupStarts(entries);
    expect(starts).toEqual([1, 3]);
    expect(adjacentGroup(starts, 0, 1)).toBe(1);
    expect(adjacentGroup(starts, 1, 1)).toBe(3);
    expect(adjacentGroup(starts, 3, 1)).toBeUndefined();
    expect(adjacentGroup(starts, 3, -1)).toBe(1);
    expect(adjacentGroup(starts, 1, -1)).toBeUndefined();
  });
});

describe('group variable', () => {
  it('is unset when Grafana leaves the reference as it is or the value is empty / All', () => {
    expect(readVariable((t) => t, 'group')).toBeUndefined();
    expect(readVariable(() => '', 'group')).toBeUndefined();
    expect(readVariable(() => '$__all', 'group')).toBeUndefined();
    expect(readVariable((t) => (t === '${group}' ? 'abc ' : t), 'group')).toBe('abc');
  });
});

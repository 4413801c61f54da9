import { describe, expect, it } from 'vitest';
import { SEVERITY_FROM, SEVERITY_ORDER, severityOf, severityThresholdSteps } from '../../common/severity.ts';

describe('severityOf (Kibana bands)', () => {
  it('maps band edges', () => {
    expect(severityOf(75)).toEqual({ name: 'critical', color: '#fe5050' });
    expect(severityOf(74.99).name).toBe('major');
    expect(severityOf(50)).toEqual({ name: 'major', color: '#fba740' });
    expect(severityOf(25)).toEqual({ name: 'minor', color: '#fdec25' });
    expect(severityOf(3)).toEqual({ name: 'warning', color: '#8bc8fb' });
    expect(severityOf(2.99)).toEqual({ name: 'low', color: '#d2e9f7' });
    expect(severityOf(100).name).toBe('critical');
    expect(severityOf(Number.NaN).name).toBe('low');
  });

  it('orders the bands weakest first and gives Grafana one threshold step per band', () => {
    expect(SEVERITY_ORDER).toEqual(['low', 'warning', 'minor', 'major', 'critical']);
    expect(SEVERITY_FROM).toEqual({ low: 0, warning: 3, minor: 25, major: 50, critical: 75 });
    expect(severityThresholdSteps()).toEqual([
      { value: null, color: '#d2e9f7' },
      { value: 3, color: '#8bc8fb' },
      { value: 25, color: '#fdec25' },
      { value: 50, color: '#fba740' },
      { value: 75, color: '#fe5050' },
    ]);
  });
});

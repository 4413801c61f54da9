/**
 * A small but real implementation of Grafana's TemplateSrv contract (getTemplateSrv()): $var, ${var},
 * ${var:format}, [[var]], scoped variables winning over dashboard ones, multi-value variables, and the csv /
 * raw / pipe / glob formats. Enough to test interpolation through the same interface Grafana calls.
 */
import type { ScopedVars, TimeRange, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

export type VariableValues = Record<string, string | string[]>;

const VARIABLE = /\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]/g;

function format(value: string | string[], fmt: string | undefined): string {
  if (!Array.isArray(value)) {
    return value;
  }
  switch (fmt) {
    case 'csv':
    case 'raw':
    case undefined:
      // Grafana's default for a multi-value variable outside a datasource-specific formatter is glob;
      // csv/raw join with commas.
      return fmt === undefined ? (value.length > 1 ? `{${value.join(',')}}` : (value[0] ?? '')) : value.join(',');
    case 'pipe':
      return value.join('|');
    case 'glob':
      return value.length > 1 ? `{${value.join(',')}}` : (value[0] ?? '');
    default:
      throw new Error(`format ${fmt} is not supported by the test TemplateSrv`);
  }
}

export class TestTemplateSrv implements TemplateSrv {
  constructor(private readonly values: VariableValues = {}) {}

  getVariables(): TypedVariableModel[] {
    return Object.entries(this.values).map(
      ([name, value]) =>
        ({
          name,
          type: 'custom',
          multi: Array.isArray(value),
          current: { text: value, value },
        }) as unknown as TypedVariableModel,
    );
  }

  replace(target?: string, scopedVars?: ScopedVars, fmt?: string | Function): string {
    if (target === undefined || target === null) {
      return target as unknown as string;
    }
    return target.replace(VARIABLE, (whole, simple, braced, bracedFmt, bracket, bracketFmt) => {
      const name: string = simple ?? braced ?? bracket;
      const scoped = scopedVars?.[name];
      const value = scoped ? (scoped.value as string | string[]) : this.values[name];
      if (value === undefined) {
        return whole;
      }
      const chosen = bracedFmt ?? bracketFmt ?? (typeof fmt === 'string' ? fmt : undefined);
      if (typeof fmt === 'function') {
        return fmt(value, { name });
      }
      return format(value, chosen);
    });
  }

  containsTemplate(target?: string): boolean {
    if (!target) {
      return false;
    }
    VARIABLE.lastIndex = 0;
    const found = VARIABLE.test(target);
    VARIABLE.lastIndex = 0;
    return found;
  }

  updateTimeRange(_timeRange: TimeRange): void {}
}

/**
 * The dashboard variable that links the panels: a click on a span sets `group`, the logs panel filters to it.
 * Grafana's replaceVariables returns the text unchanged when the variable does not exist, so "not set" is
 * told apart from a value by that.
 */
import { locationService } from '@grafana/runtime';

export const DEFAULT_GROUP_VARIABLE = 'group';

/** Values Grafana uses for "no selection" in variables. */
const EMPTY = new Set(['', '$__all', 'All', '*']);

export function readVariable(replaceVariables: (text: string) => string, name: string): string | undefined {
  const reference = '${' + name + '}';
  const value = replaceVariables(reference);
  if (value === reference || EMPTY.has(value.trim())) {
    return undefined;
  }
  return value.trim();
}

/** Sets (or with undefined clears) the variable in the URL, which Grafana's dashboard state follows. */
export function setVariable(name: string, value: string | undefined): void {
  locationService.partial({ [`var-${name}`]: value ?? null }, true);
}

/**
 * What reading one Elastic job collects: its problems (each with the JSON path it is about), its warnings and
 * the keys it accepted without effect; and the typed reads every part of the job shares.
 */
import { referenceOfElasticField } from '../fieldName.ts';
import { DETECTOR, LEVELS, ML_CATEGORY, type Level } from './vocabulary.ts';

export type Obj = Record<string, unknown>;

export interface JobProblem {
  /** Where, in the job's JSON: "analysis_config.detectors[1].function"; "" for the text as a whole. */
  path: string;
  message: string;
}

/** Not given, as Elastic reads a field: absent, null or empty (Strings.isEmpty). */
export function absent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message quotes it, cut short. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function at(path: string, key: string | number): string {
  if (typeof key === 'number') {
    return `${path}[${key}]`;
  }
  return path === '' ? key : `${path}.${key}`;
}

/** Spelt alike: case, separators and a plural s aside, or one cut short of the other ("by_field"). */
function alike(a: string, b: string): boolean {
  const plain = (key: string) =>
    key
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .replace(/s$/, '');
  const [x, y] = [plain(a), plain(b)];
  return x === y || (Math.min(x.length, y.length) >= 5 && (x.startsWith(y) || y.startsWith(x)));
}

/** What an unknown key was probably meant to be: misspelt, or put at the wrong level. */
function hint(key: string, level: Level): string {
  const known = (l: Level) => [...l.read, ...l.unused];
  const near = known(level).find((k) => alike(k, key));
  if (near) {
    return `; did you mean "${near}"?`;
  }
  for (const other of LEVELS) {
    if (other === level) {
      continue;
    }
    if (known(other).includes(key)) {
      return `; it belongs in ${other.name}`;
    }
    const elsewhere = known(other).find((k) => alike(k, key));
    if (elsewhere) {
      return `; did you mean "${elsewhere}", which belongs in ${other.name}?`;
    }
  }
  return '; Elastic refuses it too';
}

export class Reader {
  readonly problems: JobProblem[] = [];
  readonly warnings: string[] = [];
  /** Paths of accepted keys that change nothing, for one warning at the end. */
  readonly unused: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Refuses keys Elastic does not know either: a typo would otherwise drop a setting without a word. */
  keys(obj: Obj, level: Level, path: string): void {
    for (const key of Object.keys(obj)) {
      if (level.read.includes(key) || level.silent.includes(key)) {
        continue;
      }
      if (level.unused.includes(key)) {
        this.unused.push(at(path, key));
        continue;
      }
      this.problem(
        at(path, key),
        `unknown field "${key}" in ${level === DETECTOR ? path : level.name}${hint(key, level)}`,
      );
    }
  }

  /** A string, or undefined when not given; a problem for anything but a string. */
  text(obj: Obj, key: string, path: string): string | undefined {
    const value = obj[key];
    if (absent(value)) {
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problem(at(path, key), `${at(path, key)} must be a string, got ${show(value)}`);
      return undefined;
    }
    return value;
  }

  object(obj: Obj, key: string, path: string): Obj | undefined {
    const value = obj[key];
    if (value === undefined || value === null) {
      return undefined;
    }
    if (!isObject(value)) {
      this.problem(at(path, key), `${at(path, key)} must be an object, got ${show(value)}`);
      return undefined;
    }
    return value;
  }

  /** The reference to the column an Elastic field name addresses; `label` says whose field it is. */
  field(name: string, path: string, label: string): string | undefined {
    if (name === ML_CATEGORY) {
      this.problem(
        path,
        `${label} "${ML_CATEGORY}" needs Elastic's categorization of messages, which Rarity does not do`,
      );
      return undefined;
    }
    const ref = referenceOfElasticField(name);
    if ('problem' in ref) {
      this.problem(path, `${label} ${show(name)} is not a usable column name: ${ref.problem}`);
      return undefined;
    }
    return ref.field;
  }
}

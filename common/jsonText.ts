/**
 * Strict JSON for text people paste: the same values as JSON.parse, but an error names its line, column and
 * position in every JavaScript engine alike (their JSON.parse messages differ), and a key given twice in one
 * object is refused, as Elasticsearch refuses it, instead of the last one silently winning.
 */

export class JsonTextError extends Error {
  constructor(
    readonly reason: string,
    /** 0-based offset into the text. */
    readonly position: number,
    /** 1-based. */
    readonly line: number,
    /** 1-based, in UTF-16 code units. */
    readonly column: number,
  ) {
    super(`Invalid JSON at line ${line}, column ${column} (position ${position}): ${reason}`);
    this.name = 'JsonTextError';
  }
}

/** Nesting this deep is no job body; stopping here keeps the recursion far from the engine's stack limit. */
const MAX_DEPTH = 200;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

function describe(text: string, at: number): string {
  if (at >= text.length) {
    return 'the end of the text';
  }
  const char = String.fromCodePoint(text.codePointAt(at)!);
  return /[\p{Cc}\p{Cf}\p{Z}]/u.test(char)
    ? `character U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
    : JSON.stringify(char);
}

/** Parses text[start, end) as one JSON value. */
export function parseJsonText(text: string, start = 0, end = text.length): unknown {
  const source = text.slice(0, end);
  let i = start;

  const fail = (reason: string, at = i): never => {
    const before = source.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    throw new JsonTextError(reason, at, line, column);
  };
  const expected = (what: string): never => fail(`expected ${what}, found ${describe(source, i)}`);

  const skip = () => {
    WHITESPACE.lastIndex = i;
    WHITESPACE.exec(source);
    i = WHITESPACE.lastIndex;
  };

  const string = (): string => {
    const open = i;
    i += 1;
    while (i < source.length) {
      const c = source.charCodeAt(i);
      if (c === 0x22) {
        i += 1;
        return JSON.parse(source.slice(open, i)) as string;
      }
      if (c === 0x5c) {
        const next = source[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
            fail('\\u must be followed by four hexadecimal digits');
          }
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          i += 2;
        } else {
          fail(`invalid escape ${next === undefined ? '\\ at the end' : `\\${next}`} in a string`);
        }
      } else if (c < 0x20) {
        fail(`${describe(source, i)} inside a string; write it as an escape such as \\n`);
      } else {
        i += 1;
      }
    }
    return fail('unterminated string: a closing double quote is missing', open);
  };

  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) {
      fail(`nested deeper than ${MAX_DEPTH} levels`);
    }
    skip();
    const c = source[i];
    if (c === '{') {
      return object(depth);
    }
    if (c === '[') {
      return array(depth);
    }
    if (c === '"') {
      return string();
    }
    for (const [word, literal] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (source.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(source);
    if (number) {
      i = NUMBER.lastIndex;
      return Number(number[0]);
    }
    return expected('a value (an object, array, string, number, true, false or null)');
  };

  const object = (depth: number): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    const seen = new Set<string>();
    i += 1;
    skip();
    if (source[i] === '}') {
      i += 1;
      return result;
    }
    for (;;) {
      skip();
      if (source[i] !== '"') {
        expected('a property name in double quotes');
      }
      const keyAt = i;
      const key = string();
      if (seen.has(key)) {
        fail(`duplicate key "${key}" in one object`, keyAt);
      }
      seen.add(key);
      skip();
      if (source[i] !== ':') {
        expected(`":" after the property name "${key}"`);
      }
      i += 1;
      // defineProperty, not assignment: a key "__proto__" is data here, as it is for JSON.parse.
      Object.defineProperty(result, key, {
        value: value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      skip();
      if (source[i] === ',') {
        i += 1;
        continue;
      }
      if (source[i] === '}') {
        i += 1;
        return result;
      }
      expected(`"," or "}" after the value of "${key}"`);
    }
  };

  const array = (depth: number): unknown[] => {
    const result: unknown[] = [];
    i += 1;
    skip();
    if (source[i] === ']') {
      i += 1;
      return result;
    }
    for (;;) {
      result.push(value(depth + 1));
      skip();
      if (source[i] === ',') {
        i += 1;
        continue;
      }
      if (source[i] === ']') {
        i += 1;
        return result;
      }
      expected('"," or "]" after an array item');
    }
  };

  const result = value(0);
  skip();
  if (i < source.length) {
    expected('the end of the text after the JSON value');
  }
  return result;
}

/**
 * Values people send are repeated in error messages so they can see what was wrong, but never whole: a 10 MB
 * field name must not come back as a 10 MB error, nor be written to the log ten times over.
 */
import { MAX_ECHO_CHARS } from './limits.ts';

/** `text` cut to `max` characters (never inside a surrogate pair), saying how long it was. */
export function truncateEcho(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) {
    return text;
  }
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) {
    end -= 1;
  }
  return `${text.slice(0, end)}… (${text.length.toLocaleString('en')} characters)`;
}

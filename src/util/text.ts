/** Text rules shared by every input: NFC normalisation, search folding, code format. */

export const CODE_PATTERN = /^[A-Z0-9_.-]{1,64}$/;
export const CODE_RULE = '1 to 64 characters among A-Z, 0-9, "_", "." and "-"';

/** NFC-normalised and trimmed: "Phong Điền" typed with combining marks equals the precomposed one. */
export function nfc(value: string): string {
  return value.normalize('NFC').trim();
}

/** Lower case, no diacritics, "đ" → "d": what unit search compares. */
export function foldForSearch(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Control characters other than tab, newline and carriage return. */
export function hasControlCharacters(value: string): boolean {
  return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value);
}

/** How much of a client's value a message echoes. */
export const ECHO_MAX = 64;

/**
 * A client's value as a message may echo it: in double quotes, at most
 * `max` characters (then an ellipsis), so that a 10 KB code is not sent back
 * whole. Cut between code points, never inside a surrogate pair.
 */
export function quoted(value: unknown, max = ECHO_MAX): string {
  const text = String(value);
  const chars = Array.from(text.length > max * 2 + 2 ? text.slice(0, max * 2 + 2) : text);
  return chars.length > max ? `"${chars.slice(0, max).join('')}…"` : `"${text}"`;
}

/**
 * Characters that steer bidirectional display: embeddings and overrides
 * (U+202A–U+202E), isolates (U+2066–U+2069), the marks U+200E, U+200F and
 * U+061C. In a name they can make one text display as another.
 */
const BIDI_CONTROLS = /[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]/u;

/**
 * Characters that show nothing: format characters (zero-width spaces and
 * joiners, the BOM, soft hyphens, ...), separators and other spaces, marks
 * alone, and the Hangul and Braille fillers that render blank.
 */
const INVISIBLE = /[\p{Cf}\p{Z}\s\p{M}\u115F\u1160\u3164\uFFA0\u2800]/gu;

export const VISIBLE_TEXT_RULE = 'letters, digits, punctuation and spaces, with at least one visible character and no bidirectional controls (U+200E, U+200F, U+061C, U+202A–U+202E, U+2066–U+2069)';

/** Why `value` is no fit for a name or label, or null: only invisible characters, or bidi controls. */
export function invisibleTextProblem(value: string): string | null {
  if (BIDI_CONTROLS.test(value)) return 'contains a bidirectional control character';
  if (value.replace(INVISIBLE, '') === '') return 'has no visible character';
  return null;
}

/**
 * A message with every double-quoted value in it cut to `max` characters:
 * for messages that libraries write (graphql-js quotes a variable's or a
 * field's whole value, "Variable "$y" got invalid value "…"").
 */
export function shortenQuotedValues(message: string, max = ECHO_MAX): string {
  if (message.length <= max + 80) return message;
  return message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) => {
    const chars = Array.from(inner);
    if (chars.length <= max) return whole;
    // Never end inside an escape sequence.
    const cut = chars.slice(0, max).join('').replace(/\\(?:u[0-9a-fA-F]{0,3})?$/, '');
    return `"${cut}…"`;
  });
}

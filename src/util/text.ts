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

import { invalid } from '../errors/app-error';

/** A page's size when `first` is omitted or null (the contract's `first: Int = 20`). */
export const DEFAULT_PAGE_SIZE = 20;
/** The largest page `first` may ask for. */
export const MAX_PAGE_SIZE = 100;

/** Opaque cursors: base64url of a JSON array of the sort key. */
export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key of a cursor this service made, its parts of the given
 * types; anything else (garbage, another list's cursor, a NUL that
 * PostgreSQL would refuse) is BAD_USER_INPUT on `field`.
 */
export function decodeCursor<T extends ('string' | 'number')[]>(
  cursor: string, field: string, types: readonly [...T],
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  try {
    if (cursor.length > 1000) throw new Error('too long');
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === types.length && key.every((k, i) => typeof k === types[i]
      && (typeof k !== 'string' || !k.includes('\u0000')) && (typeof k !== 'number' || Number.isFinite(k)))) {
      return key as { [K in keyof T]: T[K] extends 'string' ? string : number };
    }
  } catch {
    // fall through
  }
  throw invalid(field, `${field} is not a cursor returned by this query`);
}

export interface Page<T> {
  items: { node: T; cursor: string }[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}

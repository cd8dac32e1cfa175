import { invalid } from '../errors/app-error';

/** Opaque cursors: base64url of a JSON array of the sort key. */
export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field: string, length: number): (string | number)[] {
  try {
    if (cursor.length > 1000) throw new Error('too long');
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === length && key.every((k) => typeof k === 'string' || typeof k === 'number')) {
      return key as (string | number)[];
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

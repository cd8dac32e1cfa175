import { createHash, randomBytes } from 'node:crypto';

/** Tokens are random 256-bit secrets; only their SHA-256 hex digest is stored and compared. */
export function generateToken(prefix: 'par_a' | 'par_k'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

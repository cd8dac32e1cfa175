import { AppError, ErrorCode, toGraphQLCode } from '../errors/app-error';

/**
 * A refusal of an Excel or CSV endpoint: an HTTP status, the contract's
 * code, and a message that says what is allowed.
 */
export class DocumentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}

/** HTTP status of each contract code. */
export const STATUS_OF_CODE: Record<string, number> = {
  BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409,
  QUERY_TOO_COMPLEX: 400, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503, INTERNAL_SERVER_ERROR: 500,
};

/**
 * The refusal an endpoint of files (documents, evidence) answers for `e`:
 * a DocumentError as it is, an AppError by its contract code's status
 * (SERVICE_BUSY: 429, retried); null for anything else (a fault).
 */
export function refusalOf(e: unknown): DocumentError | null {
  if (e instanceof DocumentError) return e;
  if (!(e instanceof AppError)) return null;
  const code = toGraphQLCode(e.code);
  return new DocumentError(e.code === ErrorCode.SERVICE_BUSY ? 429 : STATUS_OF_CODE[code] ?? 500, code, e.message, e.field);
}

/** A refusal's JSON body, as GraphQL writes an error: its message, code and field. */
export const refusalBody = (e: DocumentError) => ({ errors: [{ message: e.message, extensions: { code: e.code, ...(e.field ? { field: e.field } : {}) } }] });

export const badParam = (name: string, message: string) => new DocumentError(400, 'BAD_USER_INPUT', message, name);

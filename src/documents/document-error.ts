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

export const badParam = (name: string, message: string) => new DocumentError(400, 'BAD_USER_INPUT', message, name);

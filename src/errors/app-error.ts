/**
 * Every refusal the service makes is an AppError with a code from this one
 * enum. `toGraphQLCode` maps each to the contract's `extensions.code`.
 */
export enum ErrorCode {
  // BAD_USER_INPUT
  INVALID_INPUT = 'INVALID_INPUT',
  INVALID_SUBMISSION = 'INVALID_SUBMISSION',
  // BAD_USER_INPUT at the HTTP edge (src/http/guards.ts): the request itself, before any GraphQL
  MALFORMED_REQUEST = 'MALFORMED_REQUEST',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  // QUERY_TOO_COMPLEX at the edge: the document's bytes, before it is parsed
  DOCUMENT_TOO_LARGE = 'DOCUMENT_TOO_LARGE',
  // NOT_FOUND
  UNIT_NOT_FOUND = 'UNIT_NOT_FOUND',
  CYCLE_NOT_FOUND = 'CYCLE_NOT_FOUND',
  CRITERION_NOT_FOUND = 'CRITERION_NOT_FOUND',
  DOMAIN_NOT_FOUND = 'DOMAIN_NOT_FOUND',
  QUESTIONNAIRE_NOT_FOUND = 'QUESTIONNAIRE_NOT_FOUND',
  KIOSK_NOT_FOUND = 'KIOSK_NOT_FOUND',
  /** revokeToken: no API token has that id. */
  TOKEN_NOT_FOUND = 'TOKEN_NOT_FOUND',
  BAND_NOT_FOUND = 'BAND_NOT_FOUND',
  /** An evidence file or explanation request the caller may not see reads as absent too. */
  EVIDENCE_NOT_FOUND = 'EVIDENCE_NOT_FOUND',
  EXPLANATION_REQUEST_NOT_FOUND = 'EXPLANATION_REQUEST_NOT_FOUND',
  /** withdrawExpertScore: no score stored for that unit, leaf, round and panelist. */
  SCORE_NOT_FOUND = 'SCORE_NOT_FOUND',
  // CONFLICT
  UNIT_CODE_TAKEN = 'UNIT_CODE_TAKEN',
  CYCLE_PUBLISHED = 'CYCLE_PUBLISHED',
  CYCLE_STATUS = 'CYCLE_STATUS',
  QUESTION_IN_USE = 'QUESTION_IN_USE',
  /** Scores for a unit in a year outside its years (units over time). */
  UNIT_NOT_IN_YEAR = 'UNIT_NOT_IN_YEAR',
  /** Evidence outside the unit's self-assessment window with no unanswered explanation request on the leaf. */
  EVIDENCE_CLOSED = 'EVIDENCE_CLOSED',
  /** An evidence file an answer points to cannot be removed. */
  EVIDENCE_IN_USE = 'EVIDENCE_IN_USE',
  /** An explanation request closed, or past its due date for an answer. */
  EXPLANATION_STATE = 'EXPLANATION_STATE',
  /** Scores of a round outside its window (round windows): the message gives the window in Vietnam time. */
  ROUND_CLOSED = 'ROUND_CLOSED',
  // auth
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  INVALID_TOKEN = 'INVALID_TOKEN',
  FORBIDDEN = 'FORBIDDEN',
  // protection and faults
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  RATE_LIMITED = 'RATE_LIMITED',
  /** No database connection freed up within DB_POOL_WAIT_MS: the service is busy, not down. */
  SERVICE_BUSY = 'SERVICE_BUSY',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
}

export type GraphQLErrorCode =
  | 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT'
  | 'QUERY_TOO_COMPLEX' | 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE' | 'INTERNAL_SERVER_ERROR';

const mapping: Record<ErrorCode, GraphQLErrorCode> = {
  INVALID_INPUT: 'BAD_USER_INPUT',
  INVALID_SUBMISSION: 'BAD_USER_INPUT',
  MALFORMED_REQUEST: 'BAD_USER_INPUT',
  METHOD_NOT_ALLOWED: 'BAD_USER_INPUT',
  PAYLOAD_TOO_LARGE: 'BAD_USER_INPUT',
  UNSUPPORTED_MEDIA_TYPE: 'BAD_USER_INPUT',
  DOCUMENT_TOO_LARGE: 'QUERY_TOO_COMPLEX',
  UNIT_NOT_FOUND: 'NOT_FOUND',
  CYCLE_NOT_FOUND: 'NOT_FOUND',
  CRITERION_NOT_FOUND: 'NOT_FOUND',
  DOMAIN_NOT_FOUND: 'NOT_FOUND',
  QUESTIONNAIRE_NOT_FOUND: 'NOT_FOUND',
  KIOSK_NOT_FOUND: 'NOT_FOUND',
  TOKEN_NOT_FOUND: 'NOT_FOUND',
  BAND_NOT_FOUND: 'NOT_FOUND',
  EVIDENCE_NOT_FOUND: 'NOT_FOUND',
  EXPLANATION_REQUEST_NOT_FOUND: 'NOT_FOUND',
  SCORE_NOT_FOUND: 'NOT_FOUND',
  UNIT_CODE_TAKEN: 'BAD_USER_INPUT',
  CYCLE_PUBLISHED: 'CONFLICT',
  CYCLE_STATUS: 'CONFLICT',
  QUESTION_IN_USE: 'CONFLICT',
  UNIT_NOT_IN_YEAR: 'CONFLICT',
  EVIDENCE_CLOSED: 'CONFLICT',
  EVIDENCE_IN_USE: 'CONFLICT',
  EXPLANATION_STATE: 'CONFLICT',
  ROUND_CLOSED: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INVALID_TOKEN: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_BUSY: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

export function toGraphQLCode(code: ErrorCode): GraphQLErrorCode {
  return mapping[code];
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, as a path from the argument: "input.domains[0].criteria[1].maxPoints". */
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Shorthand for the most common refusal: bad input in one field. */
export function invalid(field: string, message: string): AppError {
  return new AppError(ErrorCode.INVALID_INPUT, message, field);
}

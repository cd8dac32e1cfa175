import { ErrorCode, toGraphQLCode, type GraphQLErrorCode } from './app-error';

/**
 * The HTTP status of every refusal the service answers outside a GraphQL
 * response (the HTTP edge, src/http/guards.ts): one table, by the contract's
 * code, so that a code means the same status wherever it is raised, with
 * the few codes whose status is more precise than their contract code's.
 * Refusals inside a GraphQL response keep 200 (or Apollo's own status).
 */
const BY_CONTRACT_CODE: Record<GraphQLErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUERY_TOO_COMPLEX: 400,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

const MORE_PRECISE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.DOCUMENT_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
};

export function httpStatusOf(code: ErrorCode): number {
  return MORE_PRECISE[code] ?? BY_CONTRACT_CODE[toGraphQLCode(code)];
}

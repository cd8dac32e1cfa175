import type { ValidationError } from 'class-validator';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { Logger } from '../config/logger';
import { AppError, toGraphQLCode } from './app-error';
import { shortenQuotedValues } from '../util/text';

/** The refusals API.md names; any other code a library puts on a request error becomes BAD_USER_INPUT. */
const CONTRACT_CODES = new Set(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE']);

/** Errors of the database driver that mean "PostgreSQL is not reachable now". */
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03']);

/** PostgreSQL refusing more connections (too_many_connections): busy, not down. */
const busyCodes = new Set(['53300']);

interface DriverError { code?: string; message?: string; driverError?: unknown; cause?: unknown }

/** Whether the error, or one it wraps (TypeORM's driverError, a cause), is one `test` recognises. */
function inCauseChain(error: unknown, test: (e: DriverError) => boolean): boolean {
  let e = error as DriverError | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (test(e)) return true;
    e = (e.driverError ?? e.cause) as DriverError | undefined;
  }
  return false;
}

/** A statement cut off by statement_timeout or the client's query timeout: retryable, but the database is up. */
export function isStatementTimeout(error: unknown): boolean {
  return inCauseChain(error, (e) => e.code === '57014' || /Query read timeout/i.test(e.message ?? ''));
}

/**
 * Text PostgreSQL cannot store: a NUL character (22021) or one the database
 * encoding lacks (22P05). Only input text reaches the database, so this is
 * always the caller's input (e.g. "\u0000" in a search string or a code).
 */
export function isUnstorableText(error: unknown): boolean {
  return inCauseChain(error, (e) => e.code === '22021' || e.code === '22P05');
}

/** The server is up but has no room for this work now: answered RATE_LIMITED with Retry-After, readiness untouched. */
export function isDatabaseBusy(error: unknown): boolean {
  return inCauseChain(error, (e) => e.code !== undefined && busyCodes.has(e.code));
}

/**
 * A connection to PostgreSQL could not be opened or was cut. A wait for a
 * pooled connection is not one of these (the pool gate answers it as busy,
 * src/db/pool-gate.ts), and neither is a refused connection (isDatabaseBusy).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return inCauseChain(error, (e) => (e.code !== undefined && unavailableCodes.has(e.code))
    || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i
      .test(e.message ?? ''));
}

function firstConstraint(errors: ValidationError[], prefix: string): { field: string; message: string } | undefined {
  for (const err of errors) {
    const path = prefix ? `${prefix}.${err.property}` : err.property;
    if (err.constraints) {
      const message = String(Object.values(err.constraints)[0]);
      return { field: path, message };
    }
    if (err.children?.length) {
      const inner = firstConstraint(err.children, /^\d+$/.test(err.property) ? `${prefix}[${err.property}]` : path);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * The one mapping from thrown errors to the contract's GraphQL errors:
 * AppError → its code; class-validator failures → BAD_USER_INPUT with the
 * field; GraphQL's own validation errors pass through; anything else is
 * INTERNAL_SERVER_ERROR with no stack, SQL or path, and is logged.
 * `onDatabaseUnavailable` is told of connection errors (the health probe
 * then checks on its own connection whether the database is down).
 */
export function createErrorFormatter(logger: Logger, onDatabaseUnavailable: () => void = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    // graphql-js quotes a client's whole value in its messages: at most 64 characters of it go back.
    const base = { message: shortenQuotedValues(formatted.message), locations: formatted.locations, path: formatted.path };
    if (original instanceof AppError) {
      return {
        ...base,
        message: original.message,
        extensions: {
          code: toGraphQLCode(original.code),
          reason: original.code,
          ...(original.field ? { field: original.field } : {}),
          ...(original.details ?? {}),
        },
      };
    }
    if (original instanceof ArgumentValidationError) {
      const first = firstConstraint(original.extensions.validationErrors, '');
      return {
        ...base,
        message: first ? `${first.field}: ${first.message}` : 'Argument validation failed',
        extensions: { code: 'BAD_USER_INPUT', ...(first ? { field: first.field } : {}) },
      };
    }
    const code = formatted.extensions?.code as string | undefined;
    if (isDatabaseBusy(original)) {
      return {
        ...base, message: 'The service is busy: the database takes no more connections now; nothing was stored. Retry in 1 s.',
        extensions: { code: 'RATE_LIMITED', reason: 'SERVICE_BUSY', retryAfter: 1 },
      };
    }
    if (isDatabaseUnavailable(original)) {
      onDatabaseUnavailable();
      return { ...base, message: 'The database is unavailable; nothing was stored. Retry the same request later.', extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    if (isStatementTimeout(original)) {
      return { ...base, message: 'The database did not answer in time; nothing was stored. Retry the same request later.', extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'STATEMENT_TIMEOUT' } };
    }
    if (isUnstorableText(original)) {
      return { ...base, message: 'The input holds a character that cannot be stored (such as NUL, "\\u0000"); remove it.', extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_CHARACTER' } };
    }
    if (code && code !== 'INTERNAL_SERVER_ERROR') {
      // GraphQL parse/validation errors and Apollo's own user-facing codes.
      // Apollo's other request errors (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST,
      // OPERATION_RESOLUTION_FAILURE, PERSISTED_QUERY_NOT_FOUND/_SUPPORTED) are the caller's: BAD_USER_INPUT.
      const mapped = CONTRACT_CODES.has(code) ? code : 'BAD_USER_INPUT';
      return { ...base, extensions: { code: mapped, ...(mapped !== code ? { reason: code } : {}) } };
    }
    if (error instanceof GraphQLError && !error.originalError) {
      // Variable coercion errors ("Variable "$x" got invalid value …") are input errors.
      return { ...base, extensions: { code: 'BAD_USER_INPUT' } };
    }
    logger.error('unexpected error', { error: String((original as Error)?.stack ?? original) });
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

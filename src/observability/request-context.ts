import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { slot } from '../util/async-context';

/**
 * What is known of the HTTP request being served, for logs, metrics and
 * traces: its id from the start, its operation and outcome once Apollo has
 * them (src/observability/apollo-plugin.ts). Set for the whole handling of a
 * request by src/observability/http.ts, so that every log line written on
 * its behalf (services included) carries `requestId` without being passed it.
 */
export interface RequestInfo {
  requestId: string;
  /** The route family (graphql, export, healthz, ...): a bounded label. */
  route: string;
  /** `query rankings`, `mutation submitSurveyResponse`, ...: the operation type and its root fields. */
  operation?: string;
  /** `ok`, or the contract code of the first error (BAD_USER_INPUT, RATE_LIMITED, ...). */
  outcome?: string;
  /** Set when the answer refuses the request as RATE_LIMITED: why (COST_RATE, DB_TIME, SERVICE_BUSY, ...). */
  rateLimitReason?: string;
  /** Answered from the response cache. */
  cacheHit?: boolean;
  /** The active trace span, when tracing is on (src/observability/tracing.ts). */
  span?: unknown;
}

export const requestContext = slot<RequestInfo>('info');

const CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

/**
 * Notes how an error answer written outside Apollo ended, from its body
 * (`{"errors":[{"extensions":{"code","reason"}}]}`, as JSON text or as the
 * object about to be written): its contract code, and a RATE_LIMITED one's
 * reason (the per-IP request rate is the one refusal that names none). On
 * the request being served unless `info` is given; the first note stands.
 * Not JSON: the status says enough.
 */
export function noteErrorAnswer(body: unknown, info: RequestInfo | undefined = requestContext.getStore()): void {
  if (!info || info.outcome !== undefined) return;
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return;
    }
  }
  const x = (parsed as { errors?: { extensions?: { code?: unknown; reason?: unknown } }[] } | null)?.errors?.[0]?.extensions;
  if (typeof x?.code === 'string' && CODE.test(x.code)) info.outcome = x.code;
  if (x?.code === 'RATE_LIMITED') info.rateLimitReason = typeof x.reason === 'string' && x.reason !== 'RATE_LIMITED' ? x.reason : 'REQUEST_RATE';
}

/** Notes that the request being served (or `info`'s) was answered from the response cache. */
export function noteCacheHit(info: RequestInfo | undefined = requestContext.getStore()): void {
  if (info) info.cacheHit = true;
}

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The request's id: the client's `X-Request-Id` when it is a plain token of
 * at most 100 characters (letters, digits, `. _ : -`), else a fresh UUID.
 * The header is rewritten to the id chosen, so that every handler reading it
 * (app.ts answers it back) agrees with the logs.
 */
export function assignRequestId(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && CLIENT_ID.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  return id;
}

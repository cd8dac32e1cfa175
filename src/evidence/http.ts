import type http from 'node:http';
import { auditActorOf, withAuditActor } from '../audit';
import type { Principal } from '../auth/principal';
import type { Logger } from '../config/logger';
import type { DatabaseHealth } from '../db/database-health';
import { requestScope, type RequestScope } from '../db/pool-gate';
import { DocumentError, refusalBody, refusalOf } from '../documents/document-error';
import { Role } from '../entities/enums';
import { AppError, ErrorCode, toGraphQLCode } from '../errors/app-error';
import { sendJson as sendEdgeJson, type AnonymousRate } from '../http/guards';
import { CallerBudgets } from '../protection/caller-budgets';
import { requireRole } from './access';
import type { EvidenceService } from './evidence.service';
import { judgeType } from './sniff';
import { declaredTooLarge, readEvidenceUpload } from './upload';

/**
 * Evidence files over HTTP (API.md, "Evidence files"):
 *   POST /evidence        multipart/form-data: year, unitCode, criterionCode, optional note, one file
 *   GET  /evidence/{id}   the bytes, to the unit itself, APPRAISER, ANALYST and ADMIN; 404 to anyone else
 * Each request is admitted and charged to its caller as a GraphQL request
 * is (src/protection/caller-budgets.ts); anonymous ones take from their IP's
 * token bucket.
 */
export interface EvidenceDeps {
  auth: { authenticate(header: string | undefined): Promise<Principal | null> };
  evidence: EvidenceService;
  logger: Logger;
  health: DatabaseHealth;
  budgets: CallerBudgets;
  /** The anonymous per-IP limit of /graphql (shared by every instance with Redis: src/shared-state). */
  anonymousRate: AnonymousRate;
  /** MAX_EVIDENCE_BYTES. */
  maxBytes: number;
}

export type EvidenceHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> | false;

const PATH = /^\/evidence(?:\/([^/]*))?$/;

/** The edge's JSON answer (src/http/guards.ts), never stored by a cache. */
function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendEdgeJson(res, status, body, { 'cache-control': 'no-store', ...headers });
}

/**
 * Content-Disposition carrying a file's original name: an ASCII fallback
 * (diacritics dropped, "đ" as "d", anything else outside [A-Za-z0-9._-]
 * as "_") and the exact UTF-8 name as RFC 5987/6266 `filename*`.
 */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/\p{M}+/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^A-Za-z0-9._-]+/g, '_') || 'evidence';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function createEvidenceHandler(deps: EvidenceDeps): EvidenceHandler {
  const { evidence, logger, health, budgets, anonymousRate, maxBytes } = deps;

  async function principalOf(req: http.IncomingMessage): Promise<Principal | null> {
    const ip = req.socket.remoteAddress ?? 'unknown';
    let principal: Principal | null;
    try {
      principal = await deps.auth.authenticate(req.headers.authorization);
    } catch (e) {
      if (e instanceof AppError && e.code !== ErrorCode.SERVICE_BUSY && e.code !== ErrorCode.SERVICE_UNAVAILABLE) {
        // A refused token costs its IP like an anonymous request: guessing tokens is rate-limited too.
        if (!(await anonymousRate.take(ip))) throw new DocumentError(429, 'RATE_LIMITED', `Too many requests from ${ip}`);
        throw new DocumentError(401, toGraphQLCode(e.code), e.message);
      }
      throw e;
    }
    if (principal === null && !(await anonymousRate.take(ip))) throw new DocumentError(429, 'RATE_LIMITED', `Too many requests from ${ip}`);
    return principal;
  }

  async function upload(req: http.IncomingMessage, res: http.ServerResponse, principal: Principal | null): Promise<void> {
    const caller = requireRole(principal, 'POST /evidence', [Role.UNIT, Role.ADMIN]);
    // The fields sent before the file are checked before a byte of it is read; all of them again when it is stored.
    const file = await readEvidenceUpload(req, maxBytes, async (fields) => {
      if (fields.year !== undefined && fields.unitCode !== undefined && fields.criterionCode !== undefined) await evidence.target(caller, fields);
    });
    const contentType = await judgeType(file.chunks, file.bytes);
    const { row } = await withAuditActor(auditActorOf(caller), () => evidence.store(caller, file, contentType));
    sendJson(res, 201, { id: row.id, sha256: row.sha256, bytes: row.bytes, contentType: row.contentType, fileName: row.fileName });
  }

  async function download(req: http.IncomingMessage, res: http.ServerResponse, principal: Principal | null, id: string): Promise<void> {
    const row = await evidence.readable(principal, id);
    if (!row) throw new DocumentError(404, 'NOT_FOUND', `No evidence file ${JSON.stringify(id.slice(0, 64))} that this caller may read`);
    res.writeHead(200, {
      'content-type': row.contentType, 'content-length': String(row.bytes), 'content-disposition': contentDisposition(row.fileName),
      'cache-control': 'private, no-store', etag: `"${row.sha256}"`, 'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return void res.end();
    // One chunk in memory at a time, waiting for the client to take each.
    for (let seq = 0; seq < row.chunks; seq++) {
      const data = await evidence.chunk(row.sha256, seq);
      if (res.destroyed) return;
      if (!res.write(data)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    }
    res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, scope: RequestScope): Promise<void> {
    const id = PATH.exec(url.pathname)![1];
    const isUpload = id === undefined;
    const method = isUpload ? 'POST' : 'GET';
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      throw new DocumentError(405, 'BAD_USER_INPUT', isUpload ? 'Use POST on /evidence (multipart/form-data)' : 'Use GET on /evidence/{id}');
    }
    if (isUpload) {
      const refusal = declaredTooLarge(req, maxBytes);
      if (refusal) throw refusal;
    }
    if (!health.ready) throw new DocumentError(503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; nothing was read or stored. Retry the same request later.');
    const principal = await principalOf(req);
    if (principal?.kind === 'kiosk') {
      if (!isUpload) throw new DocumentError(404, 'NOT_FOUND', 'No evidence file that this caller may read');
      throw new DocumentError(403, 'FORBIDDEN', 'A kiosk token may only submit survey responses');
    }
    const caller = CallerBudgets.callerOf(principal, req.socket.remoteAddress ?? 'unknown');
    scope.caller = caller.key;
    scope.lateCharge = (ms) => budgets.chargeDbTime(caller, ms);
    const admission = await budgets.admit(caller);
    if ('refusal' in admission) {
      throw new DocumentError(429, 'RATE_LIMITED', `${admission.refusal.message}. Retry in ${admission.refusal.retryAfter} s`);
    }
    try {
      await (isUpload ? upload(req, res, principal) : download(req, res, principal, decodeURIComponent(id)));
    } finally {
      admission.done(scope.dbMs);
    }
  }

  return (req, res, url) => {
    if (!PATH.test(url.pathname)) return false;
    const scope: RequestScope = { dbMs: 0 };
    return requestScope.run(scope, async () => {
      try {
        await handle(req, res, url, scope);
      } catch (e) {
        if (res.headersSent) {
          logger.error('an evidence file failed while it was being sent', { path: url.pathname, error: String((e as Error)?.stack ?? e) });
          res.destroy();
          return;
        }
        const refusal = e instanceof URIError ? new DocumentError(404, 'NOT_FOUND', 'No evidence file with that id') : refusalOf(e);
        if (!refusal) {
          // The body was read to its end, so Node sees the request as done: answer here rather than let it pass for a client abort.
          if (req.aborted || res.destroyed) return;
          logger.error('an evidence request failed', { path: url.pathname, error: String((e as Error)?.stack ?? e) });
          return sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        }
        const headers: Record<string, string> = refusal.status === 429 ? { 'retry-after': '1' } : refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
        sendJson(res, refusal.status, refusalBody(refusal), headers);
      } finally {
        scope.finished = true;
      }
    });
  };
}

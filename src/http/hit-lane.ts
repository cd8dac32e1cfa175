import { AsyncResource } from 'node:async_hooks';
import type http from 'node:http';
import { hasToken } from '../auth/principal';
import { ResponseCache, type CachedResponse } from '../cache/response-cache';
import { noteCacheHit, requestContext, type RequestInfo } from '../observability/request-context';
import { checkBodyHeaders, passGuards, readBodyText, type BodyRead, type EdgeRequest, type Guard } from './guards';
import { SECURITY_HEADERS } from './headers';

/**
 * The hit lane of /graphql: an anonymous reader's request whose answer this
 * process keeps (`ResponseCache.kept`) is answered in the turn its body
 * arrives. No promise, no Apollo, no JSON parsing; its headers go out in
 * one `writeHead` from a list made once per kept answer (set one at a time
 * with `setHeader`, each checked and stored on its own, they cost more than
 * the rest of the hit together).
 *
 * Its text passed the whole edge when the answer was stored, and the edge's
 * guards read nothing but that text and the configuration; what may have
 * changed since (the database's health, the IP's rate: `guards`) is checked
 * again, and refused as the edge refuses (`refuse`).
 *
 * Everything else goes on to `pass`: a token, a body that is not JSON or is
 * over the limit, a text with no kept answer, a request CORS answers for;
 * with the body already read, in the request's async context (its request
 * id in the logs, its trace), as if the lane were not there.
 */
export interface HitLaneOptions {
  /** The fresh answer kept in this process for a key, as ResponseStore.kept gives it (notes no miss). */
  kept: (key: string) => CachedResponse | undefined;
  maxBodyBytes: number;
  /** What a kept answer is checked for again, in order (the database's health, the anonymous rate). */
  guards: readonly Guard[];
  /** Whether CORS adds headers to this request's answer (the lane writes none: such a request goes on). */
  corsApplies: (req: http.IncomingMessage) => boolean;
  /** Answers a refusal of `guards` (with the standard headers) as the edge does. */
  refuse: (res: http.ServerResponse, requestId: string, error: unknown) => void;
}

/** The rest of the handling of a request the lane did not answer; `read`: its body, when the lane read it. */
export type Pass = (read?: BodyRead) => void;

export type HitLane = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string, pass: Pass) => void;

/** The request id's header: the last of a kept answer's header list, its value filled in for each answer. */
const ID_HEADER = 'x-request-id';

export function createHitLane(options: HitLaneOptions): HitLane {
  const { kept, maxBodyBytes, guards, corsApplies, refuse } = options;
  // Each kept answer's headers as the lane writes them: its own, the security headers, x-cache, and the id's slot last.
  const heads = new WeakMap<CachedResponse, string[]>();
  const headOf = (hit: CachedResponse): string[] => {
    let head = heads.get(hit);
    if (!head) {
      const all: Record<string, string> = { ...SECURITY_HEADERS };
      for (const name in hit.headers) if (name !== ID_HEADER && name !== 'x-cache') all[name] = hit.headers[name];
      head = [...Object.entries(all).flat(), 'x-cache', 'HIT', ID_HEADER, ''];
      heads.set(hit, head);
    }
    return head;
  };

  /** Answers `text`'s kept answer if there is one and the guards let it go; false: nothing kept for it. */
  const answer = (
    req: http.IncomingMessage, res: http.ServerResponse, url: URL, text: string, requestId: string, info: RequestInfo | undefined, scope?: AsyncResource,
  ): boolean => {
    const hit = kept(ResponseCache.key(ResponseCache.partition(null), req.method!, req.headers.accept, req.method === 'POST' ? text : url.search));
    if (!hit) return false;
    const edge: EdgeRequest = { req, url, ip: req.socket.remoteAddress ?? 'unknown', text, body: undefined, principal: null };
    const write = () => {
      const head = headOf(hit).slice();
      head[head.length - 1] = requestId;
      res.writeHead(hit.status, head);
      res.end(hit.encoded ?? hit.body);
      noteCacheHit(info);
    };
    const refused = (e: unknown) => (scope ? scope.runInAsyncScope(refuse, null, res, requestId, e) : refuse(res, requestId, e));
    let pending: void | Promise<void>;
    try {
      pending = passGuards(guards, edge);
    } catch (e) {
      refused(e);
      return true;
    }
    if (pending) pending.then(write, refused);
    else write();
    return true;
  };

  return (req, res, url, requestId, pass) => {
    if (hasToken(req.headers.authorization) || corsApplies(req)) return pass();
    if (req.method === 'GET') {
      if (!answer(req, res, url, '', requestId, requestContext.getStore())) pass();
      return;
    }
    try {
      checkBodyHeaders(req, maxBodyBytes);
    } catch {
      return pass(); // refused there, with its reason
    }
    // Read in this turn's callbacks, which may run outside the request's async context: it is taken along for what follows.
    const info = requestContext.getStore();
    const scope = new AsyncResource('PAR_HIT_LANE');
    readBodyText(req, maxBodyBytes, (read) => {
      if (!('text' in read) || !answer(req, res, url, read.text, requestId, info, scope)) scope.runInAsyncScope(pass, null, read);
    });
  };
}

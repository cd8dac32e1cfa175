import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { Kind } from 'graphql';
import type { Principal } from '../auth/principal';
import type { Context } from '../context';
import { operationCostKey } from '../protection/limits';
import type { OperationCost } from '../protection/cost';

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  expiresAt: number;
  bytes: number;
}

const PROVISIONAL = /"provisional"\s*:\s*true/;

/**
 * An in-memory LRU of whole HTTP answers, in front of GraphQL: a hit costs
 * one Map lookup, no parsing, no validation, no execution. What may be
 * stored is decided by the Cache-Control header the policy plugin below
 * sets; the key starts with the caller's role, so roles never share entries.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();
  private bytes = 0;

  constructor(private readonly maxEntries: number, private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxEntries > 0 && this.maxBytes > 0;
  }

  /** The partition of a caller: anonymous readers share one, each role has its own, each kiosk too. */
  static partition(principal: Principal | null): string {
    if (!principal) return 'anonymous';
    return principal.kind === 'kiosk' ? `KIOSK:${principal.kioskId}` : principal.role;
  }

  static key(partition: string, method: string, accept: string | undefined, request: string): string {
    return `${partition}\n${method}\n${accept ?? ''}\n${request}`;
  }

  get(key: string, now = Date.now()): CachedResponse | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    if (hit.expiresAt <= now) {
      this.bytes -= hit.bytes;
      return undefined;
    }
    this.entries.set(key, hit); // most recently used last
    return hit;
  }

  /** Stores the answer if its Cache-Control allows (public or private, max-age > 0). */
  offer(key: string, status: number, headers: Record<string, string>, body: string, now = Date.now()): void {
    if (!this.enabled || status !== 200) return;
    const cc = headers['cache-control'];
    const m = cc && /^(?:public|private), max-age=(\d+)$/.exec(cc);
    if (!m || m[1] === '0') return;
    // Belt and braces: provisional figures are never stored (JSON written by PostgreSQL spaces its colons).
    if (PROVISIONAL.test(body) || body.includes('"errors"')) return;
    const bytes = body.length * 2 + key.length * 2 + 200;
    if (bytes > this.maxBytes / 4) return;
    this.delete(key);
    this.entries.set(key, { status, headers, body, expiresAt: now + Number(m[1]) * 1000, bytes });
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      this.bytes -= e.bytes;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Types whose figures do not change with scores and survey responses:
 * units, frameworks, questionnaires, and the schema itself. Authenticated
 * callers may read provisional results, which change with every accepted
 * score, so their answers are cached only when they touch nothing else.
 */
const REFERENCE_TYPES = new Set([
  'Unit', 'UnitConnection', 'UnitEdge', 'PageInfo', 'Cycle', 'Domain', 'Criterion', 'Band', 'Question',
  'String', 'Int', 'Float', 'Boolean', 'ID', 'DateTime', 'UnitKind', 'CriterionSource', 'PanelAggregation',
  'CycleStatus', 'ServiceElement',
]);

/** Mutations that only add survey responses: they touch no published figure, so they keep the cache. */
const CACHE_KEEPING_MUTATIONS = new Set(['submitSurveyResponse', 'submitSurveyResponses']);

/**
 * Sets each answer's Cache-Control:
 * - anonymous queries: `public, max-age=N`. Anonymous readers only ever see
 *   published (immutable) results; unpublished years read as empty, and
 *   publishing clears the cache.
 * - authenticated queries on reference data only: `private, max-age=N`.
 * - everything else (results for authenticated roles, mutations, errors): `no-store`.
 * Any mutation other than survey submissions clears the response cache.
 */
export function cachePolicyPlugin(maxAgeSeconds: number, cache: ResponseCache): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async willSendResponse(rc) {
      const headers = rc.response.http.headers;
      // Answers differ by negotiated type, caller and (with CORS) origin: shared caches must key on all three.
      headers.set('vary', 'Accept, Authorization, Origin');
      const op = rc.operation;
      if (op?.operation === 'mutation') {
        const keeps = op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && CACHE_KEEPING_MUTATIONS.has(s.name.value));
        if (!keeps) cache.clear();
      }
      const analysis = (rc.contextValue as unknown as Record<symbol, OperationCost | undefined>)[operationCostKey];
      const ok = op?.operation === 'query' && analysis && rc.response.body.kind === 'single' && !rc.response.body.singleResult?.errors;
      if (!ok || maxAgeSeconds === 0) {
        headers.set('cache-control', 'no-store');
        return;
      }
      if (!rc.contextValue.principal) {
        headers.set('cache-control', `public, max-age=${maxAgeSeconds}`);
      } else if ([...analysis.types].every((t) => REFERENCE_TYPES.has(t))) {
        headers.set('cache-control', `private, max-age=${maxAgeSeconds}`);
      } else {
        headers.set('cache-control', 'no-store');
      }
    },
  };
  return { async requestDidStart() { return listener; } };
}

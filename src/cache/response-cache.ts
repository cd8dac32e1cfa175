import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Principal } from '../auth/principal';
import { Role } from '../entities/enums';
import type { Context } from '../context';
import { operationCostKey } from '../protection/limits';
import type { OperationCost } from '../protection/cost';
import { planOfContext, type QueryPlan } from '../query-plan/plan';
import { ROOT_FIELDS } from '../query-plan/root-fields';

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body as UTF-8, encoded once when stored (a hit then writes it without encoding it again); absent on answers read from Redis. */
  encoded?: Buffer;
  expiresAt: number;
  bytes: number;
  /** The years whose data the answer may depend on; null: any year (or it cannot tell). */
  years: ReadonlySet<number> | null;
}

/** What a data-changing mutation may have changed: every cached answer, or the answers that read these years. */
export type CacheChange = 'all' | { years: ReadonlySet<number> };

const PROVISIONAL = /"provisional"\s*:\s*true/;
/** How long a miss waits for its answer to be offered before its slot is given up (the HTTP request timeout bounds it). */
const PENDING_MS = 60_000;
/** Changes remembered for the offers of misses still running; an older miss is refused storage. */
const MAX_CHANGES_KEPT = 1000;

/** Whether a change to `changed` years (null: any) may alter an answer showing `shown` years (null: any). */
function touches(changed: ReadonlySet<number> | null, shown: ReadonlySet<number> | null): boolean {
  return changed === null || shown === null || [...shown].some((y) => changed.has(y));
}

/**
 * An in-memory LRU of whole HTTP answers, in front of GraphQL: a hit costs
 * one Map lookup, no parsing, no validation, no execution. What may be
 * stored is decided by the Cache-Control header the policy plugin below
 * sets; the key starts with the caller's role, so roles never share entries.
 *
 * A change (`invalidate`) drops the entries it may affect and advances a
 * generation. An answer is stored only if no change *to the years it reads*
 * happened between its miss and its offer: an answer read before a mutation
 * committed, and finished after the mutation emptied the cache, is not put
 * back, while kiosks' ratings of the open year (changes every second or so)
 * do not keep a published ranking's answer from being stored.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();
  /** Keys missed and not yet offered: the generation of the earliest miss. */
  private readonly pending = new Map<string, { generation: number; at: number }>();
  private generation = 0;
  /** The latest changes, oldest first, each with its generation: what an offer checks its years against. */
  private readonly changes: { generation: number; years: ReadonlySet<number> | null }[] = [];
  private bytes = 0;

  constructor(private readonly maxEntries: number, private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxEntries > 0 && this.maxBytes > 0;
  }

  /**
   * The partition of a caller: anonymous readers share one, each role has
   * its own, each kiosk too, and each UNIT token (it reads its own unit's
   * provisional figures: no other token may be served its answers).
   */
  static partition(principal: Principal | null): string {
    if (!principal) return 'anonymous';
    if (principal.kind === 'kiosk') return `KIOSK:${principal.kioskId}`;
    return principal.role === Role.UNIT ? `UNIT:${principal.tokenId}` : principal.role;
  }

  static key(partition: string, method: string, accept: string | undefined, request: string): string {
    return `${partition}\n${method}\n${accept ?? ''}\n${request}`;
  }

  get(key: string, now = Date.now()): CachedResponse | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return this.touched(key, hit);
    if (hit) this.delete(key);
    this.noteMiss(key, now);
    return undefined;
  }

  /**
   * The fresh answer held for the key, if any, as `get` gives it; a miss is
   * not noted (the hit lane, src/http/hit-lane.ts, looks here before the
   * request has passed the edge; src/app.ts notes its miss with `get` only
   * once it has).
   */
  kept(key: string, now = Date.now()): CachedResponse | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt > now ? this.touched(key, hit) : undefined;
  }

  /** A hit, moved to the most recently used end. */
  private touched(key: string, hit: CachedResponse): CachedResponse {
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** Whether a fresh answer is held for the key; notes nothing, moves nothing. */
  peek(key: string, now = Date.now()): boolean {
    const hit = this.entries.get(key);
    return hit !== undefined && hit.expiresAt > now;
  }

  /** A miss: its answer may be stored if nothing changes before it is offered. The earliest miss of a key counts. */
  private noteMiss(key: string, now: number): void {
    const earlier = this.pending.get(key);
    if (earlier && now - earlier.at < PENDING_MS) return;
    this.pending.delete(key);
    this.pending.set(key, { generation: this.generation, at: now });
    // Misses that are never offered (errors, refusals, mutations) age out; the oldest go first.
    while (this.pending.size > Math.max(this.maxEntries, 100)) this.pending.delete(this.pending.keys().next().value as string);
  }

  /**
   * Stores the answer if its Cache-Control allows (public or private,
   * max-age > 0) and no change to the years it reads happened since its
   * key was missed.
   */
  offer(
    key: string, status: number, headers: Record<string, string>, body: string,
    /** The years its data may show, from the request's query plan (yearsOfPlan); null: any year. */
    years: ReadonlySet<number> | null,
    now = Date.now(),
  ): boolean {
    const miss = this.pending.get(key);
    this.pending.delete(key);
    if (!this.enabled || status !== 200) return false;
    const cc = headers['cache-control'];
    const m = cc && /^(?:public|private), max-age=(\d+)$/.exec(cc);
    if (!m || m[1] === '0') return false;
    // Read before a change to its years that was made while it ran (or its miss is forgotten): it may be stale.
    if (!miss || this.changedSince(miss.generation, years)) return false;
    // Belt and braces: provisional figures are never stored (JSON written by PostgreSQL spaces its colons).
    if (PROVISIONAL.test(body) || body.includes('"errors"')) return false;
    const encoded = Buffer.from(body, 'utf8');
    const bytes = body.length * 2 + encoded.length + key.length * 2 + 200;
    if (bytes > this.maxBytes / 4) return false;
    this.delete(key);
    this.entries.set(key, { status, headers, body, encoded, expiresAt: now + Number(m[1]) * 1000, bytes, years });
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    return true;
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      this.bytes -= e.bytes;
      this.entries.delete(key);
    }
  }

  /** Whether a change since `generation` may have touched `years` (null: any year); a log that does not reach back says yes. */
  private changedSince(generation: number, years: ReadonlySet<number> | null): boolean {
    if (generation === this.generation) return false;
    if (this.changes.length === 0 || this.changes[0].generation > generation + 1) return true;
    for (let i = this.changes.length - 1; i >= 0 && this.changes[i].generation > generation; i--) {
      if (touches(this.changes[i].years, years)) return true;
    }
    return false;
  }

  /** Data changed: drops every answer that may show it, and refuses answers of requests already running. */
  invalidate(change: CacheChange): void {
    this.generation++;
    this.changes.push({ generation: this.generation, years: change === 'all' ? null : change.years });
    if (this.changes.length > MAX_CHANGES_KEPT) this.changes.splice(0, this.changes.length - MAX_CHANGES_KEPT);
    if (change === 'all') {
      this.entries.clear();
      this.bytes = 0;
      return;
    }
    for (const [key, entry] of this.entries) {
      if (touches(change.years, entry.years)) this.delete(key);
    }
  }

  clear(): void {
    this.invalidate('all');
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

/** Codes of refusals made before anything is written: a root field refused with one of them changed nothing. */
const REFUSED = new Set(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED']);

const executedKey = Symbol('executed');

/**
 * What a mutation may have changed, from its planned root fields (their
 * `changes` in src/query-plan/root-fields.ts) and its answer;
 * null when it changed nothing a cached answer shows. Nothing changed when
 * it never ran (refused by parsing, validation, the limits, the kiosk
 * scope or its variables: no `data` in the answer), when it only asks for `__typename`, and for each root field
 * refused on its own (an error at the field itself with a refusal code).
 * Any other outcome of a field (an answer, an error below it, a fault) may
 * have committed: correctness first, its change counts.
 */
export function mutationChange(
  plan: QueryPlan, executed: boolean, result: { data?: unknown; errors?: readonly GraphQLFormattedError[] } | undefined,
): CacheChange | null {
  // No `data` at all: refused before execution began (e.g. variables that do not coerce).
  if (!executed || !result || result.data === undefined) return null;
  const errors = result.errors;
  const years = new Set<number>();
  for (const field of plan.roots) {
    const { name, key } = field;
    const changes = ROOT_FIELDS[name]?.changes;
    if (name === '__typename' || changes === 'nothing') continue;
    const refused = errors?.some((e) => e.path?.length === 1 && e.path[0] === key && REFUSED.has(String(e.extensions?.code)));
    if (refused) continue;
    const year = changes?.(field.args) ?? null;
    if (year === null) return 'all';
    years.add(year).add(year + 1);
  }
  return years.size > 0 ? { years } : null;
}

/** Answers differ by negotiated type, caller and (with CORS) origin: shared caches must key on all three. */
export const VARY = 'Accept, Authorization, Origin';

/** The Cache-Control of a query answered without errors (cachePolicyPlugin's rule, below). */
export function queryCacheControl(maxAgeSeconds: number, principal: Principal | null, analysis: Pick<OperationCost, 'types'>): string {
  if (maxAgeSeconds === 0) return 'no-store';
  if (!principal) return `public, max-age=${maxAgeSeconds}`;
  for (const t of analysis.types) if (!REFERENCE_TYPES.has(t)) return 'no-store';
  return `private, max-age=${maxAgeSeconds}`;
}

/**
 * Sets each answer's Cache-Control:
 * - anonymous queries: `public, max-age=N`. Anonymous readers only ever see
 *   published (immutable) results; unpublished years read as empty, and
 *   publishing drops the year's answers.
 * - authenticated queries on reference data only: `private, max-age=N`.
 * - everything else (results for authenticated roles, mutations, errors): `no-store`.
 * A mutation that changed data drops the answers it may affect (see
 * mutationChange); a refused one, or one that changed nothing cached, keeps them.
 */
export function cachePolicyPlugin(maxAgeSeconds: number, cache: Pick<ResponseCache, 'invalidate'>): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async executionDidStart(rc) {
      (rc.contextValue as unknown as Record<symbol, boolean>)[executedKey] = true;
    },
    async willSendResponse(rc) {
      const headers = rc.response.http.headers;
      headers.set('vary', VARY);
      const op = rc.operation;
      if (op?.operation === 'mutation' && rc.document) {
        const executed = (rc.contextValue as unknown as Record<symbol, boolean | undefined>)[executedKey] === true;
        const plan = planOfContext(rc.contextValue);
        const change = !plan ? (executed ? 'all' : null) : rc.response.body.kind === 'single'
          ? mutationChange(plan, executed, rc.response.body.singleResult)
          : (executed ? 'all' : null);
        // Awaited: with shared state (src/shared-state) every instance must see the change before the caller does.
        if (change) await cache.invalidate(change);
      }
      const analysis = (rc.contextValue as unknown as Record<symbol, OperationCost | undefined>)[operationCostKey];
      const ok = op?.operation === 'query' && analysis && rc.response.body.kind === 'single' && !rc.response.body.singleResult?.errors;
      headers.set('cache-control', ok ? queryCacheControl(maxAgeSeconds, rc.contextValue.principal, analysis) : 'no-store');
    },
  };
  return { async requestDidStart() { return listener; } };
}

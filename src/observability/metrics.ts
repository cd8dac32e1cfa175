import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolGate } from '../db/pool-gate';

/**
 * The service's Prometheus metrics (prom-client), one registry per app so
 * that several services in one process (the tests) never mix their figures;
 * the process's own (CPU, memory, event loop, GC) in one registry shared by
 * the process.
 *
 * Labels are bounded: routes are a fixed set, operations are the operation
 * type and its root fields (schema names, never client-chosen operation
 * names), outcomes and reasons are contract codes; past `MAX_SERIES`
 * distinct values of a label, new ones read "other".
 */

/** Seconds: from a cached answer (under a millisecond) to a national export. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: a single-unit update (tens of ms) to a national recomputation (seconds). */
const RECOMPUTE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const MAX_SERIES = 200;
const GRAPHQL_ROUTE = { route: 'graphql' };

let processRegistry: Registry | undefined;

/** Node's process metrics (process_*, nodejs_*), collected once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A label's values, at most `max` distinct: later ones are "other". */
class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max = MAX_SERIES) {}
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}

export interface MetricsSources {
  gates?: { read: PoolGate; work: PoolGate };
  /** Whether the database answers (src/db/database-health.ts). */
  databaseUp?: () => boolean;
  /** Untallied survey responses and the age of the oldest, read at each scrape; undefined when it could not be read. */
  rollUpBacklog?: () => Promise<{ responses: number; oldestSeconds: number | null } | undefined>;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new BoundedLabel();
  private readonly reasons = new BoundedLabel(50);
  /** Scrapes begun: the gauges read together share one statement per scrape. */
  private scrapes = 0;

  /**
   * Cache hits answered 200: counted here, one number per answer, and added to their three counters
   * (requests by route and status, by operation and outcome, cache hits) when those are read, at each
   * scrape: a labelled counter's call (its labels checked and hashed) costs more than the rest of a hit's metrics.
   */
  private hits = 0;
  private readonly hitsCounted = { http: 0, graphql: 0, cache: 0 };
  private countHits(into: keyof ServiceMetrics['hitsCounted'], add: (n: number) => void): void {
    const n = this.hits - this.hitsCounted[into];
    this.hitsCounted[into] = this.hits;
    if (n > 0) add(n);
  }

  readonly httpRequests: Counter<'route' | 'status'> = new Counter({
    name: 'par_http_requests_total', help: 'HTTP requests answered, by route family and status code.',
    labelNames: ['route', 'status'] as const, registers: [this.registry],
    collect: () => this.countHits('http', (n) => this.httpRequests.inc({ route: 'graphql', status: '200' }, n)),
  });
  readonly httpDuration = new Histogram({
    name: 'par_http_request_duration_seconds', help: 'Time from a request\'s arrival to the end of its answer, by route family.',
    labelNames: ['route'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  /** HTTP requests being served now: counted here per request, read into the gauge at each scrape (no metric call per request). */
  inFlightCount = 0;
  readonly inFlight = new Gauge({
    name: 'par_http_requests_in_flight', help: 'HTTP requests being served now.', registers: [this.registry],
    collect: () => { this.inFlight.set(this.inFlightCount); },
  });
  readonly graphqlRequests: Counter<'operation' | 'outcome'> = new Counter({
    name: 'par_graphql_requests_total',
    help: 'Requests to /graphql by operation (type and root fields, "-" when refused before it was read) and outcome ("ok" or the first error\'s code).',
    labelNames: ['operation', 'outcome'] as const, registers: [this.registry],
    collect: () => this.countHits('graphql', (n) => this.graphqlRequests.inc({ operation: this.operation('cached'), outcome: 'ok' }, n)),
  });
  readonly graphqlDuration = new Histogram({
    name: 'par_graphql_request_duration_seconds', help: 'Time to answer a /graphql request, by operation.',
    labelNames: ['operation'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'par_rate_limited_total',
    help: 'Requests refused RATE_LIMITED, by reason (COST_RATE, DB_TIME, CONCURRENCY, SERVICE_BUSY, REQUEST_RATE, ...).',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly cacheHits: Counter = new Counter({
    name: 'par_response_cache_hits_total', help: 'GraphQL answers served from the response cache (X-Cache: HIT).', registers: [this.registry],
    collect: () => this.countHits('cache', (n) => this.cacheHits.inc(n)),
  });
  readonly documentsValidated = new Counter({
    name: 'par_graphql_documents_validated_total',
    help: 'GraphQL documents parsed and validated; a document kept in the store of validated documents (its text seen before, comments aside) is not.',
    registers: [this.registry],
  });
  readonly recomputeDuration = new Histogram({
    name: 'par_recompute_duration_seconds',
    help: 'Results recomputations: "full" (a cycle) or "unit" (one unit after submitExpertScores), and how they ended (ok, skipped, error).',
    labelNames: ['mode', 'outcome'] as const, buckets: RECOMPUTE_BUCKETS, registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    const { gates, databaseUp, rollUpBacklog } = sources;
    const pools = () => (gates ? [gates.read.stats, gates.work.stats] : []);
    new Gauge({
      name: 'par_db_pool_size', help: 'Connections a pool may open.', labelNames: ['pool'] as const, registers: [this.registry],
      collect() { for (const s of pools()) this.set({ pool: s.name }, s.size); },
    });
    new Gauge({
      name: 'par_db_pool_in_use', help: 'Connections checked out of a pool now.', labelNames: ['pool'] as const, registers: [this.registry],
      collect() { for (const s of pools()) this.set({ pool: s.name }, s.inUse); },
    });
    new Gauge({
      name: 'par_db_pool_waiting', help: 'Statements waiting for a connection of a pool now.', labelNames: ['pool'] as const, registers: [this.registry],
      collect() { for (const s of pools()) this.set({ pool: s.name }, s.waiting); },
    });
    new Gauge({
      name: 'par_db_pool_background_in_use', help: 'Connections of a pool held by background work (roll-up, recomputation).',
      labelNames: ['pool'] as const, registers: [this.registry],
      collect() { for (const s of pools()) this.set({ pool: s.name }, s.background); },
    });
    // The gate counts its refusals itself: the counter follows it.
    const seenBusy = new Map<string, number>();
    new Counter({
      name: 'par_db_pool_busy_refusals_total', help: 'Waits for a connection that ran out (answered RATE_LIMITED, SERVICE_BUSY).',
      labelNames: ['pool'] as const, registers: [this.registry],
      collect() {
        for (const s of pools()) {
          const delta = s.busyRefusals - (seenBusy.get(s.name) ?? 0);
          seenBusy.set(s.name, s.busyRefusals);
          this.inc({ pool: s.name }, Math.max(0, delta));
        }
      },
    });
    new Gauge({
      name: 'par_database_up', help: '1 while the database answers its health probe, else 0.', registers: [this.registry],
      collect() { if (databaseUp) this.set(databaseUp() ? 1 : 0); },
    });
    // Both read by one statement at each scrape; NaN when it cannot be read (the database is down, the read timed out).
    let pending: Promise<void> | undefined;
    let backlog: { responses: number; oldestSeconds: number | null } | undefined;
    let readIn = -1;
    const read = async () => {
      if (readIn === this.scrapes) return pending; // the other gauge of this scrape asked already
      readIn = this.scrapes;
      pending = (rollUpBacklog?.() ?? Promise.resolve(undefined)).then((b) => { backlog = b; }, () => { backlog = undefined; });
      return pending;
    };
    new Gauge({
      name: 'par_survey_rollup_backlog_responses', help: 'Survey responses stored and not yet added to the roll-ups (tallies); NaN when unreadable.',
      registers: [this.registry],
      async collect() { await read(); this.set(backlog ? backlog.responses : NaN); },
    });
    new Gauge({
      name: 'par_survey_rollup_oldest_seconds', help: 'Age of the oldest survey response not yet rolled up (0 when none); NaN when unreadable.',
      registers: [this.registry],
      async collect() { await read(); this.set(backlog ? backlog.oldestSeconds ?? 0 : NaN); },
    });
  }

  /** A cache hit on /graphql answered 200 in `seconds`: its durations observed now, its counts added at the next read. */
  cacheHit(seconds: number): void {
    this.hits++;
    this.httpDuration.observe(GRAPHQL_ROUTE, seconds);
    this.graphqlDuration.observe({ operation: this.operation('cached') }, seconds);
  }

  operation(value: string): string {
    return this.operations.of(value);
  }

  reason(value: string): string {
    return this.reasons.of(/^[A-Z][A-Z0-9_]{0,39}$/.test(value) ? value : 'OTHER');
  }

  /** The text of a scrape: the process's metrics, then the service's. */
  async text(): Promise<string> {
    this.scrapes++;
    const [own, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${proc}\n${own}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

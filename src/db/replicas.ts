import { Client, Pool, type PoolClient } from 'pg';
import type { Logger } from '../config/logger';

/**
 * A PostgreSQL position in the write-ahead log ("16/B374D848") as a number
 * that compares: the high and low 32 bits.
 */
export function parseLsn(text: string | null | undefined): bigint | undefined {
  if (!text) return undefined;
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text.trim());
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

export interface ReplicaOptions {
  /** Connections each replica's pool may open (as the readers' pool of the primary). */
  poolSize: number;
  statementTimeoutMs: number;
  /** How often each replica (and the primary's WAL position) is polled. */
  intervalMs: number;
  /** Bound on opening a connection to a replica and on one probe: a frozen replica is skipped after this. */
  probeTimeoutMs: number;
  /** A replica further behind than this is skipped. */
  maxLagMs: number;
}

/** What the last probe of a replica found. */
export interface ReplicaState {
  name: string;
  up: boolean;
  /** Replay lag in ms: how long ago the primary had flushed WAL that it has not replayed yet (0: none). */
  lagMs: number;
  /** The WAL position it had replayed, as text ("0/3000060"). */
  replayed: string | null;
  /** Connections to it checked out by requests since start. */
  reads: number;
}

/** SQL errors that mean the replica, not the statement, failed: run the statement on the primary instead. */
const REPLICA_FAULTS = new Set([
  '57P01', '57P02', '57P03', // admin shutdown, crash shutdown, cannot connect now (starting or recovering)
  '08000', '08003', '08006', '08001', '08004', // connection exceptions
  '40001', // canceling statement due to conflict with recovery (a hot standby's replay won)
  '25006', // read-only transaction: a write reached the replica (it belongs on the primary)
  '53300', // too many connections
]);

/** Whether `e` says the replica (its connection, its recovery) failed rather than the statement. */
export function isReplicaFault(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (err?.code && REPLICA_FAULTS.has(err.code)) return true;
  const message = String(err?.message ?? '');
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|ECONNREFUSED|ECONNRESET|EPIPE|Client has encountered a connection error|not queryable|Client was closed/i.test(message)
    || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(String(err?.code));
}

/**
 * One read replica: its pool of connections for requests, and a probe on
 * a connection of its own that reads its replayed WAL position every
 * interval; ReplicaSet turns the position into a lag (see `lagOf`).
 * A probe that fails or does not answer within
 * the probe timeout marks it down, and the requests still on it are cut
 * off (their statements move to the primary, see read-routing.ts): a
 * frozen replica holds no request longer than an interval and a probe.
 */
export class Replica {
  pool: Pool;
  up = false;
  lagMs = Number.POSITIVE_INFINITY;
  /** The WAL position it had replayed at the last probe (only ever moves forward while it is the same server). */
  replayed: bigint = 0n;
  private replayedText: string | null = null;
  reads = 0;
  private readonly probeConnection: ProbeConnection;
  private probing: Promise<void> | undefined;
  /** Connections checked out of `pool` now. */
  private readonly active = new Set<PoolClient>();
  private soon: NodeJS.Timeout | undefined;

  constructor(readonly url: string, readonly name: string, private readonly options: ReplicaOptions, private readonly logger: Logger) {
    this.pool = this.newPool();
    this.probeConnection = new ProbeConnection(url, options.probeTimeoutMs);
  }

  private newPool(): Pool {
    const pool = new Pool({
      connectionString: this.url, max: this.options.poolSize, application_name: 'par-index-replica',
      connectionTimeoutMillis: this.options.probeTimeoutMs, idleTimeoutMillis: 30000, keepAlive: true,
      statement_timeout: this.options.statementTimeoutMs, query_timeout: this.options.statementTimeoutMs + 2000,
    } as ConstructorParameters<typeof Pool>[0]);
    // An idle connection cut (the replica stopped) is an 'error' on the pool: the pool drops it, the probe decides.
    pool.on('error', () => undefined);
    return pool;
  }

  /** Usable for reads: answering, in recovery, and no further behind than allowed. */
  get usable(): boolean {
    return this.up && this.lagMs <= this.options.maxLagMs;
  }

  get state(): ReplicaState {
    return { name: this.name, up: this.up, lagMs: this.lagMs, replayed: this.replayedText, reads: this.reads };
  }

  checkedOut(client: PoolClient): void {
    this.reads++;
    this.active.add(client);
  }

  returned(client: PoolClient): void {
    this.active.delete(client);
  }

  /** Probes it; `lagOf` turns its replayed position into a lag in ms. */
  probe(lagOf: (replayed: bigint) => number): Promise<void> {
    this.probing ??= this.check(lagOf).finally(() => { this.probing = undefined; });
    return this.probing;
  }

  /** A statement met a fault of this replica, or a reader is waiting for it to pass a write: probe again shortly. */
  probeSoon(sample: () => Promise<(replayed: bigint) => number>, delayMs = 20): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void sample().then((lagOf) => this.probe(lagOf));
    }, delayMs);
    this.soon.unref();
  }

  private async check(lagOf: (replayed: bigint) => number): Promise<void> {
    try {
      const [row] = await this.probeConnection.query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed');
      if (!row.standby) throw new Error('it is not in recovery (promoted, or not a replica): reads stay on the primary');
      const replayed = parseLsn(row.replayed) ?? 0n;
      const lag = lagOf(replayed);
      if (!this.up) this.logger.info('read replica answers', { replica: this.name, lagMs: lag });
      else if (lag > this.options.maxLagMs && this.lagMs <= this.options.maxLagMs) {
        this.logger.warn('read replica lags: reads go to the primary', { replica: this.name, lagMs: Math.round(lag), maxLagMs: this.options.maxLagMs });
      }
      this.up = true;
      this.lagMs = lag;
      this.replayed = replayed;
      this.replayedText = row.replayed;
    } catch (e) {
      this.markDown(e);
    }
  }

  /** Down: skipped until a probe succeeds; the statements still on it are cut (they retry on the primary). */
  markDown(e: unknown): void {
    if (this.up) this.logger.warn('read replica unreachable: reads go to the primary', { replica: this.name, error: String((e as Error)?.message ?? e) });
    this.up = false;
    this.lagMs = Number.POSITIVE_INFINITY;
    this.probeConnection.drop();
    for (const client of this.active) destroySocket(client);
    this.active.clear();
    // Idle connections may be as dead (stopped) or frozen as it is: the next ones are opened afresh.
    const old = this.pool;
    this.pool = this.newPool();
    // Their sockets cut first: a frozen server would never answer the goodbye that end() waits for.
    for (const client of (old as unknown as { _clients?: PoolClient[] })._clients ?? []) destroySocket(client);
    old.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearTimeout(this.soon);
    await this.probing?.catch(() => undefined);
    this.probeConnection.drop();
    for (const client of this.active) destroySocket(client);
    await this.pool.end().catch(() => undefined);
  }
}

/** Cuts a pg client's socket: a statement waiting on a frozen server fails at once ("Connection terminated"). */
function destroySocket(client: Client | PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * A connection of its own for probing a server: opened when needed, every
 * statement bounded by `timeoutMs` (connecting included). A statement that
 * fails or does not answer in time drops the connection (its socket cut:
 * a frozen server never answers) and throws; the next opens a new one.
 */
class ProbeConnection {
  private client: Client | undefined;

  constructor(private readonly url: string, private readonly timeoutMs: number) {}

  async query<T>(sql: string): Promise<T[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        (async () => {
          if (!this.client) {
            const client = new Client({ connectionString: this.url, connectionTimeoutMillis: this.timeoutMs, application_name: 'par-index-replica-health' });
            client.on('error', () => { if (this.client === client) this.drop(); });
            this.client = client;
            await client.connect();
          }
          return (await this.client.query(sql)).rows as T[];
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
          timer.unref();
        }),
      ]);
    } catch (e) {
      this.drop();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      destroySocket(client);
      client.end().catch(() => undefined);
    }
  }
}

/**
 * The read replicas and the primary's WAL position, polled every interval
 * on connections of their own (one to the primary, one per replica), never
 * the pools that serve requests.
 *
 * Lag is measured by the service, on its own clock, from WAL positions:
 * each interval it notes the primary's flushed position and when; a
 * replica's lag is how long ago the primary had flushed the first position
 * it has not replayed (0 when it has replayed the latest). Unlike
 * `now() - pg_last_xact_replay_timestamp()`, this does not grow while the
 * primary is idle, nor during a long transaction the replica keeps up
 * with; it does grow when replay is paused, stuck or cut off from the
 * primary, from the first position it missed. Precise to an interval, and
 * never below the true lag by more than that.
 */
export class ReplicaSet {
  readonly replicas: Replica[];
  private timer: NodeJS.Timeout | undefined;
  private readonly primary: ProbeConnection;
  private next = 0;
  /** The primary's flushed WAL position, and when it was read: oldest first. */
  private readonly samples: { at: number; lsn: bigint }[] = [];

  constructor(primaryUrl: string, urls: string[], readonly options: ReplicaOptions, private readonly logger: Logger) {
    this.replicas = urls.map((url, i) => {
      let name = `replica${i + 1}`;
      try { const u = new URL(url); name = `${u.hostname}:${u.port || 5432}`; } catch { /* the config validated it */ }
      return new Replica(url, name, options, logger);
    });
    this.primary = new ProbeConnection(primaryUrl, options.probeTimeoutMs);
  }

  /** Probes all once (so that the first requests may already use them), then every interval. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const lagOf = await this.sample();
    await Promise.all(this.replicas.map((r) => r.probe(lagOf)));
  }

  /** Notes the primary's flushed position now; returns how far behind a replica that replayed `replayed` is, in ms. */
  async sample(): Promise<(replayed: bigint) => number> {
    const lsn = await this.primaryFlushed();
    const now = Date.now();
    if (lsn !== undefined) {
      const last = this.samples[this.samples.length - 1];
      if (!last || lsn > last.lsn) this.samples.push({ at: now, lsn });
      // Only positions some replica has not replayed yet (and a bounded history) are kept.
      const minReplayed = this.replicas.reduce((m, r) => (r.up && r.replayed < m ? r.replayed : m), lsn);
      while (this.samples.length > 1 && (this.samples[1].lsn <= minReplayed || this.samples.length > 10_000)) this.samples.shift();
    }
    const samples = this.samples.slice();
    return (replayed) => {
      // Behind everything still remembered (back from an outage, or the first probe during writes): too far to tell.
      if (samples.length === 0 || replayed < samples[0].lsn) return Number.POSITIVE_INFINITY;
      const missed = samples.find((s) => s.lsn > replayed);
      return missed ? Math.max(0, Date.now() - missed.at) : 0;
    };
  }

  /** The primary's flushed WAL position, on the monitor's own connection; undefined if it does not answer in time. */
  async primaryFlushed(): Promise<bigint | undefined> {
    try {
      const [row] = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
      return parseLsn(row.lsn);
    } catch {
      return undefined;
    }
  }

  /** A usable replica that has replayed at least `fence`, in turn; undefined: read from the primary. */
  pick(fence: bigint): Replica | undefined {
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.next + i) % n];
      if (r.usable && r.replayed >= fence) {
        this.next = (this.next + i + 1) % n;
        return r;
      }
    }
    // Behind a fresh write, or lagging: look again soon rather than at the next interval.
    for (const r of this.replicas) if (r.usable) r.probeSoon(() => this.sample());
    return undefined;
  }

  get states(): ReplicaState[] {
    return this.replicas.map((r) => r.state);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.primary.drop();
    await Promise.all(this.replicas.map((r) => r.close()));
  }
}

import { Client } from 'pg';
import type { Logger } from '../config/logger';

/**
 * Which instance runs a background job, and how the others reach it: what
 * RecomputeScheduler asks of it (src/results/recompute-scheduler.ts).
 */
export interface Leadership {
  /** Whether this instance runs the job now. */
  readonly leading: boolean;
  /** Tells whichever instance leads (through PostgreSQL NOTIFY) of `note`; batched, never throws. */
  tell(note: string): void;
  /** `listener` hears every note told by any instance (this one included). */
  onNote(listener: (note: string) => void): void;
}

/** Notes told within this window go in one NOTIFY. */
const TELL_MS = 20;

/**
 * A job that runs on one instance at a time, whatever their number: the
 * instance holding PostgreSQL's session advisory lock of the job, on a
 * connection of its own, leads. The others try again every `retryMs`; the
 * lock goes with its connection, so an instance killed (or cut off) lets
 * another take over within about `retryMs` (TCP keepalive bounds a silent
 * network loss). What the job writes is written in transactions of its own
 * (a recomputation's rows, under the cycle's results lock): a leader killed
 * mid-job leaves nothing half-done, and the next leader starts from what is
 * committed.
 *
 * The same connection LISTENs on the job's channel: an instance that does
 * not lead tells the leader what it should know (a recomputation's dirty
 * year and kind) with NOTIFY. A note sent while no one leads is lost; a new
 * leader starts with a full pass, as the service does at start.
 */
export class BackgroundLock implements Leadership {
  private client: Client | undefined;
  private held = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners: ((note: string) => void)[] = [];
  private readonly toTell = new Set<string>();
  private tellTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    /** The job's name: its lock (hashtext of `par-index:<job>`) and channel (`par_index_<job>`). */
    private readonly job: string,
    private readonly logger: Logger,
    private readonly retryMs: number,
  ) {}

  get leading(): boolean {
    return this.held;
  }

  private get channel(): string {
    return `par_index_${this.job.replace(/\W/g, '_')}`;
  }

  /** Tries once (so that an instance alone leads from its first tick), then every retryMs. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.attempt();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { void this.attempt().finally(() => this.schedule()); }, this.retryMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    try {
      const client = this.client ?? (await this.connect());
      if (this.held) return;
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`par-index:${this.job}`]);
      if (rows[0]?.locked === true && client === this.client) {
        this.held = true;
        this.logger.info('this instance runs the background job', { job: this.job });
      }
    } catch (e) {
      this.lost(e);
    }
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.databaseUrl, application_name: `par-index-${this.job}`, connectionTimeoutMillis: 5000,
      keepAlive: true, keepAliveInitialDelayMillis: 10_000,
    });
    client.on('error', (e) => this.lost(e, client));
    client.on('end', () => this.lost(undefined, client));
    client.on('notification', (n) => {
      if (n.channel !== this.channel || !n.payload) return;
      for (const note of n.payload.split(',')) for (const listener of this.listeners) listener(note);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (e) {
      // Not kept: closed here, or its connection would stay open until the server dropped it.
      await client.end().catch(() => undefined);
      throw e;
    }
    this.client = client;
    return client;
  }

  /** The connection is gone: so is the lock. */
  private lost(e: unknown, client = this.client): void {
    if (client !== this.client) return;
    if (this.held) this.logger.warn('background job lock lost; another instance may take over', { job: this.job, error: String((e as Error)?.message ?? e) });
    this.held = false;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }

  tell(note: string): void {
    this.toTell.add(note);
    if (this.tellTimer) return;
    this.tellTimer = setTimeout(() => {
      this.tellTimer = undefined;
      const payload = [...this.toTell].join(',');
      this.toTell.clear();
      this.client?.query('SELECT pg_notify($1, $2)', [this.channel, payload])
        .catch((e) => this.logger.warn('a note to the background job was lost', { job: this.job, error: String((e as Error)?.message ?? e) }));
    }, TELL_MS);
    this.tellTimer.unref();
  }

  onNote(listener: (note: string) => void): void {
    this.listeners.push(listener);
  }

  /** Gives the job up (closing the connection releases the lock). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.tellTimer) clearTimeout(this.tellTimer);
    const client = this.client;
    this.client = undefined;
    this.held = false;
    await client?.end().catch(() => undefined);
  }
}

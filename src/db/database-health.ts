import { Client } from 'pg';
import type { Logger } from '../config/logger';

/**
 * Watches whether PostgreSQL answers, so that requests fail fast with
 * SERVICE_UNAVAILABLE while it does not, instead of each waiting for a
 * connection timeout.
 *
 * The probe has its own connection, outside the pools that serve requests
 * and background work: a pool held busy by readers neither delays the probe
 * nor reads as an outage (a request that waits too long for a pooled
 * connection is told the service is busy, src/db/pool-gate.ts). Only the
 * probe decides that the database is down: a `SELECT 1` on its connection
 * failing or not answering within the probe timeout, or the connection
 * being cut. A request that meets a connection error only asks for a probe
 * now (`suspect`); the embedded PostgreSQL's exit marks it down at once
 * (`reportFailure`). The next successful probe marks it up.
 */
export class DatabaseHealth {
  private up = true;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<boolean> | undefined;
  private client: Client | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly probeTimeoutMs: number,
  ) {}

  get ready(): boolean {
    return this.up;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.probing?.catch(() => undefined);
    this.drop();
  }

  /** The database is known to be gone (the embedded PostgreSQL exited): down at once, until a probe succeeds. */
  reportFailure(): void {
    if (this.up) this.logger.warn('the database is unreachable');
    this.up = false;
  }

  /** A request met a connection error: probe now, on the probe's own connection, and let that decide. */
  suspect(): void {
    void this.probe();
  }

  /** One `SELECT 1` on the probe's connection (opened if needed), bounded by the probe timeout; updates and returns readiness. */
  probe(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(this.up);
    this.probing ??= this.check().finally(() => { this.probing = undefined; });
    return this.probing;
  }

  private async check(): Promise<boolean> {
    try {
      await this.bounded(async () => {
        if (!this.client) {
          const client = new Client({ connectionString: this.url, connectionTimeoutMillis: this.probeTimeoutMs, application_name: 'par-index-health' });
          // A cut connection (PostgreSQL shutting down, the network) is an 'error' on an idle client: probe again now.
          client.on('error', () => {
            if (this.client === client) this.drop();
            this.suspect();
          });
          this.client = client;
          await client.connect();
        }
        await this.client.query('SELECT 1');
      });
      if (!this.up) this.logger.info('the database answers again');
      this.up = true;
    } catch {
      this.drop();
      this.reportFailure();
    }
    return this.up;
  }

  private async bounded(work: () => Promise<void>): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error('probe timed out')), this.probeTimeoutMs);
          timeout.unref();
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      client.end().catch(() => undefined);
    }
  }
}

import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';

/**
 * Watches whether PostgreSQL answers, so that requests fail fast with
 * SERVICE_UNAVAILABLE while it does not, instead of each waiting for a
 * connection timeout. A failed statement anywhere also marks the database
 * down at once (`reportFailure`); the next successful probe marks it up.
 */
export class DatabaseHealth {
  private up = true;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly probeTimeoutMs: number,
  ) {}

  get ready(): boolean {
    return this.up;
  }

  start(): void {
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  reportFailure(): void {
    if (this.up) this.logger.warn('the database is unreachable');
    this.up = false;
  }

  /** One `SELECT 1` bounded by the probe timeout; updates and returns readiness. */
  async probe(): Promise<boolean> {
    if (this.probing) return this.up;
    this.probing = true;
    try {
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        this.db.query('SELECT 1'),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error('probe timed out')), this.probeTimeoutMs);
          timeout.unref();
        }),
      ]).finally(() => clearTimeout(timeout));
      if (!this.up) this.logger.info('the database answers again');
      this.up = true;
    } catch {
      this.reportFailure();
    } finally {
      this.probing = false;
    }
    return this.up;
  }
}

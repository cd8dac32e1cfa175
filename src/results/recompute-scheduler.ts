import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import type { UnitKind } from '../entities/enums';
import type { Leadership } from '../shared-state/background-lock';
import type { ResultsService } from './results.service';

interface Watermark { cycles: Map<number, string>; units: string }

/**
 * Keeps unpublished results current without recomputing per response. Every
 * `intervalMs` it reads a cheap watermark (each cycle's updated_at, the units
 * per kind) and recomputes the OPEN and DRAFT cycles it touches, each at
 * most once at a time (ResultsService coalesces). Survey responses mark
 * their year and kind dirty when the background roll-up adds them to the
 * tallies the engine reads (and when ingestion accepts them), whoever stored
 * them: a dirty cycle has the units whose responses its figures do not count
 * yet recomputed and moved (ResultsService.recompute with `surveyed`, a full
 * recomputation when that cannot be done). So a response is reflected within
 * about one roll-up interval, one tick and one update of a few hundred units.
 * A cycle whose recomputation failed is recomputed in full on every tick
 * until one succeeds.
 *
 * Several instances: ticks run on one of them only, the one that leads
 * (`lead`, src/shared-state/background-lock.ts); the others tell it the
 * years and kinds they mark dirty. An instance that takes over starts with
 * a full pass, as at start.
 */
export class RecomputeScheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private last: Watermark | undefined;
  private readonly dirty = new Set<string>();
  /** Cycles whose last run failed: recomputed in full on the next tick. */
  private readonly failed = new Set<number>();
  private stopped = true;
  private leadership: Leadership | undefined;
  /** Whether the previous timer tick led (a takeover starts afresh). */
  private led = false;

  constructor(
    private readonly db: DataSource,
    private readonly results: ResultsService,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Starts polling; the first tick recomputes every unpublished cycle (data may have changed while the service was down). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /**
   * Asks for the year and kind's results to be brought up to date on the
   * next tick (new survey responses, or a failed update: the engine then
   * recomputes in full, not trusting what it last wrote).
   */
  markDirty(year: number, unitKind: UnitKind): void {
    this.dirty.add(`${year}:${unitKind}`);
    if (this.leadership && !this.leadership.leading) this.leadership.tell(`${year}:${unitKind}`);
  }

  /** Timer ticks only while `leadership` leads; marks reach the leader (see the class comment). */
  lead(leadership: Leadership): void {
    this.leadership = leadership;
    leadership.onNote((note) => this.dirty.add(note));
  }

  /** Whether this instance runs the timer's ticks (alone, or leading several). */
  get leading(): boolean {
    return this.leadership?.leading ?? true;
  }

  /** One tick now: what the timer does. Exposed for tests and the benchmark. */
  async tick(): Promise<void> {
    const [row]: { cycles: [number, number, UnitKind, string, string][] | null; units: string | null }[] = await this.db.query(`
      SELECT (SELECT json_agg(json_build_array(id, year, unit_kind, status, updated_at::text)) FROM cycle) AS cycles,
             (SELECT string_agg(kind || ':' || n || ':' || mx, ',' ORDER BY kind)
                FROM (SELECT kind::text, count(*) AS n, max(id) AS mx FROM unit GROUP BY kind) s) AS units`);
    const cycles = row.cycles ?? [];
    const now: Watermark = {
      cycles: new Map(cycles.map(([id, , , , updatedAt]) => [id, updatedAt])),
      units: row.units ?? '',
    };
    const previous = this.last;
    const due = new Set<number>();
    const open = cycles.filter(([, , , status]) => status !== 'PUBLISHED');
    if (!previous || previous.units !== now.units) open.forEach(([id]) => due.add(id));
    for (const [id, , , , updatedAt] of open) if (previous?.cycles.get(id) !== updatedAt) due.add(id);
    // Rank changes compare with the previous year's published ranking: a change there (its publication) is due here too.
    const byYearKind = new Map(cycles.map(([id, year, kind]) => [`${year}:${kind}`, id]));
    for (const [id, year, kind] of open) {
      const before = byYearKind.get(`${year - 1}:${kind}`);
      if (previous && before !== undefined && previous.cycles.get(before) !== now.cycles.get(before)) due.add(id);
    }
    for (const [id] of open) if (this.failed.has(id)) due.add(id);
    this.failed.clear();
    const surveyed = new Set<number>();
    for (const [id, year, kind] of open) if (this.dirty.has(`${year}:${kind}`) && !due.has(id)) surveyed.add(id);
    this.dirty.clear();
    this.last = now;
    const run = (id: number, only?: { surveyed: true }) => this.results.recompute(id, only).catch((e) => {
      this.logger.error('recomputation failed; retried on the next tick', { cycleId: id, error: String((e as Error)?.stack ?? e) });
      // Nothing else would ask again (expert scores leave no watermark): keep it due until a run succeeds.
      this.failed.add(id);
    });
    await Promise.all([...[...due].map((id) => run(id)), ...[...surveyed].map((id) => run(id, { surveyed: true }))]);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const leading = this.leading;
      if (leading && !this.led) this.last = undefined; // taking over: every unpublished cycle once, as at start
      this.led = leading;
      if (!leading) {
        this.schedule(this.intervalMs);
        return;
      }
      this.ticking = this.tick()
        .catch((e) => this.logger.warn('recompute watermark failed', { error: String(e) }))
        .finally(() => { this.ticking = undefined; this.schedule(this.intervalMs); });
    }, delay);
    this.timer.unref();
  }
}

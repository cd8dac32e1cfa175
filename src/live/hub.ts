import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import { asBackground } from '../db/pool-gate';
import type { UnitKind } from '../entities/enums';
import { toStat, type SatisfactionStat } from '../survey/satisfaction.service';
import type { TallyRoller } from '../survey/tally-roller';
import { LocalBus, type EventBus } from './bus';
import { RESULTS_CHANNEL } from './hooks';
import type { LiveConfig } from './config';

/** What subscribers of a topic receive (JSON: it may cross Redis). */
export interface SatisfactionEvent { year: number; unitId: number; stats: SatisfactionStat[]; at: string }
export interface ResultsEvent { year: number; unitKind: UnitKind; unitIds: number[] }
export interface AlertEvent { alertId: number; unitId: number }

export const topics = {
  satisfaction: (year: number, unitId: number) => `live.satisfaction.${year}.${unitId}`,
  results: (year: number, unitKind: UnitKind) => `live.results.${year}.${unitKind}`,
  alerts: 'live.kioskAlerts',
};


/**
 * The statistics of units grouped by question, as `satisfaction(year,
 * unitCode, groupBy: QUESTION)` gives them to a reader who may see them
 * (late responses left out): one statement for every unit of a flush.
 */
const UNIT_STATS_SQL = `
SELECT t.unit_id, q.code AS key, min(q.position) AS ord, sum(t.answers) AS answers,
       sum(CASE WHEN q.satisfied_min <= 1 THEN t.n1 ELSE 0 END + CASE WHEN q.satisfied_min <= 2 THEN t.n2 ELSE 0 END
         + CASE WHEN q.satisfied_min <= 3 THEN t.n3 ELSE 0 END + CASE WHEN q.satisfied_min <= 4 THEN t.n4 ELSE 0 END
         + t.n5) AS satisfied,
       sum(t.n1 + 2 * t.n2 + 3 * t.n3 + 4 * t.n4 + 5 * t.n5) AS total
  FROM survey_tally t JOIN question q ON q.id = t.question_id
 WHERE t.year = $1 AND NOT t.late AND t.unit_id = ANY($2::int[])
 GROUP BY 1, 2`;

/**
 * Live data: the buses events travel on, the satisfaction feed (coalesced
 * per unit), the results feed (PostgreSQL NOTIFY from the writes), and
 * the bound on subscriptions.
 *
 * - `shared`: satisfaction and alert events, published once by whichever
 *   instance did the work (the roll-up, the detector); over Redis when
 *   REDIS_URL is set, so that every instance hears them.
 * - `local`: results events, which every instance hears from PostgreSQL
 *   itself (LISTEN) and delivers to its own subscribers only.
 */
export class LiveHub {
  readonly local = new LocalBus();
  private pending = new Map<number, Set<number>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private listener: Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private readonly cycles = new Map<number, { year: number; unitKind: UnitKind }>();
  private stopped = false;
  /** Subscriptions open on this instance (the total bound). */
  subscriptions = 0;

  constructor(
    readonly shared: EventBus,
    private readonly db: DataSource,
    private readonly databaseUrl: string | undefined,
    private readonly config: LiveConfig,
    private readonly logger: Logger,
  ) {}

  /** The roll-up tells the hub which units' figures changed; the hub answers within coalesceMs plus one statement. */
  attachRoller(roller: TallyRoller): void {
    roller.onUnitsChanged = (year, unitIds) => this.unitsChanged(year, unitIds);
  }

  unitsChanged(year: number, unitIds: number[]): void {
    if (this.stopped || unitIds.length === 0) return;
    let set = this.pending.get(year);
    if (!set) this.pending.set(year, (set = new Set()));
    for (const id of unitIds) set.add(id);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // One flush at a time; units changed meanwhile wait for the next (coalesced, never lost).
      this.flushing = (this.flushing ?? Promise.resolve()).then(() => this.flush())
        .catch((e) => this.logger.warn('satisfactionChanged was not sent', { error: String((e as Error)?.message ?? e) }));
    }, this.config.coalesceMs);
    this.flushTimer.unref();
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    for (const [year, set] of pending) {
      const unitIds = [...set];
      const rows: { unit_id: number; key: string; ord: number; answers: string; satisfied: string; total: string }[] =
        await asBackground(() => this.db.query(UNIT_STATS_SQL, [year, unitIds]));
      const byUnit = new Map<number, (SatisfactionStat & { ord: number })[]>(unitIds.map((id) => [id, []]));
      for (const r of rows) {
        const answers = Number(r.answers);
        byUnit.get(r.unit_id)!.push({ ...toStat(r.key, answers, answers, Number(r.satisfied), Number(r.total)), ord: Number(r.ord) });
      }
      const at = new Date().toISOString();
      await Promise.all([...byUnit].map(([unitId, stats]) => {
        stats.sort((a, b) => a.ord - b.ord || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        const event: SatisfactionEvent = { year, unitId, stats: stats.map(({ ord: _ord, ...s }) => s), at };
        return this.shared.publish(topics.satisfaction(year, unitId), event);
      }));
    }
  }

  /** Results writes notify RESULTS_CHANNEL (src/live/hooks.ts); this instance listens and tells its subscribers. */
  async start(): Promise<void> {
    if (this.databaseUrl) await this.listen();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'par-index-live', connectionTimeoutMillis: 5000 });
    const retry = (e: unknown) => {
      this.logger.warn('live results listener lost its connection; reconnecting', { error: String((e as Error)?.message ?? e) });
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      if (!this.stopped && !this.listenRetry) {
        this.listenRetry = setTimeout(() => { this.listenRetry = undefined; void this.listen(); }, 1000);
        this.listenRetry.unref();
      }
    };
    client.on('error', retry);
    client.on('notification', (n) => { if (n.channel === RESULTS_CHANNEL && n.payload) void this.resultsNotified(n.payload); });
    try {
      await client.connect();
      await client.query(`LISTEN ${RESULTS_CHANNEL}`);
      this.listener = client;
    } catch (e) {
      retry(e);
    }
  }

  private async resultsNotified(payload: string): Promise<void> {
    const [cycle, ids] = payload.split(':');
    const cycleId = Number(cycle);
    const unitIds = ids ? ids.split(',').map(Number) : [];
    try {
      let ref = this.cycles.get(cycleId);
      if (!ref) {
        const [row]: { year: number; unit_kind: UnitKind }[] = await asBackground(() => this.db.query('SELECT year, unit_kind FROM cycle WHERE id = $1', [cycleId]));
        if (!row) return;
        this.cycles.set(cycleId, (ref = { year: row.year, unitKind: row.unit_kind }));
      }
      const event: ResultsEvent = { ...ref, unitIds };
      await this.local.publish(topics.results(ref.year, ref.unitKind), event);
    } catch (e) {
      this.logger.warn('resultsChanged was not sent', { cycleId, error: String((e as Error)?.message ?? e) });
    }
  }

  /** Of these API tokens, the ones revoked since (their live connections are closed). */
  async revokedTokens(tokenIds: number[]): Promise<number[]> {
    const rows: { id: number }[] = await asBackground(() => this.db.query(
      'SELECT id FROM api_token WHERE id = ANY($1::int[]) AND revoked_at IS NOT NULL', [tokenIds]));
    return rows.map((r) => r.id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.listenRetry) clearTimeout(this.listenRetry);
    await this.flushing;
    await this.listener?.end().catch(() => undefined);
    await this.local.close();
    await this.shared.close();
  }
}

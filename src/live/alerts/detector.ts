import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../../config/logger';
import { asBackground } from '../../db/pool-gate';
import type { AlertRulesConfig } from '../config';
import { detect, type Cluster, type ScannedResponse } from './rules';

/** Responses younger than this are left for the next pass: an insert started just before may not have committed yet. */
const SETTLE_MS = 1000;
/** Responses looked at per pass, at most. */
const SCAN_BATCH = 20000;

/**
 * Runs the kiosk alert rules in the background over newly stored
 * responses, never on a kiosk's request. A watermark (kiosk_alert_scan,
 * one row, locked FOR UPDATE SKIP LOCKED so one instance at a time scans)
 * says which responses are new; for each kiosk that sent new ones, its
 * responses around them (the burst window before and after, the streak
 * before) are read once and the rules run over them (rules.ts). A cluster
 * that continues an OPEN alert of the same rule extends it; otherwise it
 * raises a new alert with its responses not already in one of that rule.
 * Flagging changes no figure.
 */
export class AlertDetector {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = true;

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
    private readonly rules: AlertRulesConfig,
    private readonly intervalMs: number,
    /** Told, after commit, of every alert raised (kioskAlerts). */
    private readonly onRaised: (alertId: number, unitId: number) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (shared by concurrent callers); returns how many alerts it raised or extended. */
  scan(): Promise<number> {
    if (this.running) return this.running;
    const run = asBackground(() => this.pass()).finally(() => { this.running = undefined; });
    this.running = run;
    return run;
  }

  /** Passes until nothing new is left (tests, the demo seed). */
  async scanAll(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await this.scan();
      const [{ left }]: { left: boolean }[] = await this.db.query(
        `SELECT EXISTS (SELECT 1 FROM survey_response WHERE id > (SELECT last_response_id FROM kiosk_alert_scan WHERE id = 1)
            AND received_at < now() - make_interval(secs => $1)) AS left`, [SETTLE_MS / 1000]);
      if (!left) return;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.scan()
        .catch((e) => this.logger.warn('kiosk alert detection failed; it will be retried', { error: String((e as Error)?.message ?? e) }))
        .finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private async pass(): Promise<number> {
    const raised: { id: number; unitId: number }[] = [];
    let touched = 0;
    await this.db.transaction(async (tx) => {
      const [mark]: { last: string }[] = await tx.query(
        'SELECT last_response_id::text AS last FROM kiosk_alert_scan WHERE id = 1 FOR UPDATE SKIP LOCKED');
      if (!mark) return; // another instance is scanning
      const [{ bound }]: { bound: string | null }[] = await tx.query(
        `SELECT max(id)::text AS bound FROM (SELECT id FROM survey_response WHERE id > $1 AND received_at < now() - make_interval(secs => $3)
            ORDER BY id LIMIT $2) s`, [mark.last, SCAN_BATCH, SETTLE_MS / 1000]);
      if (bound === null) return;
      const kiosks: { kiosk_id: number; first: Date; last: Date }[] = await tx.query(
        `SELECT kiosk_id, min(submitted_at) AS first, max(submitted_at) AS last FROM survey_response
          WHERE id > $1 AND id <= $2 GROUP BY kiosk_id ORDER BY kiosk_id`, [mark.last, bound]);
      for (const k of kiosks) {
        const rows = await this.around(tx, k.kiosk_id, k.first, k.last, mark.last, bound);
        for (const cluster of detect(rows, this.rules)) {
          const done = await this.record(tx, k.kiosk_id, cluster);
          if (done?.raised) raised.push({ id: done.id, unitId: cluster.members[0].unitId });
          if (done) touched++;
        }
      }
      await tx.query('UPDATE kiosk_alert_scan SET last_response_id = $1 WHERE id = 1', [bound]);
    });
    for (const a of raised) this.onRaised(a.id, a.unitId);
    if (raised.length > 0) this.logger.info('kiosk alerts raised', { alerts: raised.length });
    return touched;
  }

  /** A kiosk's responses the rules need around its new ones (up to `bound`), sorted by submittedAt then id. */
  private async around(tx: EntityManager, kioskId: number, first: Date, last: Date, seen: string, bound: string): Promise<ScannedResponse[]> {
    const windowS = this.rules.burstWindowSeconds;
    const rows: { id: string; year: number; unit_id: number; submitted_at: Date; received_at: Date; signature: string | null; same_request: number; seen: boolean }[] =
      await tx.query(`
        WITH picked AS (
          SELECT id FROM survey_response
           WHERE kiosk_id = $1 AND id <= $5 AND submitted_at BETWEEN $2::timestamptz - make_interval(secs => $6) AND $3::timestamptz + make_interval(secs => $6)
          UNION
          (SELECT id FROM survey_response WHERE kiosk_id = $1 AND id <= $5 AND submitted_at < $2::timestamptz - make_interval(secs => $6)
            ORDER BY submitted_at DESC, id DESC LIMIT $7)
          UNION
          SELECT id FROM survey_response WHERE kiosk_id = $1 AND id > $4 AND id <= $5
        )
        SELECT r.id::text, r.year, r.unit_id, r.submitted_at, r.received_at, r.id <= $4 AS seen,
               (SELECT string_agg(a.question_id || ':' || a.value, ',' ORDER BY a.question_id) FROM survey_answer a WHERE a.response_id = r.id) AS signature,
               CASE WHEN abs(extract(epoch FROM r.received_at - r.submitted_at)) > $8
                    THEN (SELECT count(*)::int FROM survey_response o WHERE o.kiosk_id = r.kiosk_id AND o.received_at = r.received_at) ELSE 0 END AS same_request
          FROM picked p JOIN survey_response r ON r.id = p.id
         ORDER BY r.submitted_at, r.id`,
      [kioskId, first, last, seen, bound, windowS, this.rules.streakResponses, this.rules.clockSkewMinutes * 60]);
    return rows.map((r) => ({
      id: Number(r.id), year: r.year, unitId: r.unit_id, submittedAt: new Date(r.submitted_at).getTime(),
      receivedAt: new Date(r.received_at).getTime(), signature: r.signature ?? '', sameRequest: r.same_request, seen: r.seen,
    }));
  }

  /** Extends the OPEN alert of the rule the cluster continues, or raises a new one; null when nothing was new. */
  private async record(tx: EntityManager, kioskId: number, cluster: Cluster): Promise<{ id: number; raised: boolean } | null> {
    const ids = cluster.members.map((m) => String(m.id));
    const { year, unitId } = cluster.members[0];
    const known: { response_id: string; alert_id: number; status: string }[] = await tx.query(
      `SELECT ar.response_id::text, a.id AS alert_id, a.status FROM kiosk_alert_response ar JOIN kiosk_alert a ON a.id = ar.alert_id
        WHERE ar.response_id = ANY($1::bigint[]) AND a.rule = $2`, [ids, cluster.rule]);
    const inAlert = new Set(known.map((k) => k.response_id));
    const fresh = ids.filter((id) => !inAlert.has(id));
    if (fresh.length === 0) return null;
    const open = [...new Set(known.filter((k) => k.status === 'OPEN').map((k) => k.alert_id))];
    let alertId: number | null = null;
    if (open.length === 1) {
      // Still OPEN under its lock (a resolution in flight wins): the cluster continues it.
      const [row]: { id: number }[] = await tx.query(
        `UPDATE kiosk_alert SET status = status WHERE id = $1 AND status = 'OPEN' RETURNING id`, [open[0]]);
      alertId = row?.id ?? null;
    }
    const raised = alertId === null;
    if (alertId === null) {
      const [row]: { id: number }[] = await tx.query(
        `INSERT INTO kiosk_alert (kiosk_id, unit_id, year, rule, from_at, to_at, responses)
         SELECT $1, $2, $3, $4, min(submitted_at), max(submitted_at), count(*) FROM survey_response WHERE id = ANY($5::bigint[])
         RETURNING id`, [kioskId, unitId, year, cluster.rule, fresh]);
      alertId = row.id;
    }
    await tx.query('INSERT INTO kiosk_alert_response (alert_id, response_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING', [alertId, fresh]);
    await tx.query(
      `UPDATE kiosk_alert a SET from_at = s.from_at, to_at = s.to_at, responses = s.n
         FROM (SELECT min(r.submitted_at) AS from_at, max(r.submitted_at) AS to_at, count(*)::int AS n
                 FROM kiosk_alert_response ar JOIN survey_response r ON r.id = ar.response_id WHERE ar.alert_id = $1) s
        WHERE a.id = $1`, [alertId]);
    return { id: alertId, raised };
  }
}

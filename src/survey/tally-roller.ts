import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import type { UnitKind } from '../entities/enums';

/**
 * Adds stored survey responses to the roll-ups, off the kiosk's request path.
 *
 * A kiosk's submission inserts only its response and answers (with
 * `tallied = false`). One statement here takes a batch of untallied
 * responses (FOR UPDATE SKIP LOCKED, so concurrent roll-ups in one or many
 * processes never take the same row), flips their flag and adds them to
 * every tally, all in one transaction: each response is counted exactly
 * once, whatever crashes around it.
 *
 * Readers that need read-your-writes (satisfaction statistics, the index
 * engine) call `rollUp()` first; a timer keeps the backlog small between them.
 */
const ROLL_UP_SQL = `
WITH batch AS (
  UPDATE survey_response r SET tallied = true
   WHERE r.id IN (SELECT id FROM survey_response WHERE NOT tallied ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING r.id, r.year, r.unit_id, r.kiosk_id, (r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day,
            coalesce(r.procedure_code, '') AS procedure_code, r.late
), ans AS (
  SELECT b.id, b.year, b.unit_id, b.kiosk_id, b.day, b.procedure_code, b.late, a.question_id, a.value, q.element
    FROM batch b JOIN survey_answer a ON a.response_id = b.id JOIN question q ON q.id = a.question_id
), tally AS (
  INSERT INTO survey_tally AS t (year, unit_id, kiosk_id, day, procedure_code, late, question_id, answers, n1, n2, n3, n4, n5)
  SELECT year, unit_id, kiosk_id, day, procedure_code, late, question_id, count(*),
         count(*) FILTER (WHERE value = 1), count(*) FILTER (WHERE value = 2), count(*) FILTER (WHERE value = 3),
         count(*) FILTER (WHERE value = 4), count(*) FILTER (WHERE value = 5)
    FROM ans GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ON CONSTRAINT pk_survey_tally DO UPDATE SET
    answers = t.answers + excluded.answers, n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2,
    n3 = t.n3 + excluded.n3, n4 = t.n4 + excluded.n4, n5 = t.n5 + excluded.n5
), response_tally AS (
  INSERT INTO survey_response_tally AS t (year, unit_id, kiosk_id, day, procedure_code, late, responses)
  SELECT year, unit_id, kiosk_id, day, procedure_code, late, count(*)
    FROM batch GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT ON CONSTRAINT pk_survey_response_tally DO UPDATE SET responses = t.responses + excluded.responses
), element_tally AS (
  INSERT INTO survey_element_tally AS t (year, unit_id, kiosk_id, day, procedure_code, late, element, responses)
  SELECT year, unit_id, kiosk_id, day, procedure_code, late, element, count(DISTINCT id)
    FROM ans GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ON CONSTRAINT pk_survey_element_tally DO UPDATE SET responses = t.responses + excluded.responses
), question_tally AS (
  INSERT INTO survey_question_tally AS t (year, unit_id, late, question_id, answers, n1, n2, n3, n4, n5)
  SELECT year, unit_id, late, question_id, count(*),
         count(*) FILTER (WHERE value = 1), count(*) FILTER (WHERE value = 2), count(*) FILTER (WHERE value = 3),
         count(*) FILTER (WHERE value = 4), count(*) FILTER (WHERE value = 5)
    FROM ans GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT ON CONSTRAINT pk_survey_question_tally DO UPDATE SET
    answers = t.answers + excluded.answers, n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2,
    n3 = t.n3 + excluded.n3, n4 = t.n4 + excluded.n4, n5 = t.n5 + excluded.n5
), set_tally AS (
  INSERT INTO survey_question_set_tally AS t (year, unit_id, late, question_ids, responses)
  SELECT year, unit_id, late, question_ids, count(*)
    FROM (SELECT id, year, unit_id, late, array_agg(question_id ORDER BY question_id) AS question_ids
            FROM ans GROUP BY 1, 2, 3, 4) s
   GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT ON CONSTRAINT pk_survey_question_set_tally DO UPDATE SET responses = t.responses + excluded.responses
)
SELECT b.year, u.kind, b.late, count(*)::int AS responses
  FROM batch b JOIN unit u ON u.id = b.unit_id
 GROUP BY 1, 2, 3`;

export type RolledUpListener = (year: number, unitKind: UnitKind) => void;

export class TallyRoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = true;

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; batchSize: number; onRolledUp?: RolledUpListener },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /**
   * Rolls up every response stored before the call (batch by batch); returns
   * how many it added. Calls made while one runs share it, then run again so
   * that a caller always sees its own earlier writes.
   */
  async rollUp(): Promise<number> {
    const current = this.running;
    if (current) await current.catch(() => undefined);
    if (this.running && this.running !== current) return this.running;
    const run = this.drain().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async drain(): Promise<number> {
    // Everything committed before this point must be rolled up when drain returns.
    const [{ bound }]: { bound: string | null }[] = await this.db.query('SELECT max(id)::text AS bound FROM survey_response');
    if (bound === null) return 0;
    let total = 0;
    for (;;) {
      const rows: { year: number; kind: UnitKind; late: boolean; responses: number }[] =
        await this.db.query(ROLL_UP_SQL, [this.options.batchSize]);
      const n = rows.reduce((acc, r) => acc + r.responses, 0);
      // Late responses change no unpublished result: only the others ask for a recomputation.
      for (const r of rows) if (!r.late) this.options.onRolledUp?.(r.year, r.kind);
      total += n;
      if (n >= this.options.batchSize) continue;
      // A short batch: done, unless rows are held by a concurrent roll-up (SKIP LOCKED); wait for it to commit.
      const [{ pending }]: { pending: boolean }[] = await this.db.query(
        'SELECT EXISTS (SELECT 1 FROM survey_response WHERE NOT tallied AND id <= $1) AS pending', [bound]);
      if (!pending) return total;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.rollUp()
        .catch((e) => this.logger.warn('survey roll-up failed; it will be retried', { error: String(e) }))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}

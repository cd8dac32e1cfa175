import type { EntityManager } from 'typeorm';
import type { Logger } from '../config/logger';
import { asBackground } from '../db/pool-gate';
import type { UnitKind } from '../entities/enums';
import { type Db, managerOf } from '../services/db';

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
/** A response to add, one row each, as the CTE `batch` gives it (over survey_response `r`). */
const BATCH_COLUMNS = `r.id, r.year, r.unit_id, r.kiosk_id, (r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day,
  coalesce(r.procedure_code, '') AS procedure_code, r.late`;

/** Their answers, one row each, with the question's element. */
const ANSWERS_CTE = `ans AS (
  SELECT b.id, b.year, b.unit_id, b.kiosk_id, b.day, b.procedure_code, b.late, a.question_id, a.value, q.element
    FROM batch b JOIN survey_answer a ON a.response_id = b.id JOIN question q ON q.id = a.question_id
)`;

const COUNTS = `count(*) FILTER (WHERE value = 1), count(*) FILTER (WHERE value = 2), count(*) FILTER (WHERE value = 3),
         count(*) FILTER (WHERE value = 4), count(*) FILTER (WHERE value = 5)`;
const ADD_COUNTS = `answers = t.answers + excluded.answers, n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2,
    n3 = t.n3 + excluded.n3, n4 = t.n4 + excluded.n4, n5 = t.n5 + excluded.n5`;

/** Each roll-up table: the groups of `batch` (responses) or `ans` (answers) it counts, and how counts add up. */
const TALLIES: { table: string; columns: string; select: string; keys: string; add: string }[] = [{
  table: 'survey_tally',
  columns: 'year, unit_id, kiosk_id, day, procedure_code, late, question_id, answers, n1, n2, n3, n4, n5',
  select: `SELECT year, unit_id, kiosk_id, day, procedure_code, late, question_id, count(*), ${COUNTS} FROM ans GROUP BY 1, 2, 3, 4, 5, 6, 7`,
  keys: '1, 2, 3, 4, 5, 6, 7', add: ADD_COUNTS,
}, {
  table: 'survey_response_tally',
  columns: 'year, unit_id, kiosk_id, day, procedure_code, late, responses',
  select: 'SELECT year, unit_id, kiosk_id, day, procedure_code, late, count(*) FROM batch GROUP BY 1, 2, 3, 4, 5, 6',
  keys: '1, 2, 3, 4, 5, 6', add: 'responses = t.responses + excluded.responses',
}, {
  table: 'survey_element_tally',
  columns: 'year, unit_id, kiosk_id, day, procedure_code, late, element, responses',
  select: 'SELECT year, unit_id, kiosk_id, day, procedure_code, late, element, count(DISTINCT id) FROM ans GROUP BY 1, 2, 3, 4, 5, 6, 7',
  keys: '1, 2, 3, 4, 5, 6, 7', add: 'responses = t.responses + excluded.responses',
}, {
  table: 'survey_question_tally',
  columns: 'year, unit_id, late, question_id, answers, n1, n2, n3, n4, n5',
  select: `SELECT year, unit_id, late, question_id, count(*), ${COUNTS} FROM ans GROUP BY 1, 2, 3, 4`,
  keys: '1, 2, 3, 4', add: ADD_COUNTS,
}, {
  table: 'survey_question_set_tally',
  columns: 'year, unit_id, late, question_ids, responses',
  select: `SELECT year, unit_id, late, question_ids, count(*)
    FROM (SELECT id, year, unit_id, late, array_agg(question_id ORDER BY question_id) AS question_ids FROM ans GROUP BY 1, 2, 3, 4) s
   GROUP BY 1, 2, 3, 4`,
  keys: '1, 2, 3, 4', add: 'responses = t.responses + excluded.responses',
}];

/** The roll-up tables. */
export const TALLY_TABLES = TALLIES.map((t) => t.table);

/**
 * The INSERT that adds a table's groups: onto the counts already there
 * (`adding`; rows in key order, so that concurrent roll-ups lock them in
 * one order), or into an emptied table.
 */
function insertSql(t: (typeof TALLIES)[number], adding: boolean): string {
  return `INSERT INTO ${t.table} AS t (${t.columns}) ${t.select}`
    + (adding ? ` ORDER BY ${t.keys} ON CONFLICT ON CONSTRAINT pk_${t.table} DO UPDATE SET ${t.add}` : '');
}

/** One batch of untallied responses flagged and added to every roll-up, in one statement; per year, kind and lateness, how many. */
const ROLL_UP_SQL = `
WITH batch AS (
  UPDATE survey_response r SET tallied = true
   WHERE r.id IN (SELECT id FROM survey_response WHERE NOT tallied ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING ${BATCH_COLUMNS}
), ${ANSWERS_CTE},
${TALLIES.map((t, i) => `tally${i} AS (${insertSql(t, true)})`).join(',\n')}
SELECT b.year, u.kind, b.late, count(*)::int AS responses, array_agg(DISTINCT b.unit_id) AS units
  FROM batch b JOIN unit u ON u.id = b.unit_id
 GROUP BY 1, 2, 3`;

/**
 * The statements that add every stored response `where` selects (over
 * survey_response `r`) to the roll-ups, one per table, in one pass each:
 * for a rebuild, which empties the tables and takes the table lock first.
 */
export function addAllStatements(where: string): string[] {
  // Quarantined responses (src/live/alerts) stay stored and out of every figure: a rebuild leaves them out too.
  const stored = `(SELECT * FROM survey_response s WHERE NOT EXISTS (${QUARANTINED_SQL.replace('$RESPONSE', 's.id')}))`;
  return TALLIES.map((t) => `WITH batch AS (SELECT ${BATCH_COLUMNS} FROM ${stored} r ${where}), ${ANSWERS_CTE} ${insertSql(t, false)}`);
}

/** Whether the response `$RESPONSE` is in a quarantined kiosk alert. */
export const QUARANTINED_SQL = `SELECT 1 FROM kiosk_alert_response ar JOIN kiosk_alert a ON a.id = ar.alert_id
  WHERE ar.response_id = $RESPONSE AND a.status = 'QUARANTINED'`;

/**
 * The statements that take the responses `$1` (bigint[], every one already
 * rolled up) out of every roll-up (`out`), or put them back (`in`): the same
 * groups the roll-up adds, through the same TALLIES definitions, subtracted
 * (rows left at zero deleted, so that the tables are as if the responses had
 * never been added) or added. Run them in one transaction with the
 * responses locked.
 */
export function moveStatements(direction: 'out' | 'in'): string[] {
  const batch = `WITH batch AS (SELECT ${BATCH_COLUMNS} FROM survey_response r WHERE r.id = ANY($1::bigint[])), ${ANSWERS_CTE}`;
  if (direction === 'in') return TALLIES.map((t) => `${batch} ${insertSql(t, true)}`);
  return TALLIES.flatMap((t) => {
    const columns = t.columns.split(', ');
    const keyCount = t.keys.split(', ').length;
    const keys = columns.slice(0, keyCount);
    const values = columns.slice(keyCount);
    const match = keys.map((k) => `t.${k} = s.${k}`).join(' AND ');
    return [
      `${batch} UPDATE ${t.table} t SET ${values.map((v) => `${v} = t.${v} - s.${v}`).join(', ')}
         FROM (${t.select}) s(${t.columns}) WHERE ${match}`,
      // The first count column (answers or responses) at zero: the group is gone.
      `${batch} DELETE FROM ${t.table} t USING (${t.select}) s(${t.columns}) WHERE ${match} AND t.${values[0]} = 0`,
    ];
  });
}

export type RolledUpListener = (year: number, unitKind: UnitKind) => void;
/** Told, after each batch commits, the units of a year whose figures it changed (late responses change none). */
export type UnitsChangedListener = (year: number, unitIds: number[]) => void;

export class TallyRoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = true;
  /** Live data (src/live): satisfactionChanged is fired from here. */
  onUnitsChanged: UnitsChangedListener | undefined;

  private readonly db: EntityManager;

  constructor(
    db: Db,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; batchSize: number; onRolledUp?: RolledUpListener },
  ) {
    this.db = managerOf(db);
  }

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
    // Shared by every caller waiting for it (requests and the background): background work (src/db/pool-gate.ts).
    const run = asBackground(() => this.drain()).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async drain(): Promise<number> {
    // Everything committed before this point must be rolled up when drain returns. Most calls find nothing to roll
    // up (a recomputation, a single-unit update): one statement then, on the partial index of responses not tallied.
    const [{ bound, pending }]: { bound: string | null; pending: boolean }[] = await this.db.query(
      'SELECT max(id)::text AS bound, EXISTS (SELECT 1 FROM survey_response WHERE NOT tallied) AS pending FROM survey_response');
    if (bound === null || !pending) return 0;
    let total = 0;
    for (;;) {
      const rows: { year: number; kind: UnitKind; late: boolean; responses: number; units: number[] }[] =
        await this.db.query(ROLL_UP_SQL, [this.options.batchSize]);
      const n = rows.reduce((acc, r) => acc + r.responses, 0);
      // Late responses change no published result, only an amendment in progress that includes them (the scheduler
      // brings only unpublished years up to date, and finds nothing to do for an amendment that leaves them out).
      for (const r of rows) this.options.onRolledUp?.(r.year, r.kind);
      for (const r of rows) if (!r.late) this.onUnitsChanged?.(r.year, r.units);
      total += n;
      if (n >= this.options.batchSize) continue;
      // A short batch: done, unless rows are held by a concurrent roll-up (SKIP LOCKED); wait for it to commit.
      const [{ pending }]: { pending: boolean }[] = await this.db.query(
        'SELECT EXISTS (SELECT 1 FROM survey_response WHERE NOT tallied AND id <= $1) AS pending', [bound]);
      if (!pending) return total;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Responses stored and not yet rolled up, and the age of the oldest in seconds (null when none): for /metrics. */
  async backlog(): Promise<{ responses: number; oldestSeconds: number | null }> {
    const [row]: { responses: number; oldest: number | null }[] = await asBackground(() => this.db.query(
      `SELECT (SELECT count(*)::int FROM survey_response WHERE NOT tallied) AS responses,
              (SELECT extract(epoch FROM now() - received_at)::float8 FROM survey_response WHERE NOT tallied ORDER BY id LIMIT 1) AS oldest`));
    return { responses: row.responses, oldestSeconds: row.oldest };
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

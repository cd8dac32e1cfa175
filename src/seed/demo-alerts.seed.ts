import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import { hashToken } from '../auth/tokens';
import { demoYears } from './demo-years';

/** What the step adds to the demo: its two kiosks and their ratings (20 + 40). */
export const DEMO_ALERT_KIOSKS = 2;
export const DEMO_ALERT_RATINGS = 60;

const BURST_LABEL = 'Quầy thử nghiệm: gửi dồn dập';
const STUCK_LABEL = 'Quầy thử nghiệm: kẹt nút';
const HOUR = 3600 * 1000;
/** The stuck button's ratings: this many, this far apart, the first an hour after the morning's start. */
const STUCK_RATINGS = 40;
const STUCK_GAP_MS = 120_000;
/** From 09:00 to just past the stuck button's last rating (11:18): the morning the step writes, all of it before now. */
const MORNING_MS = HOUR + STUCK_RATINGS * STUCK_GAP_MS;

/** The latest 09:00 in Hà Nội on a working day (Monday to Saturday) of `year` whose ratings (MORNING_MS) are all past; null if none yet. */
function lastOfficeMorning(year: number, now: Date): Date | null {
  for (let days = 0; days < 14; days++) {
    // 09:00 in Hà Nội is 02:00 UTC.
    const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, 2, 0, 0));
    const local = new Date(at.getTime() + 7 * HOUR);
    if (local.getUTCFullYear() !== year) return null;
    if (local.getUTCDay() !== 0 && at.getTime() + MORNING_MS <= now.getTime()) return at;
  }
  return null;
}

/**
 * The demo's kiosk alerts (issue 17), a step of its own after the demo
 * seed: two kiosks at the busiest unit of the open year, one that sent 20
 * ratings within 40 seconds (BURST), one whose button stuck (40 identical
 * ratings, the best on every question, two minutes apart: STREAK), on the
 * latest working morning already past. The detector looks only at them
 * (its watermark is set to the ratings before), and raises the two alerts
 * in the background within ALERT_INTERVAL_MS of the first start.
 */
export async function seedDemoAlerts(db: DataSource, logger: Logger, now: Date = new Date()): Promise<boolean> {
  const { open } = demoYears(now);
  const start = lastOfficeMorning(open, now);
  if (!start) {
    logger.info('demo kiosk alerts skipped: no working morning of the open year has passed yet');
    return false;
  }
  return db.transaction(async (tx) => {
    const [known] = await tx.query('SELECT 1 FROM kiosk WHERE label = $1', [BURST_LABEL]);
    if (known) return false;
    const [unit]: { unit_id: number }[] = await tx.query(
      'SELECT unit_id FROM survey_response WHERE year = $1 GROUP BY unit_id ORDER BY count(*) DESC, unit_id LIMIT 1', [open]);
    const questions: { id: number; scale_max: number }[] = await tx.query('SELECT id, scale_max FROM question WHERE year = $1 ORDER BY position', [open]);
    if (!unit || questions.length === 0) return false;
    await tx.query('UPDATE kiosk_alert_scan SET last_response_id = (SELECT coalesce(max(id), 0) FROM survey_response) WHERE id = 1');
    const kiosk = async (label: string): Promise<number> => {
      const [k]: { id: number }[] = await tx.query('INSERT INTO kiosk (unit_id, label, token_hash) VALUES ($1, $2, $3) RETURNING id',
        [unit.unit_id, label, hashToken(`par_k_${randomBytes(24).toString('base64url')}`)]);
      return k.id;
    };
    const store = async (kioskId: number, times: Date[], value: (questionIndex: number, i: number) => number) => {
      await tx.query(`
        WITH r AS (
          INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, received_at)
          SELECT $1, $2, gen_random_uuid(), $3, t, t + interval '2 seconds' FROM unnest($4::timestamptz[]) t
          RETURNING id, submitted_at
        ), numbered AS (SELECT id, row_number() OVER (ORDER BY submitted_at, id) - 1 AS i FROM r)
        INSERT INTO survey_answer (response_id, question_id, value)
        SELECT n.id, a.question_id, a.value FROM numbered n
          JOIN unnest($5::int[], $6::int[], $7::int[]) AS a(i, question_id, value) ON a.i = n.i`,
      [kioskId, unit.unit_id, open, times.map((t) => t.toISOString()),
        ...columns(times.length, questions.map((q, qi) => ({ id: q.id, value: (i: number) => Math.min(q.scale_max, value(qi, i)) })))]);
    };
    // 20 ratings 2 s apart, answers varied.
    await store(await kiosk(BURST_LABEL), Array.from({ length: 20 }, (_, i) => new Date(start.getTime() + i * 2000)), (qi, i) => 1 + ((i + qi) % 5));
    // 40 ratings, two minutes apart, from 10:00: the best answer on every question.
    await store(await kiosk(STUCK_LABEL), Array.from({ length: STUCK_RATINGS }, (_, i) => new Date(start.getTime() + HOUR + i * STUCK_GAP_MS)), () => 5);
    logger.info('demo kiosks with a burst and a stuck button seeded; their alerts are raised in the background', { year: open });
    return true;
  });
}

/** Per response i and question: the answer rows as three parallel arrays (i, question_id, value). */
function columns(n: number, questions: { id: number; value: (i: number) => number }[]): [number[], number[], number[]] {
  const is: number[] = [];
  const ids: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) for (const q of questions) { is.push(i); ids.push(q.id); values.push(q.value(i)); }
  return [is, ids, values];
}

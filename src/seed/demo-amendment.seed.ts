import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import { ScoreRound, UnitKind } from '../entities/enums';
import type { Services } from '../services';
import { demoYears } from './demo-years';

/** The demo's amending decision ("quyết định điều chỉnh") of its latest published year's department ranking. */
export const DEMO_AMENDMENT = {
  unitKind: UnitKind.DEPARTMENT,
  reason: 'Điều chỉnh kết quả thẩm định sau khi Hội đồng xem xét giải trình và tài liệu kiểm chứng bổ sung của đơn vị',
  decisionRef: 'Quyết định số 215/QĐ-UBND',
  panelist: 'Hội đồng thẩm định (phiên thẩm định lại)',
};

interface Candidate { unit_id: number; code: string; criterion_id: number; criterion: string; max: string }
interface Place { code: string; score: string; band_code: string | null; position: number }

/**
 * The demo's amended decision (issue 14), a step of its own after the demo
 * seed: the latest published year's department ranking is amended (version
 * 2, with a reason and a decision reference): the council re-appraises one
 * leaf of one unit at full marks, and the amendment is published. So a
 * newcomer reads version 2 by default, version 1 with `version: 1`, and the
 * cycle's publications list both.
 *
 * The unit is the first below the top four, outside the ranking's tie,
 * whose re-appraisal changes its index without changing its band or making
 * a new tie (what the demo shows otherwise stays as it was: the four
 * "Xuất sắc", the tie, every band in use). Candidates are tried on the
 * amendment's working copy, one re-appraisal taken back before the next.
 * Returns false when the year is not published as first seeded (already
 * amended, or no such year).
 */
export async function seedDemoAmendment(
  db: DataSource, services: Pick<Services, 'publications' | 'expertScores' | 'results'>, logger: Logger, now: Date = new Date(),
): Promise<boolean> {
  const year = demoYears(now).published;
  const { unitKind } = DEMO_AMENDMENT;
  const [cycle]: { id: number; status: string; versions: number }[] = await db.query(
    `SELECT c.id, c.status, (SELECT count(*)::int FROM publication p WHERE p.cycle_id = c.id) AS versions
       FROM cycle c WHERE c.year = $1 AND c.unit_kind = $2`, [year, unitKind]);
  if (!cycle || cycle.status !== 'PUBLISHED' || cycle.versions !== 1) return false;
  const places = async (): Promise<Place[]> => db.query(
    `SELECT u.code, ir.score::text AS score, ir.band_code, ir.position FROM index_result ir JOIN unit u ON u.id = ir.unit_id
      WHERE ir.cycle_id = $1 ORDER BY ir.position`, [cycle.id]);
  const before = await places();
  const tied = new Set(before.filter((p) => before.some((q) => q !== p && q.score === p.score)).map((p) => p.code));
  // Leaves appraised below their maximum and not re-appraised, of the units below the top four and outside a tie.
  const candidates: Candidate[] = (await db.query(
    `SELECT ir.unit_id, u.code, c.id AS criterion_id, c.code AS criterion, c.max_points::text AS max
       FROM index_result ir JOIN unit u ON u.id = ir.unit_id
       JOIN criterion c ON c.cycle_id = ir.cycle_id AND c.source = 'EXPERT'
      WHERE ir.cycle_id = $1 AND ir.position > 4
        AND EXISTS (SELECT 1 FROM expert_score s WHERE s.unit_id = ir.unit_id AND s.criterion_id = c.id AND s.round = 'APPRAISAL' AND s.points < c.max_points)
        AND NOT EXISTS (SELECT 1 FROM expert_score s WHERE s.unit_id = ir.unit_id AND s.criterion_id = c.id AND s.round = 'REAPPRAISAL')
      ORDER BY ir.position, c.position, c.code`, [cycle.id]) as Candidate[]).filter((c) => !tied.has(c.code));

  await services.publications.amend({ year, unitKind, reason: DEMO_AMENDMENT.reason, decisionRef: DEMO_AMENDMENT.decisionRef });
  for (const c of candidates) {
    await services.expertScores.submit({
      year, unitCode: c.code, round: ScoreRound.REAPPRAISAL, panelist: DEMO_AMENDMENT.panelist,
      scores: [{ criterionCode: c.criterion, points: Number(c.max) }],
    }, 'demo-seed');
    await services.results.recompute(cycle.id);
    const after = await places();
    const was = before.find((p) => p.code === c.code)!;
    const now = after.find((p) => p.code === c.code)!;
    const fits = now.score !== was.score && now.band_code === was.band_code
      && !after.some((p) => p.code !== c.code && p.score === now.score)
      && after.slice(0, 4).map((p) => p.code).join() === before.slice(0, 4).map((p) => p.code).join();
    if (fits) {
      await services.results.publish(year, unitKind);
      logger.info('demo amendment published', { year, unitKind, unit: c.code, criterion: c.criterion, from: was.score, to: now.score });
      return true;
    }
    // Taken back before the next candidate (the demo's own score, never one a person entered).
    await db.query(`DELETE FROM expert_score WHERE unit_id = $1 AND criterion_id = $2 AND round = 'REAPPRAISAL' AND panelist = $3`,
      [c.unit_id, c.criterion_id, DEMO_AMENDMENT.panelist]);
    await services.results.recompute(cycle.id);
  }
  // No candidate fits: the amendment is published unchanged rather than left open.
  await services.results.publish(year, unitKind);
  logger.warn('demo amendment published without a changed score: no re-appraisal kept the demo as it is', { year, unitKind });
  return true;
}

import type { DataSource } from 'typeorm';
import { seesProvisionalOf, type Principal } from '../auth/principal';
import type { ScoreRound } from '../entities/enums';

/** One stored expert score as Unit.assessment shows it. */
export interface LeafScoreRow {
  unitId: number;
  criterionCode: string;
  round: ScoreRound;
  panelist: string;
  /** Exact, as stored (numeric as text); null when not applicable. */
  points: string | null;
  notApplicable: boolean;
  note: string | null;
  enteredAt: Date;
  enteredBy: string;
}

/**
 * Whether the caller reads a unit's assessment (its stored scores with
 * notes): APPRAISER, ANALYST and ADMIN every unit's, a UNIT officer its own
 * unit's: those who read the unit's provisional results. For anyone else it
 * reads as absent (API.md, "Rules behind the shapes"): an empty list, never
 * an error that tells it exists.
 */
export const mayReadAssessment = (principal: Principal | null, unitId: number): boolean => seesProvisionalOf(principal, unitId);

/**
 * The units' stored scores of a year (every round and panelist, notes, who
 * typed them and when), in one query for any number of units: ordered by
 * criterion code (the one collation, numbers by value), round (the year's
 * order), panelist.
 */
export class AssessmentService {
  constructor(private readonly db: DataSource) {}

  async of(unitIds: readonly number[], year: number): Promise<Map<number, LeafScoreRow[]>> {
    const rows: {
      unit_id: number; criterion_code: string; round: ScoreRound; panelist: string; points: string | null;
      not_applicable: boolean; note: string | null; entered_at: Date; entered_by: string;
    }[] = await this.db.query(
      `SELECT s.unit_id, c.code AS criterion_code, s.round, s.panelist, s.points::text AS points, s.not_applicable, s.note,
              s.entered_at, s.entered_by
         FROM expert_score s
         JOIN criterion c ON c.id = s.criterion_id
         JOIN cycle y ON y.id = c.cycle_id
        WHERE s.unit_id = ANY($1::int[]) AND y.year = $2
        ORDER BY s.unit_id, c.code COLLATE "vietnamese", c.code, s.round, s.panelist COLLATE "vietnamese", s.panelist`,
      [unitIds, year]);
    const byUnit = new Map<number, LeafScoreRow[]>(unitIds.map((id) => [id, []]));
    for (const r of rows) {
      byUnit.get(r.unit_id)?.push({
        unitId: r.unit_id, criterionCode: r.criterion_code, round: r.round, panelist: r.panelist, points: r.points,
        notApplicable: r.not_applicable, note: r.note, enteredAt: r.entered_at, enteredBy: r.entered_by,
      });
    }
    return byUnit;
  }
}

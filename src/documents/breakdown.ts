import type Decimal from 'decimal.js';
import type { DataSource } from 'typeorm';
import type { UnitKind } from '../entities/enums';
import { SURVEY_TALLY_SQL, toFrameworkSpec } from '../results/results.service';
import {
  computeUnitResult, prepareFramework, roundHalfUp2, toDecimal,
  type Adjustment, type LeafOutcome, type PanelScore, type PreparedFramework, type SurveyTally, type UnitOutcome,
} from '../scoring';
import type { Framework, FrameworkService } from '../services/framework.service';

/**
 * The figures of a result that GraphQL does not serve (yet): a unit's
 * expert and survey points, its bonus and penalty, and its leaves one by
 * one. They are worked out by the method itself (computeUnitResult, the
 * function the engine stores results with) over the unit's stored inputs,
 * read a page of units at a time, and shown only when they reproduce the
 * figures GraphQL gave for the same unit (while a recomputation is pending
 * they may not, and the cells stay empty rather than disagree).
 *
 * The expert scores are read with the engine's own rule (a score above its
 * leaf's maximum, left by a framework redefined lower, does not count);
 * survey counts with its SURVEY_TALLY_SQL.
 */
export interface PointsBreakdown { expert: Decimal; survey: Decimal; bonus: Decimal; penalty: Decimal }

/** What GraphQL said of the unit, to check the breakdown against. */
export interface ShownResult { code: string; earnedPoints: number; expertScore: number | null }

const SCORES_SQL = `
  SELECT s.unit_id, s.criterion_id, s.round, s.panelist, s.points, s.not_applicable
    FROM expert_score s JOIN criterion c ON c.id = s.criterion_id
   WHERE c.cycle_id = $1 AND c.source = 'EXPERT' AND (s.points IS NULL OR s.points <= c.max_points) AND s.unit_id = ANY($2::int[])`;
const ADJUSTMENTS_SQL = `SELECT unit_id, round, panelist, bonus, penalty FROM score_adjustment WHERE cycle_id = $1 AND unit_id = ANY($2::int[])`;

interface Inputs { panelScores: PanelScore[]; adjustments: Adjustment[]; surveyTallies: SurveyTally[] }

export class BreakdownReader {
  constructor(private readonly db: DataSource, private readonly frameworks: FrameworkService) {}

  /** The cycle's framework, prepared once for every page; null when the year and kind have none. */
  async forCycle(year: number, unitKind: UnitKind): Promise<CycleBreakdown | null> {
    const framework = await this.frameworks.find(year, unitKind);
    return framework ? new CycleBreakdown(this.db, framework) : null;
  }
}

export class CycleBreakdown {
  private readonly spec: PreparedFramework | null;

  constructor(private readonly db: DataSource, readonly framework: Framework) {
    let spec: PreparedFramework | null = null;
    try {
      spec = prepareFramework(toFrameworkSpec(framework));
    } catch {
      // A framework the method cannot take (none of its rows come from the service, e.g. written by hand): no breakdown.
    }
    this.spec = spec;
  }

  private async inputs(unitIds: number[], withSurvey: boolean): Promise<Map<number, Inputs>> {
    const cycleId = this.framework.cycle.id;
    const byUnit = new Map<number, Inputs>(unitIds.map((id) => [id, { panelScores: [], adjustments: [], surveyTallies: [] }]));
    const [scores, adjustments, tallies] = await Promise.all([
      this.db.query(SCORES_SQL, [cycleId, unitIds]),
      this.db.query(ADJUSTMENTS_SQL, [cycleId, unitIds]),
      withSurvey
        ? this.db.query(`SELECT * FROM (${SURVEY_TALLY_SQL}) t WHERE t.unit_id = ANY($4::int[])`,
          [this.framework.cycle.year, this.framework.cycle.unitKind, cycleId, unitIds])
        : Promise.resolve([]),
    ]);
    for (const s of scores) {
      byUnit.get(s.unit_id)?.panelScores.push({ leafId: String(s.criterion_id), round: s.round, panelist: s.panelist, points: s.points, notApplicable: s.not_applicable });
    }
    for (const a of adjustments) byUnit.get(a.unit_id)?.adjustments.push({ round: a.round, panelist: a.panelist, bonus: a.bonus, penalty: a.penalty });
    for (const t of tallies) {
      byUnit.get(t.unit_id)?.surveyTallies.push({ leafId: String(t.criterion_id), responses: Number(t.responses), answers: Number(t.answers), satisfied: Number(t.satisfied) });
    }
    return byUnit;
  }

  private outcome(input: Inputs): UnitOutcome | null {
    if (!this.spec) return null;
    try {
      return computeUnitResult(this.spec, input);
    } catch {
      return null;
    }
  }

  /**
   * Per unit code of a page: expert and survey points, bonus and penalty,
   * exact; null where they cannot be shown consistently with `shown`.
   * Survey points are the stored exact earned points less the others (the
   * survey counts are then not read per page: at national scale they are
   * one aggregation over every unit).
   */
  async page(shown: ShownResult[]): Promise<Map<string, PointsBreakdown | null>> {
    const out = new Map<string, PointsBreakdown | null>(shown.map((s) => [s.code, null]));
    if (!this.spec || shown.length === 0) return out;
    const rows: { id: number; code: string; earned_points: string }[] = await this.db.query(
      `SELECT u.id, u.code, ir.earned_points FROM unit u JOIN index_result ir ON ir.unit_id = u.id AND ir.cycle_id = $1
        WHERE u.code = ANY($2::varchar[])`, [this.framework.cycle.id, shown.map((s) => s.code)]);
    const inputs = await this.inputs(rows.map((r) => r.id), false);
    const byCode = new Map(shown.map((s) => [s.code, s]));
    for (const row of rows) {
      const s = byCode.get(row.code)!;
      const outcome = this.outcome(inputs.get(row.id)!);
      if (!outcome) continue;
      const expertLeaves = outcome.leaves.filter((l) => l.source === 'EXPERT');
      const expert = sumOf(expertLeaves.map((l) => l.earned));
      const expertMax = sumOf(expertLeaves.map((l) => l.max));
      const earned = toDecimal(row.earned_points);
      // Stored figures are exact to 40 digits (a third stays 0.333…3): a difference below that is nothing.
      const difference = earned.minus(outcome.bonus).plus(outcome.penalty).minus(expert);
      const survey = difference.abs().lessThan('1e-30') ? toDecimal(0) : difference;
      const expertScore = expertMax.isZero() ? null : roundHalfUp2(expert.times(100).dividedBy(expertMax)).toNumber();
      const consistent = roundHalfUp2(earned).toNumber() === s.earnedPoints && expertScore === s.expertScore && !survey.isNegative();
      out.set(row.code, consistent ? { expert, survey, bonus: outcome.bonus, penalty: outcome.penalty } : null);
    }
    return out;
  }

  /** One unit, leaf by leaf (survey counts included); null when it does not reproduce `score`. */
  async unit(code: string, score: number): Promise<(UnitOutcome & { expert: Decimal; survey: Decimal }) | null> {
    const [row]: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
    if (!row || !this.spec) return null;
    const outcome = this.outcome((await this.inputs([row.id], true)).get(row.id)!);
    if (!outcome || outcome.score === null || outcome.score.toNumber() !== score) return null;
    const of = (source: LeafOutcome['source']) => sumOf(outcome.leaves.filter((l) => l.source === source).map((l) => l.earned));
    return { ...outcome, expert: of('EXPERT'), survey: of('SURVEY') };
  }
}

function sumOf(values: Decimal[]): Decimal {
  return values.reduce((a, b) => a.plus(b), toDecimal(0));
}

/** A figure for a cell: rounded half-up to two decimals once, as every published figure. */
export function figure(d: Decimal): number {
  return roundHalfUp2(d).toNumber();
}

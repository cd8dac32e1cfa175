import type { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import { CriterionSource, CycleStatus, ScoreRound, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { describeInvalidAdjustment, describeInvalidPoints } from '../scoring';
import type { FrameworkService } from '../services/framework.service';
import { leavesOf } from '../services/framework.service';
import type { UnitService } from '../services/unit.service';
import { existsIn, yearsText } from '../services/unit-years';
import { requireCode, requireText, requireYear } from '../util/validate';
import type { RankingService, ResultRow } from './ranking.service';
import type { ResultsService } from './results.service';
import { signerOf } from './signer';
import { recordAudit } from '../audit';

export interface ExpertScoreData { criterionCode: string; points?: number | null; notApplicable?: boolean | null; note?: string | null }
export interface SubmitExpertScoresData {
  year: number; unitCode: string; round: ScoreRound; panelist?: string | null;
  scores: ExpertScoreData[]; bonus?: number | null; penalty?: number | null;
}

const MAX_SCORES = 2000;

/** The unit's stored result as submitExpertScores answers it: `stale` when it does not yet reflect the call's scores. */
export type SubmittedResult = ResultRow & { stale: boolean };

export interface ExpertScoreHooks {
  /**
   * The scores of a call were committed but the recomputation after them
   * failed: the engine's scheduler is to recompute the year and kind (its
   * markDirty), and the failure is logged.
   */
  onRecomputeFailed?: (year: number, unitKind: UnitKind, error: unknown) => void;
}

interface StoredScore { criterion_id: number; points: string | null; not_applicable: boolean }

/** A leaf's score as audit entries show it (as an appraisal import's do): its points, 'N/A', or null if none is stored. */
function scoreShown(s: { points: string | null; notApplicable: boolean } | undefined): string | null {
  return s === undefined ? null : s.notApplicable ? 'N/A' : s.points === null ? null : String(Number(s.points));
}

/**
 * submitExpertScores' audit values: each leaf it writes (by code) and the
 * bonus or penalty it sets, as stored before and as given.
 */
function scoresChanged(
  rows: { criterionId: number; code: string; points: string | null; notApplicable: boolean }[],
  was: StoredScore[], adjustment: { bonus: string | null; penalty: string | null },
  wasAdjustment: { bonus: string | null; penalty: string | null } | undefined,
) {
  const stored = new Map(was.map((w) => [w.criterion_id, { points: w.points, notApplicable: w.not_applicable }]));
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const r of rows) {
    before[r.code] = scoreShown(stored.get(r.criterionId));
    after[r.code] = scoreShown(r);
  }
  for (const kind of ['bonus', 'penalty'] as const) {
    if (adjustment[kind] === null) continue;
    const old = wasAdjustment?.[kind] ?? null;
    before[kind] = old === null ? null : Number(old);
    after[kind] = Number(adjustment[kind]);
  }
  return { before, after };
}

/**
 * The expert panel's scores: validated in full, stored in one transaction,
 * then the unit recomputed and the ranks it changes moved
 * (ResultsService.recompute with the unit: a single-unit update, or a full
 * recomputation when the engine cannot trust what it last wrote).
 *
 * The two are not one transaction on purpose: the update takes the cycle's
 * results lock, which a full recomputation also holds while it writes, and
 * the scores must not wait for it. When the update fails after the scores
 * committed, the answer is still the truth: the scores are stored, the
 * unit's result is the one last computed, marked `stale`, and the scheduler
 * recomputes the cycle on its next tick.
 */
export class ExpertScoreService {
  constructor(
    private readonly db: DataSource,
    private readonly units: UnitService,
    private readonly frameworks: FrameworkService,
    private readonly results: ResultsService,
    private readonly rankings: RankingService,
    private readonly hooks: ExpertScoreHooks = {},
  ) {}

  /**
   * Upserts one panelist's scores of one unit and round (and the bonus and
   * penalty, when given), then recomputes the unit and moves the ranks it
   * changes, so that the result returned reflects them at once (or says it
   * does not: `stale`).
   */
  async submit(data: SubmitExpertScoresData, by: Principal | string): Promise<SubmittedResult> {
    const year = requireYear('input.year', data.year);
    const unit = await this.units.requireByCode(requireCode('input.unitCode', data.unitCode), 'input.unitCode');
    // Who may sign these scores (API.md, People): refused before anything is read or written.
    const signer = signerOf(by, unit, data.round, data.panelist);
    if (!existsIn(unit, year)) {
      throw new AppError(ErrorCode.UNIT_NOT_IN_YEAR, `${unit.code} does not exist in ${year} (its years are ${yearsText(unit)}): it has no scores that year`, 'input.unitCode');
    }
    const panelist = requireText('input.panelist', signer, 200);
    if (!Object.values(ScoreRound).includes(data.round)) throw invalid('input.round', `input.round must be one of ${Object.values(ScoreRound).join(', ')}`);
    if (data.scores.length > MAX_SCORES) throw invalid('input.scores', `input.scores holds ${data.scores.length} scores; at most ${MAX_SCORES} are allowed in one call`);
    if (data.scores.length === 0 && data.bonus == null && data.penalty == null) {
      throw invalid('input.scores', 'input.scores is empty and no bonus or penalty is given: nothing to store');
    }

    const cycleId = await this.db.transaction(async (tx) => {
      const cycle = await tx.query(
        'SELECT id, status, max_bonus, max_penalty FROM cycle WHERE year = $1 AND unit_kind = $2 FOR SHARE', [year, unit.kind],
      ) as { id: number; status: CycleStatus; max_bonus: string; max_penalty: string }[];
      if (!cycle[0]) {
        throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `No framework is defined for ${year} and ${unit.kind} (the kind of unit ${unit.code})`, 'input.year');
      }
      const { id, status } = cycle[0];
      if (status === CycleStatus.PUBLISHED) {
        throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${unit.kind} results are published: expert scores can no longer change`);
      }
      if (status === CycleStatus.DRAFT) {
        throw new AppError(ErrorCode.CYCLE_STATUS, `The ${year} ${unit.kind} cycle is DRAFT: no scores are accepted until it is opened with openCycle(year: ${year}, unitKind: ${unit.kind})`);
      }
      const framework = await this.frameworks.loadById(tx, id);
      const leaves = new Map(leavesOf(framework).map(({ node }) => [node.code, node]));
      const allCodes = new Set<string>();
      const walk = (n: { code: string; children: { code: string; children: any[] }[] }) => { allCodes.add(n.code); n.children.forEach(walk); };
      framework.domains.forEach(walk);

      const seen = new Set<number>();
      const rows = data.scores.map((s, i) => {
        const field = `input.scores[${i}]`;
        const code = requireCode(`${field}.criterionCode`, s.criterionCode);
        const leaf = leaves.get(code);
        if (!leaf) {
          if (allCodes.has(code)) {
            throw invalid(`${field}.criterionCode`, `${field}.criterionCode "${code}" has sub-criteria; score its leaves instead`);
          }
          throw new AppError(ErrorCode.CRITERION_NOT_FOUND, `${field}.criterionCode "${code}" is not a criterion of the ${year} ${unit.kind} framework`, `${field}.criterionCode`);
        }
        if (leaf.source !== CriterionSource.EXPERT) {
          throw invalid(`${field}.criterionCode`, `${field}.criterionCode "${code}" is a SURVEY leaf: its points come from citizen surveys, not from the panel`);
        }
        if (seen.has(leaf.id)) throw invalid(`${field}.criterionCode`, `${field}.criterionCode "${code}" appears twice in this call`);
        seen.add(leaf.id);
        const range = `allowed: 0 to ${Number(leaf.maxPoints)} with at most two decimals`;
        let points: string | null = null;
        if (s.notApplicable) {
          if (s.points != null) throw invalid(`${field}.points`, `${field} marks criterion ${code} not applicable and also gives points; give one or the other`);
        } else {
          if (s.points == null) throw invalid(`${field}.points`, `${field}.points is required for criterion ${code} unless notApplicable is true; ${range}`);
          if (!Number.isFinite(s.points)) throw invalid(`${field}.points`, `${field}.points of criterion ${code} must be a finite number; ${range}`);
          const problem = describeInvalidPoints(String(s.points), leaf.maxPoints, code);
          if (problem) throw invalid(`${field}.points`, `${field}.points: ${problem}; ${range}`);
          points = String(s.points);
        }
        const note = s.note == null || s.note.trim() === '' ? null : requireText(`${field}.note`, s.note, 2000);
        return { criterionId: leaf.id, code, points, notApplicable: !!s.notApplicable, note };
      });

      const adjustment = (kind: 'bonus' | 'penalty', value: number | null | undefined, cap: string): string | null => {
        if (value == null) return null;
        const field = `input.${kind}`;
        const allowed = `allowed: 0 to ${Number(cap)} with at most two decimals`;
        if (!Number.isFinite(value)) throw invalid(field, `${field} must be a finite number; ${allowed}`);
        const problem = describeInvalidAdjustment(kind, String(value), cap);
        if (problem) throw invalid(field, `${field}: ${problem}; ${allowed}`);
        return String(value);
      };
      const bonus = adjustment('bonus', data.bonus, cycle[0].max_bonus);
      const penalty = adjustment('penalty', data.penalty, cycle[0].max_penalty);
      // What the audit entry shows as before: the stored values of exactly what this call writes.
      const was: StoredScore[] = rows.length === 0 ? [] : await tx.query(
        `SELECT criterion_id, points::text AS points, not_applicable FROM expert_score
          WHERE unit_id = $1 AND round = $2 AND panelist = $3 AND criterion_id = ANY($4::int[])`,
        [unit.id, data.round, panelist, rows.map((r) => r.criterionId)]);
      const [wasAdjustment]: { bonus: string | null; penalty: string | null }[] = bonus === null && penalty === null ? [] : await tx.query(
        'SELECT bonus::text AS bonus, penalty::text AS penalty FROM score_adjustment WHERE unit_id = $1 AND cycle_id = $2 AND round = $3 AND panelist = $4',
        [unit.id, id, data.round, panelist]);

      if (rows.length > 0) {
        await tx.query(
          `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, not_applicable, note, updated_at)
           SELECT $1, t.criterion_id, $2::score_round, $3, t.points, t.not_applicable, t.note, now()
             FROM unnest($4::int[], $5::numeric[], $6::boolean[], $7::text[]) AS t(criterion_id, points, not_applicable, note)
           ON CONFLICT (unit_id, criterion_id, round, panelist) DO UPDATE SET
             points = excluded.points, not_applicable = excluded.not_applicable, note = excluded.note, updated_at = now()`,
          [unit.id, data.round, panelist, rows.map((r) => r.criterionId), rows.map((r) => r.points),
            rows.map((r) => r.notApplicable), rows.map((r) => r.note)],
        );
      }
      if (bonus !== null || penalty !== null) {
        await tx.query(
          `INSERT INTO score_adjustment (unit_id, cycle_id, round, panelist, bonus, penalty, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, now())
           ON CONFLICT (unit_id, cycle_id, round, panelist) DO UPDATE SET
             bonus = COALESCE(excluded.bonus, score_adjustment.bonus),
             penalty = COALESCE(excluded.penalty, score_adjustment.penalty), updated_at = now()`,
          [unit.id, id, data.round, panelist, bonus, penalty],
        );
      }
      await recordAudit(tx, {
        operation: 'submitExpertScores', unitCode: unit.code, year, target: `${data.round}/${panelist}`,
        ...scoresChanged(rows, was, { bonus, penalty }, wasAdjustment),
      });
      return id;
    });
    // From here on the scores are committed: nothing below may answer as if they were not.
    let stale = false;
    try {
      await this.results.recompute(cycleId, { unitId: unit.id });
    } catch (e) {
      stale = true;
      try {
        this.hooks.onRecomputeFailed?.(year, unit.kind, e);
      } catch {
        // Scheduling a later recomputation must never turn a stored submission into an error.
      }
    }
    let result: ResultRow | undefined;
    try {
      [result] = await this.rankings.resultsByUnitYear([{ unitId: unit.id, year }]);
    } catch {
      result = undefined;
    }
    if (!result && stale) {
      // Only when no recomputation of the cycle ever succeeded since the unit was created, or the database went away
      // right after the commit: there is no result to answer, but the scores are stored and resending them is harmless.
      throw new AppError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `The scores were stored, but the ${year} result of unit ${unit.code} could not be computed now; it will be recomputed in the background: read it later with unit(code: "${unit.code}") { result(year: ${year}) }. Sending the same scores again changes nothing.`,
        undefined,
        { reason: 'RESULT_PENDING', stored: true },
      );
    }
    if (!result) {
      // Recomputed, yet no result: the unit has no index that year (no leaf applies to it). The scores are stored.
      throw new AppError(
        ErrorCode.CYCLE_STATUS,
        `The scores were stored; unit ${unit.code} has no ${year} index (no criterion applies to it), so there is no result to return`,
      );
    }
    return { ...result, stale };
  }
}

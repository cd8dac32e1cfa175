import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { CriterionSource, CycleStatus, ScoreRound, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { describeInvalidAdjustment, describeInvalidPoints } from '../scoring';
import type { FrameworkService } from '../services/framework.service';
import { leavesOf } from '../services/framework.service';
import type { UnitService } from '../services/unit.service';
import { managerOf, type Db } from '../services/db';
import { existsIn, yearsText } from '../services/unit-years';
import { requireCode, requireText, requireYear } from '../util/validate';
import type { RankingService, ResultRow } from './ranking.service';
import type { ResultsService } from './results.service';
import { signerOf } from './signer';
import { requireRoundOpen } from '../appraisal/round-windows';
import { recordAudit } from '../audit';

export interface ExpertScoreData { criterionCode: string; points?: number | null; notApplicable?: boolean | null; note?: string | null }
export interface SubmitExpertScoresData {
  year: number; unitCode: string; round: ScoreRound; panelist?: string | null;
  scores: ExpertScoreData[]; bonus?: number | null; penalty?: number | null;
}

export interface WithdrawExpertScoreData {
  year: number; unitCode: string; criterionCode: string; round: ScoreRound; panelist?: string | null;
}

const MAX_SCORES = 2000;

/** signerOf's refusals name submitExpertScores' `input.` fields; withdrawExpertScore's are its own arguments. */
function asArguments<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AppError && e.field?.startsWith('input.')) {
      throw new AppError(e.code, e.message.replaceAll('input.', ''), e.field.slice('input.'.length), e.details);
    }
    throw e;
  }
}

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
  private readonly db: EntityManager;

  /**
   * `db` a DataSource or a transaction's EntityManager (src/services/db.ts); of the results it needs only
   * the single-unit recomputation, of the rankings only a unit's result (the demo seed passes stand-ins).
   */
  constructor(
    db: Db,
    private readonly units: UnitService,
    private readonly frameworks: FrameworkService,
    private readonly results: Pick<ResultsService, 'recompute'>,
    private readonly rankings: Pick<RankingService, 'resultsByUnitYear'>,
    private readonly hooks: ExpertScoreHooks = {},
  ) {
    this.db = managerOf(db);
  }

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
      // Round windows (src/appraisal/round-windows.ts): the call's round, scores and bonus or penalty alike.
      await requireRoundOpen(tx, { id, year, unitKind: unit.kind }, data.round, unit, 'input.round');
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
          `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, not_applicable, note, updated_at, entered_at, entered_by)
           SELECT $1, t.criterion_id, $2::score_round, $3, t.points, t.not_applicable, t.note, now(), now(), $8
             FROM unnest($4::int[], $5::numeric[], $6::boolean[], $7::text[]) AS t(criterion_id, points, not_applicable, note)
           ON CONFLICT (unit_id, criterion_id, round, panelist) DO UPDATE SET
             points = excluded.points, not_applicable = excluded.not_applicable, note = excluded.note, updated_at = now(),
             entered_at = now(), entered_by = excluded.entered_by`,
          [unit.id, data.round, panelist, rows.map((r) => r.criterionId), rows.map((r) => r.points),
            rows.map((r) => r.notApplicable), rows.map((r) => r.note), typeof by === 'string' ? by : by.name],
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
    return this.recomputed(cycleId, unit, year, 'stored');
  }

  /**
   * Removes one stored score from the method (DOMAIN.md: withdrawing deletes
   * it; the audit keeps it as `before`), under the rules of submitting it:
   * who may sign it (an APPRAISER its own, a UNIT its unit's
   * SELF_ASSESSMENT, ADMIN any), the cycle OPEN, the round's window open for
   * the unit. Then the unit is recomputed as after a submission.
   */
  async withdraw(data: WithdrawExpertScoreData, by: Principal | string): Promise<SubmittedResult> {
    const year = requireYear('year', data.year);
    const unit = await this.units.requireByCode(requireCode('unitCode', data.unitCode), 'unitCode');
    if (!Object.values(ScoreRound).includes(data.round)) throw invalid('round', `round must be one of ${Object.values(ScoreRound).join(', ')}`);
    const panelist = requireText('panelist', asArguments(() => signerOf(by, unit, data.round, data.panelist)), 200);
    const criterionCode = requireCode('criterionCode', data.criterionCode);
    if (!existsIn(unit, year)) {
      throw new AppError(ErrorCode.UNIT_NOT_IN_YEAR, `${unit.code} does not exist in ${year} (its years are ${yearsText(unit)}): it has no scores that year`, 'unitCode');
    }
    const cycleId = await this.db.transaction(async (tx) => {
      const [cycle]: { id: number; status: CycleStatus }[] = await tx.query(
        'SELECT id, status FROM cycle WHERE year = $1 AND unit_kind = $2 FOR SHARE', [year, unit.kind]);
      if (!cycle) {
        throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `No framework is defined for ${year} and ${unit.kind} (the kind of unit ${unit.code})`, 'year');
      }
      if (cycle.status === CycleStatus.PUBLISHED) {
        throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${unit.kind} results are published: expert scores can no longer change`, 'year');
      }
      if (cycle.status === CycleStatus.DRAFT) {
        throw new AppError(ErrorCode.CYCLE_STATUS, `The ${year} ${unit.kind} cycle is DRAFT: it holds no scores to withdraw`, 'year');
      }
      await requireRoundOpen(tx, { id: cycle.id, year, unitKind: unit.kind }, data.round, unit, 'round');
      const [removed]: { points: string | null; not_applicable: boolean; note: string | null; entered_at: Date; entered_by: string }[] = await tx.query(
        `WITH removed AS (
           DELETE FROM expert_score s USING criterion c
            WHERE c.id = s.criterion_id AND c.cycle_id = $1 AND c.code = $2
              AND s.unit_id = $3 AND s.round = $4::score_round AND s.panelist = $5
           RETURNING s.points::text AS points, s.not_applicable, s.note, s.entered_at, s.entered_by)
         SELECT * FROM removed`,
        [cycle.id, criterionCode, unit.id, data.round, panelist]);
      if (!removed) {
        const [criterion] = await tx.query('SELECT 1 FROM criterion WHERE cycle_id = $1 AND code = $2', [cycle.id, criterionCode]);
        if (!criterion) {
          throw new AppError(ErrorCode.CRITERION_NOT_FOUND, `criterionCode "${criterionCode}" is not a criterion of the ${year} ${unit.kind} framework`, 'criterionCode');
        }
        throw new AppError(ErrorCode.SCORE_NOT_FOUND,
          `No ${data.round} score of panelist "${panelist}" is stored for criterion ${criterionCode} of unit ${unit.code} in ${year}: nothing to withdraw`, 'criterionCode');
      }
      await recordAudit(tx, {
        operation: 'withdrawExpertScore', unitCode: unit.code, year, target: `${data.round}/${panelist}/${criterionCode}`,
        before: {
          points: removed.points === null ? null : Number(removed.points), notApplicable: removed.not_applicable, note: removed.note,
          enteredAt: removed.entered_at.toISOString(), enteredBy: removed.entered_by,
        },
        after: null,
      });
      return cycle.id;
    });
    return this.recomputed(cycleId, unit, year, 'withdrawn');
  }

  /**
   * After a committed change of a unit's scores: the unit recomputed and the
   * ranks it changes moved, and its result answered (`stale` when the
   * recomputation failed: the scheduler takes it up).
   */
  private async recomputed(
    cycleId: number, unit: { id: number; code: string; kind: UnitKind }, year: number, done: 'stored' | 'withdrawn',
  ): Promise<SubmittedResult> {
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
    let result: ResultRow | null | undefined;
    try {
      [result] = await this.rankings.resultsByUnitYear([{ unitId: unit.id, year }]);
    } catch {
      result = undefined;
    }
    if (!result && stale) {
      // Only when no recomputation of the cycle ever succeeded since the unit was created, or the database went away
      // right after the commit: there is no result to answer, but the change is committed and sending it again is harmless.
      throw new AppError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `The scores were ${done}, but the ${year} result of unit ${unit.code} could not be computed now; it will be recomputed in the background: read it later with unit(code: "${unit.code}") { result(year: ${year}) }.${done === 'stored' ? ' Sending the same scores again changes nothing.' : ''}`,
        undefined,
        { reason: 'RESULT_PENDING', stored: true },
      );
    }
    if (!result) {
      // Recomputed, yet no result: the unit has no index that year (no leaf applies to it). The change is committed.
      throw new AppError(
        ErrorCode.CYCLE_STATUS,
        `The scores were ${done}; unit ${unit.code} has no ${year} index (no criterion applies to it), so there is no result to return`,
      );
    }
    return { ...result, stale };
  }
}

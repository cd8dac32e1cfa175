import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { pgPool } from '../db/data-source';
import type { Logger } from '../config/logger';
import { CriterionSource, CycleStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import {
  computeUnitResult, listingOrder, rankItems,
  type Adjustment, type FrameworkSpec, type PanelScore, type SurveyTally, type UnitOutcome,
} from '../scoring';
import { type Framework, type FrameworkService, leavesOf } from '../services/framework.service';
import type { TallyRoller } from '../survey/tally-roller';

/**
 * The SQL that feeds the index method, and the set-wise writing of its
 * results. One recomputation covers one cycle (year and unit kind): the
 * framework once, every expert score and adjustment of the cycle with one
 * query each, the survey counts with one aggregation, the method per unit,
 * the ranks, then every result written with a handful of array statements
 * in one transaction. A PUBLISHED cycle is never touched.
 */

interface UnitRow { id: number; code: string; name: string; parent_id: number | null }
/** [unit_id, criterion_id, round, panelist, points, not_applicable] */
type ScoreRow = [number, number, PanelScore['round'], string, string | null, boolean];
interface AdjustmentRow { unit_id: number; round: Adjustment['round']; panelist: string; bonus: string | null; penalty: string | null }
interface TallyRow { unit_id: number; criterion_id: number; responses: string; answers: string; satisfied: string }

/** What the reads of one recomputation gather. */
interface CycleInputs {
  units: UnitRow[];
  scores: ScoreRow[];
  adjustments: AdjustmentRow[];
  tallies: TallyRow[];
  /** Responses of the year per unit (not late). */
  unitResponses: Map<number, number>;
  previousRanks: Map<number, number>;
}

export interface RecomputeStats {
  cycleId: number; units: number; skipped?: 'PUBLISHED' | 'MISSING'; ms: number;
  /** Where the time went: reading, the method and ranks, writing. */
  phases?: { readMs: number; computeMs: number; writeMs: number };
}

/**
 * The survey counts per unit and SURVEY leaf of a cycle, read from the
 * roll-ups (never from the raw answers): answers and satisfied answers from
 * survey_question_tally (satisfied = the value counts at or above each
 * question's threshold); responses that answered any of the leaf's
 * questions from survey_question_set_tally (the sets overlapping the leaf's
 * questions). Late responses (after publication) are left out.
 */
export const SURVEY_TALLY_SQL = `
  WITH leaf AS (
    SELECT c.id AS criterion_id, array_agg(cq.question_id) AS question_ids
      FROM criterion c JOIN criterion_question cq ON cq.criterion_id = c.id
     WHERE c.cycle_id = $3 AND c.source = 'SURVEY'
     GROUP BY c.id
  ), answers AS (
    SELECT t.unit_id, cq.criterion_id, sum(t.answers) AS answers,
           sum(CASE WHEN q.satisfied_min <= 1 THEN t.n1 ELSE 0 END + CASE WHEN q.satisfied_min <= 2 THEN t.n2 ELSE 0 END
             + CASE WHEN q.satisfied_min <= 3 THEN t.n3 ELSE 0 END + CASE WHEN q.satisfied_min <= 4 THEN t.n4 ELSE 0 END
             + t.n5) AS satisfied
      FROM survey_question_tally t
      JOIN unit u ON u.id = t.unit_id AND u.kind = $2
      JOIN question q ON q.id = t.question_id
      JOIN criterion_question cq ON cq.question_id = t.question_id
      JOIN leaf l ON l.criterion_id = cq.criterion_id
     WHERE t.year = $1 AND NOT t.late
     GROUP BY 1, 2
  ), responses AS (
    SELECT s.unit_id, l.criterion_id, sum(s.responses) AS responses
      FROM survey_question_set_tally s
      JOIN unit u ON u.id = s.unit_id AND u.kind = $2
      JOIN leaf l ON l.question_ids && s.question_ids
     WHERE s.year = $1 AND NOT s.late
     GROUP BY 1, 2
  )
  SELECT a.unit_id, a.criterion_id, r.responses, a.answers, a.satisfied
    FROM answers a JOIN responses r ON r.unit_id = a.unit_id AND r.criterion_id = a.criterion_id`;

/** Responses per unit of a kind in a year (not late): IndexResult.responses. */
const UNIT_RESPONSES_SQL = `
  SELECT s.unit_id, sum(s.responses) AS responses
    FROM survey_question_set_tally s JOIN unit u ON u.id = s.unit_id AND u.kind = $2
   WHERE s.year = $1 AND NOT s.late
   GROUP BY 1`;

/** Rows as arrays (no object per row), on the caller's transaction when it has one. */
async function rawRows<T extends unknown[]>(manager: EntityManager, db: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const runner = manager.queryRunner;
  const target: Pool | PoolClient = runner
    ? ((await runner.connect()) as PoolClient)
    : pgPool(db);
  return (await target.query({ text, values, rowMode: 'array' })).rows as T[];
}

export class ResultsService {
  /** Per cycle: the tail of its queue of runs, and a queued recomputation not yet started. */
  private readonly slots = new Map<number, { tail: Promise<unknown>; queued?: Promise<RecomputeStats> }>();
  /** Per cycle, the rows this process last wrote and committed, with their version token. */
  private readonly written = new Map<number, { version: string; units: Map<number, string>; domains: Map<string, string> }>();

  constructor(
    private readonly db: DataSource,
    private readonly frameworks: FrameworkService,
    private readonly tallies: TallyRoller,
    private readonly logger: Logger,
  ) {}

  async cycleIdOf(year: number, unitKind: UnitKind): Promise<number | null> {
    const rows: { id: number }[] = await this.db.query('SELECT id FROM cycle WHERE year = $1 AND unit_kind = $2', [year, unitKind]);
    return rows[0]?.id ?? null;
  }

  /**
   * Recomputes a cycle, one run per cycle at a time in this process: a call
   * made while a run is in progress queues the next run (which starts after
   * the current one, so it sees everything committed before the call); calls
   * arriving while that run is still queued share it.
   */
  recompute(cycleId: number): Promise<RecomputeStats> {
    const queued = this.slots.get(cycleId)?.queued;
    if (queued) return queued;
    return this.enqueue(cycleId, () => this.recomputeNow(cycleId), true);
  }

  /** Runs `task` after every run queued for the cycle before it. */
  private enqueue<T>(cycleId: number, task: () => Promise<T>, isRecompute = false): Promise<T> {
    const slot = this.slots.get(cycleId) ?? { tail: Promise.resolve() };
    this.slots.set(cycleId, slot);
    const run: Promise<T> = slot.tail.catch(() => undefined).then(() => {
      if (slot.queued === run) slot.queued = undefined;
      return task();
    });
    if (isRecompute) slot.queued = run as unknown as Promise<RecomputeStats>;
    slot.tail = run;
    run.finally(() => { if (slot.tail === run) this.slots.delete(cycleId); }).catch(() => undefined);
    return run;
  }

  private async recomputeNow(cycleId: number): Promise<RecomputeStats> {
    const started = performance.now();
    const cycle: { id: number; year: number; unit_kind: UnitKind; status: CycleStatus }[] =
      await this.db.query('SELECT id, year, unit_kind, status FROM cycle WHERE id = $1', [cycleId]);
    if (!cycle[0]) return { cycleId, units: 0, skipped: 'MISSING', ms: performance.now() - started };
    if (cycle[0].status === CycleStatus.PUBLISHED) return { cycleId, units: 0, skipped: 'PUBLISHED', ms: performance.now() - started };
    const framework = await this.frameworks.loadById(this.db.manager, cycleId);
    const inputs = await this.readInputs(this.db.manager, framework, true);
    const read = performance.now();
    const rows = this.compute(framework, inputs);
    const computed = performance.now();
    const stored = await this.db.transaction(async (tx) => {
      const [locked]: { status: CycleStatus }[] = await tx.query('SELECT status FROM cycle WHERE id = $1 FOR SHARE', [cycleId]);
      if (!locked || locked.status === CycleStatus.PUBLISHED) return null;
      return this.write(tx, framework, rows, false);
    });
    if (stored) this.remember(stored);
    const written = stored !== null;
    const ms = performance.now() - started;
    this.logger.debug('results recomputed', { cycleId, units: rows.units.length, ms: Math.round(ms) });
    const phases = { readMs: read - started, computeMs: computed - read, writeMs: started + ms - computed };
    return { cycleId, units: rows.units.length, ...(written ? {} : { skipped: 'PUBLISHED' as const }), ms, phases };
  }

  /**
   * Inside the caller's transaction (publication): recomputes with every read
   * on `tx`, then writes with `published` set.
   */
  async recomputeInTransaction(tx: EntityManager, cycleId: number, published: boolean): Promise<void> {
    const framework = await this.frameworks.loadById(tx, cycleId);
    const inputs = await this.readInputs(tx, framework, false);
    await this.write(tx, framework, this.compute(framework, inputs), published);
  }

  /** Publication: recompute one last time, then freeze, in one transaction. */
  publish(year: number, unitKind: UnitKind): Promise<Framework> {
    return (async () => {
      const id = await this.cycleIdOf(year, unitKind);
      if (id === null) throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `No framework is defined for ${year} and ${unitKind}`);
      return this.enqueue(id, () => this.db.transaction(async (tx) => {
        const cycle = await this.frameworks.requireCycle(tx, year, unitKind);
        if (cycle.status === CycleStatus.PUBLISHED) {
          throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${unitKind} results are already published`);
        }
        // The cycle row FOR UPDATE from before the last roll-up until the status commits: the lock survey ingestion
        // respects (its STORE_SQL locks the row FOR KEY SHARE NOWAIT and retries), so that a response is stored either
        // before this point (rolled up and counted below) or after the commit (flagged late), never in between.
        await tx.query('SELECT id FROM cycle WHERE id = $1 FOR UPDATE', [cycle.id]);
        await this.recomputeInTransaction(tx, cycle.id, true);
        await tx.query(`UPDATE cycle SET status = 'PUBLISHED', published_at = now(), updated_at = now() WHERE id = $1`, [cycle.id]);
        return this.frameworks.loadById(tx, cycle.id);
      }));
    })();
  }

  private async readInputs(manager: EntityManager, framework: Framework, parallel: boolean): Promise<CycleInputs> {
    const { id: cycleId, year, unitKind } = framework.cycle;
    // Every response stored before this recomputation is in the roll-ups it reads.
    await this.tallies.rollUp();
    const reads = [
      () => manager.query(`SELECT id, code, name, parent_id FROM unit WHERE kind = $1`, [unitKind]),
      // A score above its leaf's maximum (the framework was redefined lower) no longer counts: the leaf is then missing.
      // Half a million rows at national scale: read as arrays, not objects.
      () => rawRows(manager, this.db,
        `SELECT s.unit_id, s.criterion_id, s.round, s.panelist, s.points, s.not_applicable
           FROM expert_score s JOIN criterion c ON c.id = s.criterion_id
          WHERE c.cycle_id = $1 AND c.source = 'EXPERT' AND (s.points IS NULL OR s.points <= c.max_points)`,
        [cycleId]),
      () => manager.query(`SELECT unit_id, round, panelist, bonus, penalty FROM score_adjustment WHERE cycle_id = $1`, [cycleId]),
      () => manager.query(SURVEY_TALLY_SQL, [year, unitKind, cycleId]),
      () => manager.query(UNIT_RESPONSES_SQL, [year, unitKind]),
      // Rank change compares with the previous year's published ranking only: none while it is unpublished.
      () => manager.query(
        `SELECT ir.unit_id, ir.rank FROM index_result ir JOIN cycle c ON c.id = ir.cycle_id
          WHERE c.year = $1 AND c.unit_kind = $2 AND c.status = 'PUBLISHED'`,
        [year - 1, unitKind]),
    ] as const;
    const results = parallel ? await Promise.all(reads.map((r) => r())) : await reads.reduce(
      async (acc, r) => [...(await acc), await r()], Promise.resolve([] as unknown[]));
    const [units, scores, adjustments, tallies, unitResponses, previous] = results as [
      UnitRow[], ScoreRow[], AdjustmentRow[], TallyRow[], { unit_id: number; responses: string }[], { unit_id: number; rank: number }[],
    ];
    return {
      units, scores, adjustments, tallies,
      unitResponses: new Map(unitResponses.map((r) => [r.unit_id, Number(r.responses)])),
      previousRanks: new Map(previous.map((p) => [p.unit_id, p.rank])),
    };
  }

  /** The method per unit, then the overall, per-parent and per-domain rankings. */
  private compute(framework: Framework, inputs: CycleInputs): ComputedCycle {
    const spec = toFrameworkSpec(framework);
    const perUnit = new Map<number, { panelScores: PanelScore[]; adjustments: Adjustment[]; surveyTallies: SurveyTally[] }>();
    const inputOf = (unitId: number) => {
      let entry = perUnit.get(unitId);
      if (!entry) perUnit.set(unitId, (entry = { panelScores: [], adjustments: [], surveyTallies: [] }));
      return entry;
    };
    const leafIds = new Map<number, string>();
    for (const [unitId, criterionId, round, panelist, points, notApplicable] of inputs.scores) {
      let leafId = leafIds.get(criterionId);
      if (leafId === undefined) leafIds.set(criterionId, (leafId = String(criterionId)));
      inputOf(unitId).panelScores.push({ leafId, round, panelist, points, notApplicable });
    }
    for (const a of inputs.adjustments) {
      inputOf(a.unit_id).adjustments.push({ round: a.round, panelist: a.panelist, bonus: a.bonus, penalty: a.penalty });
    }
    for (const t of inputs.tallies) {
      inputOf(t.unit_id).surveyTallies.push({
        leafId: String(t.criterion_id), responses: Number(t.responses), answers: Number(t.answers), satisfied: Number(t.satisfied),
      });
    }
    const empty = { panelScores: [], adjustments: [], surveyTallies: [] };
    // A unit with no applicable leaf (maximum 0) has no index that year: no result is stored, it is not ranked.
    const units = inputs.units
      .map((u) => ({ unit: u, outcome: computeUnitResult(spec, perUnit.get(u.id) ?? empty) }))
      .filter((u): u is { unit: UnitRow; outcome: IndexedOutcome } => u.outcome.score !== null);
    // The same units are ranked 10 times or more: settle the order of ties (Vietnamese names) once.
    const listing = listingOrder(inputs.units.map((u) => ({ key: String(u.id), name: u.name, code: u.code })));
    const rankable = (u: (typeof units)[number], score: UnitOutcome['score'] | null) => {
      const key = String(u.unit.id);
      return { key, name: u.unit.name, code: u.unit.code, score, listing: listing.get(key)!, u };
    };

    const overall = rankItems(units.map((u) => rankable(u, u.outcome.score)));
    const byParent = new Map<number, typeof overall[number]['item'][]>();
    for (const { item } of overall) {
      if (item.u.unit.parent_id === null) continue;
      const list = byParent.get(item.u.unit.parent_id) ?? [];
      list.push(item);
      byParent.set(item.u.unit.parent_id, list);
    }
    const parentPlace = new Map<number, { rank: number; position: number }>();
    for (const list of byParent.values()) {
      rankItems(list).forEach(({ item, rank }, i) => parentPlace.set(item.u.unit.id, { rank, position: i + 1 }));
    }
    const domains = framework.domains.map((d, di) => {
      const ranked = rankItems(units.map((u) => rankable(u, u.outcome.domains[di].score)));
      return { id: d.id, ranked };
    });
    return {
      units: overall.map(({ item, rank }, i) => ({
        unit: item.u.unit, outcome: item.u.outcome, rank, position: i + 1,
        parent: parentPlace.get(item.u.unit.id) ?? null,
        previousRank: inputs.previousRanks.get(item.u.unit.id) ?? null,
        responses: inputs.unitResponses.get(item.u.unit.id) ?? 0,
      })),
      domains: domains.map(({ id, ranked }) => ({
        id,
        rows: ranked.map(({ item, rank }, i) => ({ unitId: item.u.unit.id, outcome: item.score === null ? null : item.score, rank, position: i + 1, domain: item.u.outcome.domains })),
      })),
    };
  }

  /**
   * Every result of the cycle in a few array statements: upserts keyed by
   * (cycle, unit[, domain]). Only rows whose figures changed are sent: the
   * rows this process last wrote for the cycle are remembered with the
   * version token stored beside them (result_state), and trusted only while
   * the stored token is still that one (no other writer since, no rollback).
   * Otherwise every row is sent. Returns what to remember once committed.
   */
  private async write(tx: EntityManager, framework: Framework, computed: ComputedCycle, published: boolean): Promise<WrittenRows> {
    const cycleId = framework.cycle.id;
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', ['index_result', cycleId]);
    const [state]: { version: string }[] = await tx.query('SELECT version::text FROM result_state WHERE cycle_id = $1', [cycleId]);
    const known = this.written.get(cycleId);
    const trusted = known !== undefined && state !== undefined && known.version === state.version;

    const fixed = (d: { toFixed(n: number): string } | null) => (d === null ? null : d.toFixed(2));
    const unitRows = computed.units.map((r) => [
      r.unit.id, r.outcome.score.toFixed(2), fixed(r.outcome.expertScore), fixed(r.outcome.surveyScore),
      r.outcome.earned.toString(), r.outcome.max.toString(), r.rank, r.parent?.rank ?? null, r.previousRank,
      r.outcome.band?.code ?? null, r.responses, r.outcome.surveyInsufficient, r.outcome.provisional,
      r.position, r.parent?.position ?? null, published,
    ] as const);
    const domainRows = computed.domains.flatMap((dom, di) => dom.rows.map((row) => [
      row.unitId, dom.id, fixed(row.domain[di].score), row.domain[di].earned.toString(), row.domain[di].max.toString(),
      row.rank, row.position,
    ] as const));
    const units = new Map(unitRows.map((row) => [row[0], row.join('|')]));
    const domains = new Map(domainRows.map((row) => [`${row[0]}:${row[1]}`, row.join('|')]));
    const changedUnits = trusted ? unitRows.filter((row) => known.units.get(row[0]) !== units.get(row[0])) : unitRows;
    const changedDomains = trusted ? domainRows.filter((row) => {
      const key = `${row[0]}:${row[1]}`;
      return known.domains.get(key) !== domains.get(key);
    }) : domainRows;
    const column = <T extends readonly unknown[], I extends number>(rows: T[], i: I) => rows.map((row) => row[i]);

    if (changedUnits.length > 0) {
      await tx.query(
        `INSERT INTO index_result (cycle_id, unit_id, score, expert_score, survey_score, earned_points, max_points, rank,
                                   parent_rank, previous_rank, band_code, responses, survey_insufficient, provisional,
                                   position, parent_position, published, computed_at)
         SELECT $1, t.*, now()
           FROM unnest($2::int[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::int[],
                       $9::int[], $10::int[], $11::varchar[], $12::int[], $13::boolean[], $14::boolean[], $15::int[], $16::int[],
                       $17::boolean[]) AS t
         ON CONFLICT (cycle_id, unit_id) DO UPDATE SET
           score = excluded.score, expert_score = excluded.expert_score, survey_score = excluded.survey_score,
           earned_points = excluded.earned_points, max_points = excluded.max_points, rank = excluded.rank,
           parent_rank = excluded.parent_rank, previous_rank = excluded.previous_rank, band_code = excluded.band_code,
           responses = excluded.responses, survey_insufficient = excluded.survey_insufficient,
           provisional = excluded.provisional, position = excluded.position, parent_position = excluded.parent_position,
           published = excluded.published, computed_at = excluded.computed_at`,
        [cycleId, ...Array.from({ length: 16 }, (_, i) => column(changedUnits, i))],
      );
    }
    if (changedDomains.length > 0) {
      await tx.query(
        `INSERT INTO domain_result (cycle_id, unit_id, domain_id, score, earned_points, max_points, rank, position)
         SELECT $1, t.*
           FROM unnest($2::int[], $3::int[], $4::numeric[], $5::numeric[], $6::numeric[], $7::int[], $8::int[]) AS t
         ON CONFLICT (cycle_id, unit_id, domain_id) DO UPDATE SET
           score = excluded.score, earned_points = excluded.earned_points, max_points = excluded.max_points,
           rank = excluded.rank, position = excluded.position`,
        [cycleId, ...Array.from({ length: 7 }, (_, i) => column(changedDomains, i))],
      );
    }
    // Units gone from the kind, domains gone from the framework: only when the sets may have changed.
    const sameSets = trusted && known.units.size === units.size && [...units.keys()].every((id) => known.units.has(id))
      && known.domains.size === domains.size && [...domains.keys()].every((k) => known.domains.has(k));
    if (!sameSets) {
      const unitIds = unitRows.map((row) => row[0]);
      await tx.query('DELETE FROM index_result WHERE cycle_id = $1 AND unit_id NOT IN (SELECT unnest($2::int[]))', [cycleId, unitIds]);
      await tx.query(
        `DELETE FROM domain_result WHERE cycle_id = $1
            AND (unit_id NOT IN (SELECT unnest($2::int[])) OR domain_id NOT IN (SELECT unnest($3::int[])))`,
        [cycleId, unitIds, computed.domains.map((x) => x.id)],
      );
    }
    const [next]: { version: string }[] = await tx.query(
      `INSERT INTO result_state (cycle_id, version, written_at) VALUES ($1, gen_random_uuid(), now())
       ON CONFLICT (cycle_id) DO UPDATE SET version = excluded.version, written_at = excluded.written_at
       RETURNING version::text`,
      [cycleId],
    );
    return { cycleId, version: next.version, units, domains };
  }

  /** After commit only: a rolled-back write must never be trusted. */
  private remember(rows: WrittenRows): void {
    this.written.set(rows.cycleId, { version: rows.version, units: rows.units, domains: rows.domains });
  }
}

/** The rows of a cycle as written, keyed by unit (and domain), each as one comparable string. */
interface WrittenRows { cycleId: number; version: string; units: Map<number, string>; domains: Map<string, string> }

/** The outcome of a unit that has an index (an applicable maximum above 0). */
type IndexedOutcome = UnitOutcome & { score: NonNullable<UnitOutcome['score']> };

interface ComputedCycle {
  units: {
    unit: UnitRow; outcome: IndexedOutcome; rank: number; position: number;
    parent: { rank: number; position: number } | null; previousRank: number | null; responses: number;
  }[];
  domains: { id: number; rows: { unitId: number; rank: number; position: number; domain: UnitOutcome['domains'] }[] }[];
}

/** The framework tree as the method's flat spec. */
export function toFrameworkSpec(framework: Framework): FrameworkSpec {
  const c = framework.cycle;
  return {
    domains: framework.domains.map((d) => ({ code: d.code, name: d.name })),
    leaves: leavesOf(framework).map(({ node, domain }) => ({
      id: String(node.id), code: node.code, domainCode: domain.code, maxPoints: node.maxPoints,
      source: node.source === CriterionSource.SURVEY ? 'SURVEY' : 'EXPERT',
    })),
    aggregation: c.panelAggregation,
    minResponses: c.minResponses,
    maxBonus: c.maxBonus,
    maxPenalty: c.maxPenalty,
    bands: framework.bands.map((b) => ({ code: b.code, label: b.label, minScore: b.minScore })),
  };
}

import type { Pool, PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { pgPool } from '../db/data-source';
import { CriterionSource, type UnitKind } from '../entities/enums';
import type { Adjustment, FrameworkSpec, PanelScore, SurveyTally, UnitInput } from '../scoring';
import { type Framework, leavesOf } from '../services/framework.service';
import { unitsOfYearSql } from '../services/unit-years';
import { countsLateSql } from './versions';

/**
 * The SQL that feeds the index method: a whole cycle for a recomputation,
 * or a few units of it for a single-unit update, from the same statements
 * (the latter with `unit_id = ANY(...)` added).
 */

export interface UnitRow { id: number; code: string; name: string; parent_id: number | null }
/** [unit_id, the unit's scores as one text: SCORE_SEPARATOR between scores, FIELD_SEPARATOR between a score's fields] */
type ScoreRow = [number, string];

/**
 * A unit's scores are read as one text, fields split by U+001F and scores
 * by U+001E: criterion id, round, panelist, points (empty: none), 't' when
 * not applicable. No field can hold either separator: ids, rounds and
 * numbers cannot, and a panelist's name holds no control character
 * (ck_expert_score_panelist). Quoting every field as JSON instead cost half
 * the time of the largest read of a recomputation.
 */
const SCORE_SEPARATOR = '\u001e';
const FIELD_SEPARATOR = '\u001f';
interface AdjustmentRow { unit_id: number; round: Adjustment['round']; panelist: string; bonus: string | null; penalty: string | null }
interface TallyRow { unit_id: number; criterion_id: number; responses: string; answers: string; satisfied: string }

/**
 * What the method needs per unit, with the two figures stored beside its
 * result. The expert scores stay as read (JSON text, `scores`) until
 * `unitInput` turns them into the method's input, unit by unit: half a
 * million score objects never live at once.
 */
export interface UnitFacts { input: UnitInput; scores: string | null; responses: number; previousRank: number | null }

/** The method's input for a unit. */
export function unitInput(facts: UnitFacts): UnitInput {
  if (facts.scores === null) return facts.input;
  const scores = facts.scores.split(SCORE_SEPARATOR);
  const panelScores = new Array<PanelScore>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const [leafId, round, panelist, points, notApplicable] = scores[i].split(FIELD_SEPARATOR);
    panelScores[i] = {
      leafId, round: round as PanelScore['round'], panelist, points: points === '' ? null : points, notApplicable: notApplicable === 't',
    };
  }
  return { ...facts.input, panelScores };
}

/** What the reads of one recomputation gather. */
export interface CycleInputs {
  units: UnitRow[];
  /** Per unit that has any score, adjustment, survey count or previous rank. */
  facts: Map<number, UnitFacts>;
}

export interface CycleRef { id: number; year: number; unitKind: UnitKind }

/**
 * The survey counts per unit and SURVEY leaf of a cycle, read from the
 * roll-ups (never from the raw answers): answers and satisfied answers from
 * survey_question_tally (satisfied = the value counts at or above each
 * question's threshold); responses that answered any of the leaf's
 * questions from survey_question_set_tally (the sets overlapping the leaf's
 * questions). Late responses (after publication) are left out, unless an
 * amendment in progress includes them (countsLateSql). With
 * `someUnits`, only the units of $4.
 */
function surveyTallySql(someUnits: boolean): string {
  const only = (alias: string) => (someUnits ? ` AND ${alias}.unit_id = ANY($4::int[])` : '');
  return `
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
     WHERE t.year = $1 AND (NOT t.late OR ${countsLateSql('$3')})${only('t')}
     GROUP BY 1, 2
  ), responses AS (
    SELECT s.unit_id, l.criterion_id, sum(s.responses) AS responses
      FROM survey_question_set_tally s
      JOIN unit u ON u.id = s.unit_id AND u.kind = $2
      JOIN leaf l ON l.question_ids && s.question_ids
     WHERE s.year = $1 AND (NOT s.late OR ${countsLateSql('$3')})${only('s')}
     GROUP BY 1, 2
  )
  SELECT a.unit_id, a.criterion_id, r.responses, a.answers, a.satisfied
    FROM answers a JOIN responses r ON r.unit_id = a.unit_id AND r.criterion_id = a.criterion_id`;
}

export const SURVEY_TALLY_SQL = surveyTallySql(false);

/**
 * Responses per unit of the kind in the year (not late, unless an amendment in progress includes them):
 * IndexResult.responses. With `someUnits`, only those of $3.
 */
function unitResponsesSql(someUnits: boolean): string {
  const cycle = '(SELECT id FROM cycle WHERE year = $1 AND unit_kind = $2)';
  return `SELECT s.unit_id, sum(s.responses) AS responses
            FROM survey_question_set_tally s JOIN unit u ON u.id = s.unit_id AND u.kind = $2
           WHERE s.year = $1 AND (NOT s.late OR ${countsLateSql(cycle)})${someUnits ? ' AND s.unit_id = ANY($3::int[])' : ''}
           GROUP BY 1`;
}

export const UNIT_RESPONSES_SQL = unitResponsesSql(false);

/**
 * Rows as arrays (no object per row): on the transaction's connection when
 * `manager` is a transaction's, else on its data source's pool (TypeORM's
 * query() cannot ask for arrays).
 */
async function rawRows<T extends unknown[]>(manager: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const runner = manager.queryRunner;
  const target: Pool | PoolClient = runner
    ? ((await runner.connect()) as PoolClient)
    : pgPool(manager.dataSource);
  return (await target.query({ text, values, rowMode: 'array' })).rows as T[];
}

/** The reads of a cycle, for all its units or only `unitIds` ($4 in each statement that takes it). */
function statements(cycle: CycleRef, unitIds: number[] | null) {
  const { id: cycleId, year, unitKind } = cycle;
  const some = unitIds !== null;
  const only = (alias: string, n: number) => (some ? ` AND ${alias}.unit_id = ANY($${n}::int[])` : '');
  const extra = some ? [unitIds] : [];
  return {
    // A score above its leaf's maximum (the framework was redefined lower) no longer counts: the leaf is then missing.
    // Half a million rows at national scale: one row per unit, its scores as one text (SCORE_SEPARATOR; a row per
    // score cost twice the CPU in the driver, and as many short-lived objects for the collector), in a fixed order,
    // so that the text says whether the unit's scores changed since the last recomputation.
    scores: {
      text: `SELECT s.unit_id, string_agg(s.criterion_id || E'\\x1f' || s.round || E'\\x1f' || s.panelist || E'\\x1f' || coalesce(s.points::text, '')
                                          || CASE WHEN s.not_applicable THEN E'\\x1ft' ELSE E'\\x1f' END, E'\\x1e'
                                          ORDER BY s.criterion_id, s.round, s.panelist)
               FROM expert_score s JOIN criterion c ON c.id = s.criterion_id
              WHERE c.cycle_id = $1 AND c.source = 'EXPERT' AND (s.points IS NULL OR s.points <= c.max_points)${only('s', 2)}
              GROUP BY s.unit_id`,
      values: [cycleId, ...extra],
    },
    adjustments: {
      text: `SELECT unit_id, round, panelist, bonus, penalty FROM score_adjustment a WHERE cycle_id = $1${only('a', 2)}`,
      values: [cycleId, ...extra],
    },
    tallies: { text: surveyTallySql(some), values: [year, unitKind, cycleId, ...extra] },
    responses: { text: unitResponsesSql(some), values: [year, unitKind, ...extra] },
    // Rank change compares with the previous year's latest published version only (the archive: not an amendment in
    // progress): none before it is published, none in a unit's first year (a unit formed by a merger is new: no
    // earlier ranking held it).
    previous: {
      text: `SELECT ir.unit_id, ir.rank FROM published_result ir JOIN cycle c ON c.id = ir.cycle_id
               JOIN unit u ON u.id = ir.unit_id AND u.first_year <= $1
              WHERE c.year = $1 AND c.unit_kind = $2
                AND ir.version = (SELECT max(p.version) FROM publication p WHERE p.cycle_id = c.id AND p.published_at IS NOT NULL)${only('ir', 3)}`,
      values: [year - 1, unitKind, ...extra],
    },
  };
}

/**
 * Reads a cycle's inputs: every unit of the kind and the facts of each, or
 * (with `unitIds`) only those units' facts and no unit list. `parallel`
 * spreads the reads over the pool of a data source's manager; otherwise, and
 * always on a transaction's manager (one connection), they run one after
 * the other on `manager`.
 */
export async function readCycleInputs(
  manager: EntityManager, cycle: CycleRef, unitIds: number[] | null, parallel: boolean,
): Promise<CycleInputs> {
  const s = statements(cycle, unitIds);
  const reads = [
    // The units that exist in the year, with that year's names (ties) and parents (parent ranks): services/unit-years.ts.
    () => (unitIds === null
      ? manager.query(`SELECT v.id, v.code, v.name, v.parent_id FROM ${unitsOfYearSql('$2::int')} v WHERE v.kind = $1`, [cycle.unitKind, cycle.year])
      : Promise.resolve([])),
    () => rawRows(manager, s.scores.text, s.scores.values),
    () => manager.query(s.adjustments.text, s.adjustments.values),
    () => manager.query(s.tallies.text, s.tallies.values),
    () => manager.query(s.responses.text, s.responses.values),
    () => manager.query(s.previous.text, s.previous.values),
  ] as const;
  const results = parallel && manager.queryRunner === undefined ? await Promise.all(reads.map((r) => r())) : await reads.reduce(
    async (acc, r) => [...(await acc), await r()], Promise.resolve([] as unknown[]));
  const [units, scores, adjustments, tallies, responses, previous] = results as [
    UnitRow[], ScoreRow[], AdjustmentRow[], TallyRow[], { unit_id: number; responses: string }[], { unit_id: number; rank: number }[],
  ];

  const facts = new Map<number, UnitFacts>();
  const of = (unitId: number) => {
    let entry = facts.get(unitId);
    if (!entry) {
      entry = { input: { panelScores: [], adjustments: [], surveyTallies: [] }, scores: null, responses: 0, previousRank: null };
      facts.set(unitId, entry);
    }
    return entry;
  };
  for (const [unitId, json] of scores) of(unitId).scores = json;
  for (const a of adjustments) {
    of(a.unit_id).input.adjustments.push({ round: a.round, panelist: a.panelist, bonus: a.bonus, penalty: a.penalty });
  }
  for (const t of tallies) {
    of(t.unit_id).input.surveyTallies.push({
      leafId: String(t.criterion_id), responses: Number(t.responses), answers: Number(t.answers), satisfied: Number(t.satisfied),
    } satisfies SurveyTally);
  }
  for (const r of responses) of(r.unit_id).responses = Number(r.responses);
  for (const p of previous) of(p.unit_id).previousRank = p.rank;
  return { units, facts };
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

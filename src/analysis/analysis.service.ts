import type { TallyRoller } from '../survey/tally-roller';
import { nameInYearSql } from '../services/unit-years';
import type { DataSource } from 'typeorm';
import { canSeeProvisional, ownUnitOf, type Principal } from '../auth/principal';
import { CriterionSource, Role, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { readCycleInputs, toFrameworkSpec, type UnitFacts, unitInput } from '../results/cycle-inputs';
import type { ResultRow, DomainResultRow } from '../results/ranking.service';
import type { ResultsService } from '../results/results.service';
import { publishedAverage } from '../results/sql';
import { readVersionSql, RESULT_SOURCE } from '../results/versions';
import {
  type Aggregation, computeUnitResult, describeInvalidPoints, type PanelScore, ROUNDS_LATEST_FIRST, roundHalfUp2, type UnitOutcome,
} from '../scoring';
import { type Framework, type FrameworkService, leavesOf } from '../services/framework.service';
import type { UnitService } from '../services/unit.service';
import { requireCode, requireInt, requireYear } from '../util/validate';
import type { AnalysisWorker } from './analysis-worker';
import { explain, type ExplanationRow } from './explanation';
import { placesIn } from './places';
import { bandsHighestFirst, type DrawParameters, prepareJob, surveyShareOf } from './sensitivity';
import { readFromPrimary } from '../db/read-routing';

/*
 * Analysts' questions about the figures (DOMAIN.md, "Explaining and testing
 * the figures"): what-if, sensitivity to the weighting, and the province's
 * average per year. Rules and SQL rows here; the GraphQL shapes in
 * src/resolvers/types/analysis.type.ts.
 */

export interface SensitivityRequest {
  year: number; unitKind: UnitKind; draws?: number | null; seed?: number | null;
  surveyShare?: number[] | null; domainWeightSpread?: number | null; aggregations?: Aggregation[] | null;
}
export interface BandRef { cycleId: number; code: string; label: string; minScore: string }
export interface UnitSensitivityRow {
  unitId: number; rank: number; medianRank: number; rankLow: number; rankHigh: number;
  bandShares: { band: BandRef; share: number }[];
}
export interface WhatIfScoreInput { criterionCode: string; points?: number | null; notApplicable?: boolean | null }
/** A what-if's figures as a stored result would read, and its domains with their ranks. */
export interface WhatIfResult { row: ResultRow; domains: DomainResultRow[]; explanation: ExplanationRow }
export interface YearSummaryRow {
  year: number; unitKind: UnitKind; published: boolean; count: number;
  average: string | null; highest: string | null; lowest: string | null;
}

import { MAX_DRAWS } from './price';
const DEFAULT_DRAWS = 1000;
const DEFAULT_SPREAD = 0.25;
/** ± percentage points around the framework's own survey share when surveyShare is omitted. */
const DEFAULT_SHARE_SPREAD = 10;
const AGGREGATIONS: readonly Aggregation[] = ['MEAN', 'MEDIAN'];

/** Who may ask what-if of a unit: analysts and admins for every unit, a UNIT token for its own (API.md: "the unit itself"). */
export function mayAskWhatIf(principal: Principal | null, unitId: number): boolean {
  return principal !== null && (principal.role === Role.ANALYST || principal.role === Role.ADMIN || ownUnitOf(principal) === unitId);
}

const NO_FACTS: UnitFacts = { input: { panelScores: [], adjustments: [], surveyTallies: [] }, scores: null, responses: 0, previousRank: null };

export class AnalysisService {
  constructor(
    private readonly db: DataSource,
    private readonly units: UnitService,
    private readonly frameworks: FrameworkService,
    private readonly results: ResultsService,
    private readonly worker: AnalysisWorker,
    /** Read-your-writes: every response stored before an analysis is in the roll-ups it reads. */
    private readonly tallies?: Pick<TallyRoller, 'rollUp'>,
  ) {}

  /** The checked parameters of a sensitivity analysis (BAD_USER_INPUT naming the field otherwise). */
  private drawParameters(input: SensitivityRequest, framework: Framework, ownShare: number): DrawParameters {
    const draws = input.draws ?? DEFAULT_DRAWS;
    if (!Number.isInteger(draws) || draws < 1 || draws > MAX_DRAWS) {
      throw invalid('input.draws', `input.draws must be a whole number from 1 to ${MAX_DRAWS}, got ${draws}`);
    }
    const seed = requireInt('input.seed', input.seed ?? 1, -2147483648, 2147483647);
    const spread = input.domainWeightSpread ?? DEFAULT_SPREAD;
    if (!Number.isFinite(spread) || spread < 0 || spread >= 1) {
      throw invalid('input.domainWeightSpread', `input.domainWeightSpread must be at least 0 and below 1 (each domain's weight is multiplied by a factor in 1 ± spread), got ${spread}`);
    }
    let low: number;
    let high: number;
    const share = input.surveyShare;
    if (share == null) {
      const own = ownShare * 100;
      low = Math.max(0, own - DEFAULT_SHARE_SPREAD);
      high = Math.min(100, own + DEFAULT_SHARE_SPREAD);
    } else {
      if (share.length < 1 || share.length > 2) {
        throw invalid('input.surveyShare', `input.surveyShare is [low, high] or one value, in percent of the maximum points; got ${share.length} values`);
      }
      if (share.some((v) => !Number.isFinite(v) || v < 0 || v > 100)) {
        throw invalid('input.surveyShare', `input.surveyShare values are percentages from 0 to 100, got [${share.join(', ')}]`);
      }
      [low, high] = [share[0], share[share.length - 1]];
      if (low > high) throw invalid('input.surveyShare', `input.surveyShare [${share.join(', ')}]: low must not exceed high`);
    }
    const given = input.aggregations;
    if (given != null && given.length === 0) {
      throw invalid('input.aggregations', `input.aggregations is empty: give one or both of ${AGGREGATIONS.join(', ')}, or leave it out for the cycle's own`);
    }
    const aggregations = given == null ? [framework.cycle.panelAggregation as Aggregation] : AGGREGATIONS.filter((a) => given.includes(a));
    return { draws, seed, shareLow: low / 100, shareHigh: high / 100, spread, aggregations };
  }

  private async cycleOf(year: number, unitKind: UnitKind, field = 'input.year'): Promise<Framework> {
    const rows: { id: number }[] = await this.db.query('SELECT id FROM cycle WHERE year = $1 AND unit_kind = $2', [year, unitKind]);
    if (!rows[0]) throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `No framework is defined for ${year} and ${unitKind}`, field);
    return this.frameworks.loadById(this.db.manager, rows[0].id);
  }

  /**
   * Seeded Monte Carlo over the survey share, the domain weights and the
   * panel aggregation (DOMAIN.md): per ranked unit, its stored rank, the
   * median and the 5th–95th percentile ranks over the draws, and the share
   * of draws in each band; in the order of the stored ranking. The method
   * runs once per unit and aggregation here (sensitivity.ts); the draws run
   * in the worker thread.
   */
  async sensitivity(input: SensitivityRequest): Promise<UnitSensitivityRow[]> {
    const year = requireYear('input.year', input.year);
    const framework = await this.cycleOf(year, input.unitKind);
    const spec = toFrameworkSpec(framework);
    const params = this.drawParameters(input, framework, surveyShareOf(spec));
    const cycleId = framework.cycle.id;
    const ranked: { unit_id: number; rank: number }[] = await this.db.query(
      'SELECT unit_id, rank FROM index_result WHERE cycle_id = $1 ORDER BY position', [cycleId]);
    if (ranked.length === 0) return [];
    // One read after the other on one connection at a time: an analysis never takes a share of the readers' pool
    // that portals wait behind.
    await this.tallies?.rollUp();
    readFromPrimary(); // the roll-up just wrote: a replica may not have it yet
    const inputs = await readCycleInputs(this.db.manager, { id: cycleId, year, unitKind: input.unitKind }, null, false);
    const job = await prepareJob(spec, ranked.map((r) => inputs.facts.get(r.unit_id) ?? NO_FACTS), unitInput, params);
    const outcome = await this.worker.run(job);
    const bands = bandsHighestFirst(spec).map((b) => ({ cycleId, code: b.code, label: b.label, minScore: String(b.minScore) }));
    // Bands in the framework's order, as a cycle lists them.
    const order = spec.bands.map((b) => bands.findIndex((x) => x.code === b.code));
    return ranked.map((r, u) => ({
      unitId: r.unit_id, rank: r.rank,
      medianRank: outcome.medianRank[u], rankLow: outcome.rankLow[u], rankHigh: outcome.rankHigh[u],
      bandShares: order.map((b) => ({ band: bands[b], share: outcome.bandDraws[u * bands.length + b] / params.draws })),
    }));
  }

  /**
   * The unit's index, band and ranks with some EXPERT leaves' points
   * replaced, against the other units' stored results: nothing is stored.
   * A replaced leaf earns exactly the points given (or is not applicable),
   * in the round it uses now (APPRAISAL when it has no score yet), as if
   * the panel of that round had agreed on them. One unit's reads, the
   * method once, and two counts over the stored ranking.
   */
  /** The unit's name in `year` (unit-years' rule), read as a stored result row carries it. */
  private async nameInYear(unitId: number, year: number): Promise<string | null> {
    const [row]: { name: string | null }[] = await this.db.query(`SELECT ${nameInYearSql('$1::int', '$2::int')} AS name`, [unitId, year]);
    return row?.name ?? null;
  }

  async whatIf(principal: Principal | null, rawYear: number, unitCode: string, scores: WhatIfScoreInput[]): Promise<WhatIfResult> {
    const year = requireYear('year', rawYear);
    const unit = await this.units.requireByCode(requireCode('unitCode', unitCode), 'unitCode');
    if (!mayAskWhatIf(principal, unit.id)) {
      throw new AppError(ErrorCode.FORBIDDEN, `whatIf of ${unit.code} is allowed to ANALYST, ADMIN and the unit's own UNIT tokens`, 'unitCode');
    }
    if (scores.length > 2000) throw invalid('scores', `scores holds ${scores.length} scores; a framework has at most 2,000 criteria`);
    const framework = await this.cycleOf(year, unit.kind, 'year');
    const cycle = framework.cycle;
    const spec = toFrameworkSpec(framework);
    const leaves = new Map(leavesOf(framework).map(({ node }) => [node.code, node]));
    await this.tallies?.rollUp();
    readFromPrimary(); // the roll-up just wrote: a replica may not have it yet
    const inputs = await readCycleInputs(this.db.manager, { id: cycle.id, year, unitKind: unit.kind }, [unit.id], false);
    const facts = inputs.facts.get(unit.id) ?? NO_FACTS;
    const input = unitInput(facts);

    let panelScores: PanelScore[] = input.panelScores;
    const seen = new Set<string>();
    scores.forEach((s, i) => {
      const field = `scores[${i}]`;
      const code = requireCode(`${field}.criterionCode`, s.criterionCode);
      const leaf = leaves.get(code);
      if (!leaf) {
        throw new AppError(ErrorCode.CRITERION_NOT_FOUND, `${field}.criterionCode "${code}" is not a leaf criterion of the ${year} ${unit.kind} framework`, `${field}.criterionCode`);
      }
      if (leaf.source !== CriterionSource.EXPERT) {
        throw invalid(`${field}.criterionCode`, `${field}.criterionCode "${code}" is a SURVEY leaf: its points come from citizen surveys; what-if replaces panel points`);
      }
      const leafId = String(leaf.id);
      if (seen.has(leafId)) throw invalid(`${field}.criterionCode`, `${field}.criterionCode "${code}" appears twice`);
      seen.add(leafId);
      let points: string | null = null;
      if (s.notApplicable) {
        if (s.points != null) throw invalid(`${field}.points`, `${field} marks criterion ${code} not applicable and also gives points; give one or the other`);
      } else {
        const range = `allowed: 0 to ${Number(leaf.maxPoints)} with at most two decimals`;
        if (s.points == null || !Number.isFinite(s.points)) throw invalid(`${field}.points`, `${field}.points is required for criterion ${code} unless notApplicable is true; ${range}`);
        const problem = describeInvalidPoints(String(s.points), leaf.maxPoints, code);
        if (problem) throw invalid(`${field}.points`, `${field}.points: ${problem}; ${range}`);
        points = String(s.points);
      }
      const own = panelScores.filter((p) => p.leafId === leafId);
      const round = ROUNDS_LATEST_FIRST.find((r) => own.some((p) => p.round === r)) ?? 'APPRAISAL';
      panelScores = [...panelScores.filter((p) => p.leafId !== leafId), { leafId, round, panelist: 'what-if', points, notApplicable: !!s.notApplicable }];
    });
    const outcome = computeUnitResult(spec, { ...input, panelScores });
    if (outcome.score === null) {
      throw new AppError(ErrorCode.CYCLE_STATUS, `With these scores no leaf of the framework applies to ${unit.code} in ${year}: it would have no index`);
    }
    const score = outcome.score.toFixed(2);
    const domainIds = framework.domains.map((d) => d.id);
    const domainScores = outcome.domains.map((d) => d.score?.toFixed(2) ?? null);
    const { rank, domainRanks } = await this.placesOf(cycle.id, unit.id, score, domainIds.map((domainId, i) => ({ domainId, score: domainScores[i] })));
    return {
      explanation: explain(spec, outcome),
      row: { ...resultRow(cycle.id, unit.id, year, cycle.status, outcome, rank, facts), unit_name: await this.nameInYear(unit.id, year) ?? unit.name },
      domains: framework.domains.map((d, i) => ({
        cycle_id: cycle.id, unit_id: unit.id, code: d.code, name: d.name, score: domainScores[i],
        earned_points: roundHalfUp2(outcome.domains[i].earned).toFixed(2), max_points: roundHalfUp2(outcome.domains[i].max).toFixed(2),
        rank: domainRanks.get(d.id) ?? 1,
      })),
    };
  }

  /**
   * The explanation of a unit's result in a cycle: the method run on the
   * inputs the stored result is computed from, its own leaf outcomes and
   * what they came from (explanation.ts). A published year's inputs are
   * frozen (scores refused, late responses left out), so it explains the
   * published figures; null when the unit has no index. `explanations` of
   * that one unit.
   */
  async explanation(cycleId: number, unitId: number): Promise<ExplanationRow | null> {
    return (await this.explanations(cycleId, [unitId]))[0];
  }

  /**
   * The explanations of several units' results in one cycle, in the order
   * of `unitIds` (a ranking page's, batched per request: src/context.ts),
   * each as `explanation` gives it: one framework load, one roll-up and one
   * read of the inputs of every distinct unit asked, then the method unit
   * by unit.
   */
  async explanations(cycleId: number, unitIds: readonly number[]): Promise<(ExplanationRow | null)[]> {
    if (unitIds.length === 0) return [];
    const framework = await this.frameworks.loadById(this.db.manager, cycleId);
    const { year, unitKind } = framework.cycle;
    await this.tallies?.rollUp();
    readFromPrimary(); // the roll-up just wrote: a replica may not have it yet
    const distinct = [...new Set(unitIds)];
    const inputs = await readCycleInputs(this.db.manager, { id: cycleId, year, unitKind }, distinct, false);
    const spec = toFrameworkSpec(framework);
    const byUnit = new Map(distinct.map((unitId) => {
      const outcome = computeUnitResult(spec, unitInput(inputs.facts.get(unitId) ?? NO_FACTS));
      return [unitId, outcome.score === null ? null : explain(spec, outcome)] as const;
    }));
    return unitIds.map((unitId) => byUnit.get(unitId) ?? null);
  }

  /**
   * Ranks against the others as stored: 1 + those strictly ahead (standard
   * competition ranking); a domain that does not apply ranks after every
   * unit with a domain index. From the rankings this process keeps
   * (places.ts) while they are the stored ones, else counted in SQL.
   */
  private async placesOf(
    cycleId: number, unitId: number, score: string, domains: { domainId: number; score: string | null }[],
  ): Promise<{ rank: number; domainRanks: Map<number, number> }> {
    const memo = await this.results.storedRankings(cycleId);
    if (memo) return placesIn(memo, unitId, score, domains);
    const [{ ahead }]: { ahead: number }[] = await this.db.query(
      'SELECT count(*)::int AS ahead FROM index_result WHERE cycle_id = $1 AND unit_id <> $2 AND score > $3::numeric',
      [cycleId, unitId, score]);
    const domainAhead: { domain_id: number; ahead: number }[] = await this.db.query(
      `SELECT m.domain_id, count(dr.unit_id)::int AS ahead
         FROM unnest($3::int[], $4::numeric[]) AS m(domain_id, score)
         LEFT JOIN domain_result dr ON dr.cycle_id = $1 AND dr.domain_id = m.domain_id AND dr.unit_id <> $2
              AND dr.score IS NOT NULL AND (m.score IS NULL OR dr.score > m.score)
        GROUP BY m.domain_id`,
      [cycleId, unitId, domains.map((d) => d.domainId), domains.map((d) => d.score)]);
    return { rank: ahead + 1, domainRanks: new Map(domainAhead.map((d) => [d.domain_id, d.ahead + 1])) };
  }

  /**
   * Per year, the kind's average index over its ranked units (of the
   * rounded indices, rounded once: the ranking summary's rule), the count,
   * highest and lowest, oldest year first; the years the reader may see
   * (published ones for anonymous readers).
   */
  async yearSummaries(principal: Principal | null, unitKind: UnitKind): Promise<YearSummaryRow[]> {
    const rows: { year: number; status: string; count: number; average: string | null; highest: string | null; lowest: string | null }[] =
      await this.db.query(
        // Each year's version as rankings read it (src/results/versions.ts): while a year is amending, readers who may
        // not see the amendment read its latest published version.
        `SELECT c.year, CASE WHEN rv.archived THEN 'PUBLISHED' ELSE c.status::text END AS status, count(ir.unit_id)::int AS count,
                ${publishedAverage('ir.score')}::text AS average, max(ir.score)::text AS highest, min(ir.score)::text AS lowest
           FROM cycle c CROSS JOIN ${readVersionSql('c', 'NULL::int', '$2::boolean')} rv
           LEFT JOIN ${RESULT_SOURCE} ir ON ir.cycle_id = c.id AND ir.version = CASE WHEN rv.archived THEN rv.version ELSE 0 END
          WHERE c.unit_kind = $1 AND c.status <> 'DRAFT'
          GROUP BY c.id, c.year, 2 ORDER BY c.year`,
        [unitKind, canSeeProvisional(principal)]);
    return rows.map((r) => ({ year: r.year, unitKind, published: r.status === 'PUBLISHED', count: r.count, average: r.average, highest: r.highest, lowest: r.lowest }));
  }
}

/** A what-if outcome as a stored result row would read (figures published half-up to two decimals). */
function resultRow(
  cycleId: number, unitId: number, year: number, status: Framework['cycle']['status'],
  o: UnitOutcome, rank: number, facts: UnitFacts,
): ResultRow {
  return {
    cycle_id: cycleId, unit_id: unitId, year, status,
    score: o.score!.toFixed(2), expert_score: o.expertScore?.toFixed(2) ?? null, survey_score: o.surveyScore?.toFixed(2) ?? null,
    earned_points: roundHalfUp2(o.earned).toFixed(2), max_points: roundHalfUp2(o.max).toFixed(2),
    rank, parent_rank: null, previous_rank: facts.previousRank, band_code: o.band?.code ?? null, responses: facts.responses,
    survey_insufficient: o.surveyInsufficient, provisional: o.provisional, published: false,
  };
}

import Decimal from 'decimal.js';
import type { EntityManager } from 'typeorm';
import { recordAudit } from '../audit';
import { Band } from '../entities/band.entity';
import { CriterionQuestion } from '../entities/criterion-question.entity';
import { Criterion } from '../entities/criterion.entity';
import { Cycle } from '../entities/cycle.entity';
import { CriterionSource, CycleStatus, PanelAggregation, UnitKind } from '../entities/enums';
import { Question } from '../entities/question.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { DEFAULT_BANDS } from '../scoring';
import { requireCode, requireInt, requirePoints, requireText, requireYear } from '../util/validate';
import { type Db, managerOf } from './db';
import { LAST_DISTRICT_YEAR } from './unit-years';

/** How deep a framework tree may go below its domains. */
export const MAX_CRITERION_DEPTH = 8;
const MAX_NODES = 2000;

export interface CriterionData {
  code: string; name: string; maxPoints?: number | null; source?: CriterionSource | null;
  questionCodes?: string[] | null; children?: CriterionData[] | null;
}
export interface DefineCycleData {
  year: number; unitKind: UnitKind;
  domains: { code: string; name: string; criteria: CriterionData[] }[];
  bands?: { code: string; label: string; minScore: number }[] | null;
  minResponses?: number | null; panelAggregation?: PanelAggregation | null;
  maxBonus?: number | null; maxPenalty?: number | null;
}

/** A framework node after validation, before it is stored. */
interface NodePlan {
  code: string; name: string; maxPoints: Decimal; source: CriterionSource | null;
  questionIds: number[]; depth: number; position: number; parentCode: string | null;
}

/** A framework read back as a tree: what the Cycle type and the index engine use. */
export interface FrameworkNode {
  id: number; code: string; name: string; maxPoints: string; source: CriterionSource | null;
  questionCodes: string[]; questionIds: number[]; depth: number; children: FrameworkNode[];
}
export interface Framework {
  cycle: Cycle;
  domains: FrameworkNode[];
  bands: { code: string; label: string; minScore: string }[];
  maxPoints: Decimal; expertMaxPoints: Decimal; surveyMaxPoints: Decimal;
}

/** Frameworks (cycles): defining, replacing, opening, and reading them as trees. */
export class FrameworkService {
  private readonly db: EntityManager;

  constructor(db: Db) {
    this.db = managerOf(db);
  }

  async define(data: DefineCycleData): Promise<Framework> {
    const year = requireYear('input.year', data.year);
    if (data.unitKind === UnitKind.DISTRICT && year > LAST_DISTRICT_YEAR) {
      throw invalid('input.unitKind', `input.unitKind DISTRICT for ${year}: districts exist up to ${LAST_DISTRICT_YEAR} only (district-level administrations were abolished on 1 July 2025); from 2025 a COMMUNE framework ranks all the province's communes together`);
    }
    const minResponses = data.minResponses == null ? 30 : requireInt('input.minResponses', data.minResponses, 1, 1_000_000);
    const maxBonus = data.maxBonus == null ? new Decimal(0) : requirePoints('input.maxBonus', data.maxBonus, 0, 100);
    const maxPenalty = data.maxPenalty == null ? new Decimal(0) : requirePoints('input.maxPenalty', data.maxPenalty, 0, 100);
    const bands = data.bands == null
      // The method's defaults (DOMAIN.md), stored like given ones.
      ? DEFAULT_BANDS.map((b) => ({ code: b.code, label: b.label, minScore: new Decimal(b.minScore).toFixed(2) }))
      : this.validateBands(data.bands);

    return this.db.transaction(async (tx) => {
      const questions = await tx.getRepository(Question).find({ where: { year } });
      const questionIds = new Map(questions.map((q) => [q.code, q.id]));
      const plan = this.planTree(data.domains, questionIds, year);

      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('cycle'), $1)`, [year]);
      let cycle = await tx.getRepository(Cycle).findOne({ where: { year, unitKind: data.unitKind }, lock: { mode: 'pessimistic_write' } });
      if (cycle?.status === CycleStatus.PUBLISHED) {
        throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${data.unitKind} framework is published and can no longer be replaced`);
      }
      // An amendment (amendPublication) corrects a published year's scores, never the framework its versions share.
      if (cycle?.publishedAt != null) {
        throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${data.unitKind} framework was published and is being amended: an amendment changes scores, adjustments and withdrawals, not the framework`);
      }
      const before = cycle ? frameworkShown(await this.loadById(tx, cycle.id)) : null;
      const settings = {
        minResponses, panelAggregation: data.panelAggregation ?? PanelAggregation.MEAN,
        maxBonus: maxBonus.toFixed(2), maxPenalty: maxPenalty.toFixed(2),
      };
      if (cycle) {
        await tx.getRepository(Cycle).update({ id: cycle.id }, settings);
      } else {
        cycle = await tx.getRepository(Cycle).save(tx.getRepository(Cycle).create({ year, unitKind: data.unitKind, ...settings }));
      }
      await this.storeTree(tx, cycle.id, plan);
      await tx.getRepository(Band).delete({ cycleId: cycle.id });
      await tx.getRepository(Band).insert(bands.map((b, position) => ({ ...b, cycleId: cycle!.id, position })));
      const framework = await this.loadById(tx, cycle.id);
      await recordAudit(tx, { operation: 'defineCycle', year, target: data.unitKind, before, after: frameworkShown(framework) });
      return framework;
    });
  }

  private validateBands(bands: { code: string; label: string; minScore: number }[]) {
    if (bands.length < 1 || bands.length > 20) throw invalid('input.bands', 'input.bands must hold 1 to 20 bands');
    const seen = new Set<string>();
    let previous: Decimal | null = null;
    return bands.map((b, i) => {
      const field = `input.bands[${i}]`;
      const code = requireCode(`${field}.code`, b.code);
      if (seen.has(code)) throw invalid(`${field}.code`, `${field}.code "${code}" is repeated; band codes are unique in a framework`);
      seen.add(code);
      const label = requireText(`${field}.label`, b.label, 100);
      const min = requirePoints(`${field}.minScore`, b.minScore, 0, 100);
      if (previous !== null && !min.lt(previous)) {
        throw invalid(`${field}.minScore`, `${field}.minScore ${min} must be lower than the previous band's ${previous}: bands go strictly from highest to lowest`);
      }
      previous = min;
      return { code, label, minScore: min.toFixed(2) };
    });
  }

  /** Validates the whole tree before anything is written; returns the nodes top-down. */
  private planTree(domains: DefineCycleData['domains'], questionIds: Map<string, number>, year: number): NodePlan[] {
    if (domains.length < 1 || domains.length > 50) throw invalid('input.domains', 'input.domains must hold 1 to 50 domains');
    const nodes: NodePlan[] = [];
    const codes = new Set<string>();
    const claim = (field: string, raw: string) => {
      const code = requireCode(`${field}.code`, raw);
      if (codes.has(code)) throw invalid(`${field}.code`, `${field}.code "${code}" is used twice; domain and criterion codes are unique in a framework`);
      codes.add(code);
      if (codes.size > MAX_NODES) throw invalid(field, `a framework may hold at most ${MAX_NODES} domains and criteria`);
      return code;
    };

    const visit = (c: CriterionData, field: string, depth: number, position: number, parentCode: string): Decimal => {
      if (depth > MAX_CRITERION_DEPTH) throw invalid(field, `${field} is nested ${depth} levels below its domain; at most ${MAX_CRITERION_DEPTH} are allowed`);
      const code = claim(field, c.code);
      const name = requireText(`${field}.name`, c.name, 500);
      const node: NodePlan = { code, name, maxPoints: new Decimal(0), source: null, questionIds: [], depth, position, parentCode };
      nodes.push(node);
      const children = c.children ?? [];
      if (children.length > 0) {
        if (c.source != null) throw invalid(`${field}.source`, `${field} "${code}" has children, so it takes no source: only leaves have one`);
        if (c.questionCodes != null && c.questionCodes.length > 0) throw invalid(`${field}.questionCodes`, `${field} "${code}" has children, so it names no questions: only SURVEY leaves do`);
        if (children.length > 200) throw invalid(`${field}.children`, `${field}.children holds ${children.length} criteria; at most 200 are allowed`);
        const sum = children.reduce((acc, child, i) => acc.plus(visit(child, `${field}.children[${i}]`, depth + 1, i, code)), new Decimal(0));
        if (c.maxPoints != null) {
          const given = requirePoints(`${field}.maxPoints`, c.maxPoints, 0, 99999.99, `${field}.maxPoints of "${code}"`);
          if (!given.eq(sum)) throw invalid(`${field}.maxPoints`, `${field}.maxPoints of "${code}" is ${given} but its children sum to ${sum}: an inner criterion's maximum is the sum of its children`);
        }
        node.maxPoints = sum;
        return sum;
      }
      if (c.maxPoints == null) throw invalid(`${field}.maxPoints`, `${field} "${code}" is a leaf and needs maxPoints greater than 0 with at most two decimals`);
      const max = requirePoints(`${field}.maxPoints`, c.maxPoints, 0.01, 99999.99, `${field}.maxPoints of "${code}"`);
      if (c.source == null) throw invalid(`${field}.source`, `${field} "${code}" is a leaf and needs a source: EXPERT or SURVEY`);
      node.maxPoints = max;
      node.source = c.source;
      const qcodes = c.questionCodes ?? [];
      if (c.source === CriterionSource.SURVEY) {
        if (qcodes.length === 0) throw invalid(`${field}.questionCodes`, `${field} "${code}" is a SURVEY leaf and must name at least one question of the ${year} questionnaire`);
        const ids = new Set<number>();
        qcodes.forEach((raw, i) => {
          const qcode = requireCode(`${field}.questionCodes[${i}]`, raw);
          const id = questionIds.get(qcode);
          if (id === undefined) {
            throw invalid(`${field}.questionCodes[${i}]`, `${field}.questionCodes[${i}] "${qcode}" is not a question of the ${year} questionnaire${questionIds.size === 0 ? ' (none is defined yet: call defineQuestionnaire first)' : ''}`);
          }
          ids.add(id);
        });
        node.questionIds = [...ids];
      } else if (qcodes.length > 0) {
        throw invalid(`${field}.questionCodes`, `${field} "${code}" is an EXPERT leaf and names no questions: only SURVEY leaves do`);
      }
      return max;
    };

    domains.forEach((d, i) => {
      const field = `input.domains[${i}]`;
      const code = claim(field, d.code);
      const name = requireText(`${field}.name`, d.name, 500);
      const domain: NodePlan = { code, name, maxPoints: new Decimal(0), source: null, questionIds: [], depth: 0, position: i, parentCode: null };
      nodes.push(domain);
      if (d.criteria.length < 1 || d.criteria.length > 200) throw invalid(`${field}.criteria`, `${field}.criteria must hold 1 to 200 criteria`);
      domain.maxPoints = d.criteria.reduce((acc, c, j) => acc.plus(visit(c, `${field}.criteria[${j}]`, 1, j, code)), new Decimal(0));
    });
    const total = nodes.filter((n) => n.depth === 0).reduce((acc, n) => acc.plus(n.maxPoints), new Decimal(0));
    if (total.gt(99999.99)) throw invalid('input.domains', `the framework's maxima sum to ${total}; at most 99999.99 is allowed`);
    return nodes;
  }

  /**
   * Writes the planned tree: nodes whose code already exists are updated in
   * place (so their expert scores stay), new ones inserted, missing ones
   * deleted with their scores. Scores of a node that is no longer an EXPERT
   * leaf are dropped.
   */
  private async storeTree(tx: EntityManager, cycleId: number, plan: NodePlan[]): Promise<void> {
    const repo = tx.getRepository(Criterion);
    const existing = new Map((await repo.find({ where: { cycleId } })).map((c) => [c.code, c]));
    const ids = new Map<string, number>();
    // Detach everything first so that moving a node under a new parent never trips the tree's constraints.
    for (const node of plan) {
      const values = {
        name: node.name, maxPoints: node.maxPoints.toFixed(2), source: node.source, depth: node.depth,
        position: node.position, parentId: node.parentCode === null ? null : ids.get(node.parentCode)!,
      };
      const old = existing.get(node.code);
      if (old) {
        await repo.update({ id: old.id }, values);
        ids.set(node.code, old.id);
        if (node.source !== CriterionSource.EXPERT && old.source === CriterionSource.EXPERT) {
          await tx.query('DELETE FROM expert_score WHERE criterion_id = $1', [old.id]);
        }
      } else {
        const inserted = await repo.insert({ ...values, cycleId, code: node.code });
        ids.set(node.code, inserted.identifiers[0].id as number);
      }
    }
    const gone = [...existing.values()].filter((c) => !ids.has(c.code)).map((c) => c.id);
    if (gone.length > 0) await tx.query('DELETE FROM criterion WHERE id = ANY($1)', [gone]);
    await tx.query('DELETE FROM criterion_question cq USING criterion c WHERE c.id = cq.criterion_id AND c.cycle_id = $1', [cycleId]);
    const links = plan.flatMap((n) => n.questionIds.map((questionId) => ({ criterionId: ids.get(n.code)!, questionId })));
    if (links.length > 0) await tx.getRepository(CriterionQuestion).insert(links);
  }

  async open(year: number, unitKind: UnitKind): Promise<Framework> {
    return this.db.transaction(async (tx) => {
      const cycle = await this.requireCycle(tx, year, unitKind);
      if (cycle.status === CycleStatus.PUBLISHED) {
        throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${unitKind} framework is already published`);
      }
      if (cycle.status === CycleStatus.DRAFT) await tx.getRepository(Cycle).update({ id: cycle.id }, { status: CycleStatus.OPEN });
      await recordAudit(tx, { operation: 'openCycle', year, target: unitKind, before: { status: cycle.status }, after: { status: CycleStatus.OPEN } });
      return this.loadById(tx, cycle.id);
    });
  }

  async requireCycle(manager: EntityManager, year: number, unitKind: UnitKind, lock = true): Promise<Cycle> {
    requireYear('year', year);
    const cycle = await manager.getRepository(Cycle).findOne({
      where: { year, unitKind },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!cycle) throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `No framework is defined for ${year} and ${unitKind}`);
    return cycle;
  }

  async find(year: number, unitKind: UnitKind): Promise<Framework | null> {
    const cycle = await this.db.getRepository(Cycle).findOne({ where: { year, unitKind } });
    return cycle ? this.loadById(this.db, cycle.id) : null;
  }

  /** The framework as a tree, in three queries. */
  async loadById(manager: EntityManager, cycleId: number): Promise<Framework> {
    const cycle = await manager.getRepository(Cycle).findOneOrFail({ where: { id: cycleId } });
    const rows: (Criterion & { question_codes: string[] | null; question_ids: number[] | null })[] = await manager.query(
      `SELECT c.id, c.parent_id AS "parentId", c.code, c.name, c.max_points AS "maxPoints", c.source, c.depth, c.position,
              array_agg(q.code ORDER BY q.position, q.code) FILTER (WHERE q.id IS NOT NULL) AS question_codes,
              array_agg(q.id ORDER BY q.position, q.code) FILTER (WHERE q.id IS NOT NULL) AS question_ids
         FROM criterion c
         LEFT JOIN criterion_question cq ON cq.criterion_id = c.id
         LEFT JOIN question q ON q.id = cq.question_id
        WHERE c.cycle_id = $1
        GROUP BY c.id
        ORDER BY c.depth, c.position`,
      [cycleId],
    );
    const bands = await manager.getRepository(Band).find({ where: { cycleId }, order: { position: 'ASC' } });
    const byId = new Map<number, FrameworkNode>();
    const domains: FrameworkNode[] = [];
    let expert = new Decimal(0);
    let survey = new Decimal(0);
    for (const r of rows) {
      const node: FrameworkNode = {
        id: r.id, code: r.code, name: r.name, maxPoints: r.maxPoints, source: r.source,
        questionCodes: r.question_codes ?? [], questionIds: r.question_ids ?? [], depth: r.depth, children: [],
      };
      byId.set(r.id, node);
      if (r.parentId === null) domains.push(node);
      else byId.get(r.parentId)!.children.push(node);
      if (r.source === CriterionSource.EXPERT) expert = expert.plus(r.maxPoints);
      if (r.source === CriterionSource.SURVEY) survey = survey.plus(r.maxPoints);
    }
    return {
      cycle, domains,
      bands: bands.map((b) => ({ code: b.code, label: b.label, minScore: b.minScore })),
      maxPoints: expert.plus(survey), expertMaxPoints: expert, surveyMaxPoints: survey,
    };
  }
}

/**
 * A framework as its audit entries show it: its rules, its bands, and each
 * domain and criterion by code (parent, maximum, source, questions), top-down.
 */
export function frameworkShown(framework: Framework) {
  const { cycle } = framework;
  const criteria: Record<string, unknown>[] = [];
  const walk = (node: FrameworkNode, parent: string | null) => {
    criteria.push({
      code: node.code, name: node.name, parent, maxPoints: Number(node.maxPoints),
      ...(node.source ? { source: node.source } : {}), ...(node.questionCodes.length ? { questions: node.questionCodes } : {}),
    });
    node.children.forEach((c) => walk(c, node.code));
  };
  framework.domains.forEach((d) => walk(d, null));
  return {
    status: cycle.status, minResponses: cycle.minResponses, panelAggregation: cycle.panelAggregation,
    maxBonus: Number(cycle.maxBonus), maxPenalty: Number(cycle.maxPenalty),
    bands: framework.bands.map((b) => ({ code: b.code, label: b.label, minScore: Number(b.minScore) })),
    criteria,
  };
}

/** Every leaf of a framework with its domain, in display order. */
export function leavesOf(framework: Framework): { node: FrameworkNode; domain: FrameworkNode }[] {
  const out: { node: FrameworkNode; domain: FrameworkNode }[] = [];
  const walk = (node: FrameworkNode, domain: FrameworkNode) => {
    if (node.children.length === 0 && node.depth > 0) out.push({ node, domain });
    node.children.forEach((c) => walk(c, domain));
  };
  framework.domains.forEach((d) => walk(d, d));
  return out;
}

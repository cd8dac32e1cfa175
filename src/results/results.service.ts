import type { EntityManager } from 'typeorm';
import type { Logger } from '../config/logger';
import { recordAudit } from '../audit';
import { CycleStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import { computeUnitResult, listingOrder, rankItems, type FrameworkSpec, type UnitOutcome } from '../scoring';
import { managerOf, type Db } from '../services/db';
import type { Framework, FrameworkService } from '../services/framework.service';
import { existsInYearSql, unitsOfYearSql } from '../services/unit-years';
import type { TallyRoller } from '../survey/tally-roller';
import { type CycleInputs, type CycleRef, readCycleInputs, toFrameworkSpec, UNIT_RESPONSES_SQL, type UnitFacts, unitInput, type UnitRow } from './cycle-inputs';
import {
  bumpVersion, domainTupleOf, type DomainTuple, fieldsOf, type IndexedOutcome, lockResults, type OutcomeFields, type Place, sameTuple, tupleOf,
  type UnitTuple, upsertRows,
} from './result-rows';
import { type CycleMemo, rankingsOf, rerankUnits, type UnitFigures, writeChange } from './unit-update';
import { notifyResultsChanged } from '../live/hooks';
import { recordPublication } from './publication.service';

export { SURVEY_TALLY_SQL, toFrameworkSpec } from './cycle-inputs';

/**
 * Stored results: full recomputations of a cycle and single-unit updates.
 *
 * A recomputation covers one cycle (year and unit kind): the framework once,
 * every expert score and adjustment of the cycle with one query each, the
 * survey counts with one aggregation (src/results/cycle-inputs.ts), the
 * method per unit, the ranks, then the rows that changed written with a
 * handful of array statements in one transaction.
 *
 * A single-unit update (after submitExpertScores) reads one unit's inputs,
 * runs the method for it and moves only the rows whose rank or position
 * changes (src/results/unit-update.ts), from what this process last wrote
 * (the memo), in one transaction; when the memo cannot be trusted it runs a
 * full recomputation instead.
 *
 * Every writer of a cycle's results, in any process, holds the advisory lock
 * of the cycle's results until it commits and writes a new version token in
 * result_state; a memo is trusted only while the token is still its own. A
 * PUBLISHED cycle is never touched.
 */

export interface RecomputeStats {
  cycleId: number; units: number; skipped?: 'PUBLISHED' | 'MISSING'; ms: number;
  /** Where the time went: reading, the method and ranks, writing. */
  phases?: { readMs: number; computeMs: number; writeMs: number };
  /** A single-unit update: how many index_result and domain_result rows it wrote or deleted. */
  incremental?: { unitRows: number; domainRows: number };
}

interface CycleRow { id: number; year: number; unit_kind: UnitKind; status: CycleStatus; updated_at: string }

const NO_FACTS: UnitFacts = { input: { panelScores: [], adjustments: [], surveyTallies: [] }, scores: null, responses: 0, previousRank: null };

/** Everything the method computes a unit's figures from (besides the framework), as one comparable string. */
function factsKey(f: UnitFacts): string {
  return `${f.scores ?? ''}\u0001${JSON.stringify(f.input.adjustments)}\u0001${JSON.stringify(f.input.surveyTallies)}`;
}

/** A cycle's results as computed: per unit with an index, its index_result row and its domain_result rows. */
interface ComputedCycle { results: Map<number, UnitTuple>; domains: Map<number, DomainTuple[]> }

export class ResultsService {
  /** Per cycle: the tail of its queue of runs, and a queued recomputation not yet started. */
  private readonly slots = new Map<number, { tail: Promise<unknown>; queued?: Promise<RecomputeStats> }>();
  /** Per cycle, what this process last wrote and committed, with its version token. */
  private readonly memos = new Map<number, CycleMemo>();
  /** Per cycle, the tail of this process's writes (a write and the memo it leaves are one step). */
  private readonly writers = new Map<number, Promise<unknown>>();
  /** Per cycle, the single-unit updates committed since the last full write: the version before and after each. */
  private readonly updates = new Map<number, { before: string | null; after: string; unitIds: number[] }[]>();
  /** Per cycle, each unit's figures as last computed, with the inputs they came from (see compute). */
  private readonly outcomes = new Map<number, { frameworkVersion: string; byUnit: Map<number, { key: string; fields: OutcomeFields | null }> }>();
  /** Per unit kind, the listing order of ties as last computed, with the units it was computed from. */
  private readonly listings = new Map<UnitKind, { units: Map<number, UnitRow>; listing: Map<string, number> }>();

  /** Statements outside a transaction on the pool (a DataSource's manager), or all inside the caller's (the demo seed's). */
  private readonly db: EntityManager;

  /**
   * A full write of at least this many rows is followed by ANALYZE of the
   * result tables (analyzeResults).
   */
  analyzeAfterRows = 1000;

  /** `db` a DataSource or a transaction's EntityManager (src/services/db.ts). */
  constructor(
    db: Db,
    private readonly frameworks: FrameworkService,
    private readonly tallies: TallyRoller,
    private readonly logger: Logger,
  ) {
    this.db = managerOf(db);
  }

  async cycleIdOf(year: number, unitKind: UnitKind): Promise<number | null> {
    const rows: { id: number }[] = await this.db.query('SELECT id FROM cycle WHERE year = $1 AND unit_kind = $2', [year, unitKind]);
    return rows[0]?.id ?? null;
  }

  /**
   * Recomputes a cycle, one run per cycle at a time in this process: a call
   * made while a run is in progress queues the next run (which starts after
   * the current one, so it sees everything committed before the call); calls
   * arriving while that run is still queued share it.
   *
   * With `only`, only some units' inputs changed (and are committed): those
   * units alone are recomputed and the rows their moves change rewritten, at
   * once and outside the queue. `unitId`: that unit (its expert scores);
   * `surveyed`: the units whose survey responses the stored figures do not
   * count yet (rolled up first). A full recomputation instead when this
   * process cannot trust what it last wrote, or when so many units changed
   * that recomputing them all is cheaper.
   */
  recompute(cycleId: number, only?: { unitId: number } | { surveyed: true }): Promise<RecomputeStats> {
    if (only) {
      return this.update(cycleId, 'unitId' in only ? [only.unitId] : 'surveyed').then((done) => done ?? this.recompute(cycleId));
    }
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

  /** Runs `task` (a write and the memo it leaves) after this process's other writes of the cycle. */
  private writing<T>(cycleId: number, task: () => Promise<T>): Promise<T> {
    const run = (this.writers.get(cycleId) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    this.writers.set(cycleId, tail);
    void tail.then(() => { if (this.writers.get(cycleId) === tail) this.writers.delete(cycleId); });
    return run;
  }

  private async recomputeNow(cycleId: number): Promise<RecomputeStats> {
    const started = performance.now();
    const [cycle]: CycleRow[] = await this.db.query(
      'SELECT id, year, unit_kind, status, updated_at::text FROM cycle WHERE id = $1', [cycleId]);
    if (!cycle) return { cycleId, units: 0, skipped: 'MISSING', ms: performance.now() - started };
    if (cycle.status === CycleStatus.PUBLISHED) return { cycleId, units: 0, skipped: 'PUBLISHED', ms: performance.now() - started };
    // The token before the reads: a writer committing after it may have written from newer inputs than ours.
    const startVersion = await this.versionOf(this.db, cycleId);
    const framework = await this.frameworks.loadById(this.db, cycleId);
    const ref: CycleRef = { id: cycleId, year: cycle.year, unitKind: cycle.unit_kind };
    await this.tallies.rollUp(); // every response stored before this recomputation is in the roll-ups it reads
    let inputs = await readCycleInputs(this.db, ref, null, true);
    const read = performance.now();
    const spec = toFrameworkSpec(framework);
    let computed = this.compute(cycleId, cycle.updated_at, framework, spec, inputs);
    const computedAt = performance.now();
    const stored = await this.writing(cycleId, async () => {
      const written = await this.db.transaction(async (tx) => {
        const [locked]: { status: CycleStatus }[] = await tx.query('SELECT status FROM cycle WHERE id = $1 FOR SHARE', [cycleId]);
        if (!locked || locked.status === CycleStatus.PUBLISHED) return null;
        const version = await lockResults(tx, cycleId);
        if (version !== startVersion) {
          // Someone wrote since our reads began: single-unit updates of this process (read those units again), or
          // another process (read everything again, under the lock this time).
          const touched = this.updatedSince(cycleId, startVersion, version);
          if (touched === null) {
            inputs = await readCycleInputs(tx, ref, null, false);
          } else {
            const fresh = await readCycleInputs(tx, ref, [...touched], false);
            for (const unitId of touched) inputs.facts.set(unitId, fresh.facts.get(unitId) ?? NO_FACTS);
          }
          computed = this.compute(cycleId, cycle.updated_at, framework, spec, inputs);
        }
        return this.write(tx, cycleId, computed, false, version);
      }).catch((e) => {
        // Whatever made this run due, what this process last wrote no longer says what must be done: updates wait
        // for a full recomputation.
        this.memos.delete(cycleId);
        throw e;
      });
      if (written) this.remember(cycle, framework, spec, inputs, computed, written.version);
      return written;
    });
    if (stored && stored.rows >= this.analyzeAfterRows) await this.analyzeResults(cycleId, stored.rows);
    const ms = performance.now() - started;
    this.logger.debug('results recomputed', { cycleId, units: computed.results.size, ms: Math.round(ms) });
    const phases = { readMs: read - started, computeMs: computedAt - read, writeMs: started + ms - computedAt };
    return { cycleId, units: computed.results.size, ...(stored !== null ? {} : { skipped: 'PUBLISHED' as const }), ms, phases };
  }

  /** The units this process's single-unit updates changed from token `from` to token `to`; null if someone else wrote. */
  private updatedSince(cycleId: number, from: string | null, to: string | null): Set<number> | null {
    const log = this.updates.get(cycleId) ?? [];
    const units = new Set<number>();
    let at = from;
    while (at !== to) {
      const step = log.find((u) => u.before === at);
      if (!step) return null;
      for (const unitId of step.unitIds) units.add(unitId);
      at = step.after;
    }
    return units;
  }

  private async versionOf(manager: EntityManager, cycleId: number): Promise<string | null> {
    const [state]: { version: string }[] = await manager.query('SELECT version::text FROM result_state WHERE cycle_id = $1', [cycleId]);
    return state?.version ?? null;
  }

  /**
   * The cycle's rankings as this process last wrote them (ordered ids and
   * hundredths, unit-update.ts), while result_state still holds that
   * write's token; null otherwise. Read-only: what-if places a unit in them.
   */
  async storedRankings(cycleId: number): Promise<Readonly<CycleMemo> | null> {
    const memo = this.memos.get(cycleId);
    return memo && memo.version === await this.versionOf(this.db, cycleId) ? memo : null;
  }

  /**
   * Some units recomputed and their moves written, in one transaction under
   * the cycle's results lock; null when what this process last wrote cannot
   * be trusted (another writer since, another framework, other units) or
   * too many units changed, for the caller to recompute the whole cycle.
   */
  private async update(cycleId: number, which: number[] | 'surveyed'): Promise<RecomputeStats | null> {
    const started = performance.now();
    // Every response stored before the update is in the roll-ups it reads, as for a full recomputation.
    await this.tallies.rollUp();
    return this.writing(cycleId, async () => {
      let done;
      try {
        done = await this.db.transaction((tx) => this.updateIn(tx, cycleId, which));
      } catch (e) {
        // Whatever it left unwritten, the next update must not build on it: a full recomputation comes first.
        this.memos.delete(cycleId);
        throw e;
      }
      const ms = performance.now() - started;
      if (done === null) return null;
      if (done.kind === 'skipped') return { cycleId, units: 0, skipped: done.skipped, ms };
      if (done.kind === 'none') return { cycleId, units: 0, ms, incremental: { unitRows: 0, domainRows: 0 } };
      const { change, unitIds, responses } = done;
      const memo = change.committed();
      for (const [unitId, n] of responses) memo.responses.set(unitId, n);
      memo.version = done.after;
      this.memos.set(cycleId, memo);
      const log = this.updates.get(cycleId) ?? [];
      log.push({ before: done.before, after: done.after, unitIds });
      // A full write clears the log; should none come for long, the oldest steps go (a recomputation then reads all again).
      if (log.length > 10000) log.splice(0, log.length - 10000);
      this.updates.set(cycleId, log);
      const domainCount = memo.domainIds.length;
      return {
        cycleId, units: unitIds.length, ms,
        incremental: { unitRows: change.units.length + change.removed.length, domainRows: change.domains.length + change.removed.length * domainCount },
      };
    });
  }

  private async updateIn(tx: EntityManager, cycleId: number, which: number[] | 'surveyed') {
    const [cycle]: CycleRow[] = await tx.query(
      'SELECT id, year, unit_kind, status, updated_at::text FROM cycle WHERE id = $1 FOR SHARE', [cycleId]);
    if (!cycle) return { kind: 'skipped' as const, skipped: 'MISSING' as const };
    if (cycle.status === CycleStatus.PUBLISHED) return { kind: 'skipped' as const, skipped: 'PUBLISHED' as const };
    const version = await lockResults(tx, cycleId);
    const memo = this.memos.get(cycleId);
    if (!memo || memo.version !== version || memo.frameworkVersion !== cycle.updated_at) return null;
    const ref: CycleRef = { id: cycleId, year: cycle.year, unitKind: cycle.unit_kind };
    // The units that exist in the year (a change of the map gives the cycle a new version itself: UnitService).
    const [{ watermark }]: { watermark: string }[] = await tx.query(
      `SELECT count(*) || ':' || coalesce(max(id), 0) AS watermark FROM unit w WHERE kind = $1 AND ${existsInYearSql('w', '$2::int')}`,
      [cycle.unit_kind, cycle.year]);
    if (watermark !== memo.unitsWatermark) return null;
    let unitIds: number[];
    if (which === 'surveyed') {
      const counts: { unit_id: number; responses: string }[] = await tx.query(UNIT_RESPONSES_SQL, [cycle.year, cycle.unit_kind]);
      unitIds = counts.filter((c) => Number(c.responses) !== (memo.responses.get(c.unit_id) ?? 0)).map((c) => c.unit_id);
      if (unitIds.length === 0) return { kind: 'none' as const };
      // Past an eighth of the units (at least 100), one full recomputation costs less than their moves.
      if (unitIds.length > Math.max(100, memo.units.size / 8)) return null;
    } else {
      unitIds = which;
    }
    // Ties are listed by name and code, parent rankings by parent: as they were ranked, or everything again.
    const rows: UnitRow[] = await tx.query(
      `SELECT v.id, v.code, v.name, v.parent_id FROM ${unitsOfYearSql('$2::int')} v WHERE v.id = ANY($1::int[])`, [unitIds, cycle.year]);
    if (rows.length !== unitIds.length || rows.some((u) => {
      const known = memo.units.get(u.id);
      return !known || known.name !== u.name || known.code !== u.code || known.parent_id !== u.parent_id;
    })) return null;

    const inputs = await readCycleInputs(tx, ref, unitIds, false);
    const figures = new Map<number, UnitFigures | null>();
    for (const unitId of unitIds) {
      const facts = inputs.facts.get(unitId) ?? NO_FACTS;
      const outcome = computeUnitResult(memo.spec, unitInput(facts));
      figures.set(unitId, outcome.score === null ? null : {
        outcome: outcome as IndexedOutcome, previousRank: facts.previousRank, responses: facts.responses,
      });
    }
    const change = rerankUnits(memo, figures);
    // Kept in the memo once committed (update): a unit whose count moves again has new ratings.
    const responses = new Map(unitIds.map((unitId) => [unitId, inputs.facts.get(unitId)?.responses ?? 0]));
    await writeChange(tx, cycleId, change, upsertRows);
    return { kind: 'done' as const, change, unitIds, responses, before: version, after: await bumpVersion(tx, cycleId) };
  }

  /**
   * Inside the caller's transaction (publication): recomputes with every read
   * on `tx`, then writes with `published` set.
   */
  async recomputeInTransaction(tx: EntityManager, cycleId: number, published: boolean): Promise<void> {
    const framework = await this.frameworks.loadById(tx, cycleId);
    const { year, unitKind } = framework.cycle;
    await this.tallies.rollUp();
    const inputs = await readCycleInputs(tx, { id: cycleId, year, unitKind }, null, false);
    const version = await lockResults(tx, cycleId);
    await this.write(tx, cycleId, this.compute(cycleId, null, framework, toFrameworkSpec(framework), inputs), published, version);
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
        // Expert scores and single-unit updates take it FOR SHARE: none is in flight from here on.
        await tx.query('SELECT id FROM cycle WHERE id = $1 FOR UPDATE', [cycle.id]);
        await this.recomputeInTransaction(tx, cycle.id, true);
        await tx.query(`UPDATE cycle SET status = 'PUBLISHED', published_at = now(), updated_at = now() WHERE id = $1`, [cycle.id]);
        // Version 1, or the amendment in progress: dated and its results archived (src/results/publication.service.ts).
        const version = await recordPublication(tx, cycle.id);
        const [{ n }]: { n: number }[] = await tx.query('SELECT count(*)::int AS n FROM index_result WHERE cycle_id = $1', [cycle.id]);
        await recordAudit(tx, { operation: 'publishCycle', year, target: unitKind, before: { status: cycle.status }, after: { status: CycleStatus.PUBLISHED, version, results: n } });
        return this.frameworks.loadById(tx, cycle.id);
      }));
    })();
  }

  /**
   * The method per unit, then the overall, per-parent and per-domain
   * rankings, as the rows to store. The method is a pure function of a
   * unit's inputs and the framework: a unit whose inputs are exactly those of
   * the last recomputation (the same scores as read, adjustments and survey
   * counts; the same framework version) keeps the figures
   * computed then, and only its places are worked out again. With
   * `frameworkVersion` null (publication) every unit is computed afresh.
   */
  private compute(cycleId: number, frameworkVersion: string | null, framework: Framework, spec: FrameworkSpec, inputs: CycleInputs): ComputedCycle {
    const cached = this.outcomes.get(cycleId);
    const known = frameworkVersion !== null && cached?.frameworkVersion === frameworkVersion ? cached.byUnit : undefined;
    const byUnit = new Map<number, { key: string; fields: OutcomeFields | null }>();
    // A unit with no applicable leaf (maximum 0) has no index that year: no result is stored, it is not ranked.
    const units: { unit: UnitRow; fields: OutcomeFields; facts: UnitFacts }[] = [];
    for (const unit of inputs.units) {
      const facts = inputs.facts.get(unit.id) ?? NO_FACTS;
      const key = factsKey(facts);
      const hit = known?.get(unit.id);
      let fields: OutcomeFields | null;
      if (hit && hit.key === key) {
        fields = hit.fields;
      } else {
        const outcome = computeUnitResult(spec, unitInput(facts));
        fields = outcome.score === null ? null : fieldsOf(outcome as IndexedOutcome);
      }
      byUnit.set(unit.id, { key, fields });
      if (fields) units.push({ unit, fields, facts });
    }
    if (frameworkVersion !== null) this.outcomes.set(cycleId, { frameworkVersion, byUnit });
    // The same units are ranked 10 times or more: settle the order of ties (Vietnamese names) once.
    const listing = this.listingOf(framework.cycle.unitKind, inputs.units);
    const rankable = (u: (typeof units)[number], score: UnitOutcome['score'] | null) => {
      const key = String(u.unit.id);
      return { key, name: u.unit.name, code: u.unit.code, score, listing: listing.get(key)!, u };
    };

    const overall = rankItems(units.map((u) => rankable(u, u.fields.score)));
    const byParent = new Map<number, typeof overall[number]['item'][]>();
    for (const { item } of overall) {
      if (item.u.unit.parent_id === null) continue;
      const list = byParent.get(item.u.unit.parent_id) ?? [];
      list.push(item);
      byParent.set(item.u.unit.parent_id, list);
    }
    const parentPlace = new Map<number, Place>();
    for (const list of byParent.values()) {
      rankItems(list).forEach(({ item, rank }, i) => parentPlace.set(item.u.unit.id, { rank, position: i + 1 }));
    }
    const results = new Map<number, UnitTuple>();
    overall.forEach(({ item: { u }, rank }, i) => {
      results.set(u.unit.id, tupleOf(
        u.unit.id, u.fields, { rank, position: i + 1 }, parentPlace.get(u.unit.id) ?? null,
        u.facts.previousRank, u.facts.responses, false,
      ));
    });
    const domains = new Map<number, DomainTuple[]>(units.map((u) => [u.unit.id, new Array<DomainTuple>(framework.domains.length)]));
    framework.domains.forEach((d, di) => {
      rankItems(units.map((u) => rankable(u, u.fields.domainScores[di]))).forEach(({ item: { u }, rank }, i) => {
        domains.get(u.unit.id)![di] = domainTupleOf(u.unit.id, d.id, u.fields.domains[di], { rank, position: i + 1 });
      });
    });
    return { results, domains };
  }

  /**
   * Every result of the cycle in a few array statements: upserts keyed by
   * (cycle, unit[, domain]). Only rows whose figures changed are sent: the
   * rows this process last wrote for the cycle (its memo) are trusted only
   * while the stored token (`version`, read under the lock) is still that
   * write's (no other writer since, no rollback). Otherwise every row is
   * sent. Returns the new token.
   */
  private async write(tx: EntityManager, cycleId: number, computed: ComputedCycle, published: boolean, version: string | null): Promise<{ version: string; rows: number }> {
    const known = this.memos.get(cycleId);
    const trusted = known !== undefined && version !== null && known.version === version;
    const withPublished = <T extends UnitTuple>(row: T): T => {
      if (row[15] === published) return row;
      const copy = [...row] as T;
      copy[15] = published;
      return copy;
    };
    const unitRows: UnitTuple[] = [];
    const domainRows: DomainTuple[] = [];
    for (const [unitId, row] of computed.results) {
      const r = withPublished(row);
      if (!trusted || !sameTuple(known.results.get(unitId), r)) unitRows.push(r);
      const before = trusted ? known.domains.get(unitId) : undefined;
      computed.domains.get(unitId)!.forEach((d, di) => { if (!sameTuple(before?.[di], d)) domainRows.push(d); });
    }
    await upsertRows(tx, cycleId, unitRows, domainRows);
    await notifyResultsChanged(tx, cycleId, [...new Set([...unitRows, ...domainRows].map((r) => r[0]))]); // live data: resultsChanged (src/live)
    // Units gone from the kind (or without an index now), domains gone from the framework: only when the sets may have changed.
    const domainIds = [...computed.domains.values()][0]?.map((d) => d[1]) ?? [];
    const sameSets = trusted && known.results.size === computed.results.size
      && [...computed.results.keys()].every((id) => known.results.has(id))
      && known.domainIds.length === domainIds.length && domainIds.every((id, i) => known.domainIds[i] === id);
    if (!sameSets) {
      const unitIds = [...computed.results.keys()];
      await tx.query('DELETE FROM index_result WHERE cycle_id = $1 AND unit_id NOT IN (SELECT unnest($2::int[]))', [cycleId, unitIds]);
      await tx.query(
        `DELETE FROM domain_result WHERE cycle_id = $1
            AND (unit_id NOT IN (SELECT unnest($2::int[])) OR domain_id NOT IN (SELECT unnest($3::int[])))`,
        [cycleId, unitIds, domainIds],
      );
    }
    return { version: await bumpVersion(tx, cycleId), rows: unitRows.length + domainRows.length };
  }

  /**
   * The listing order of ties among a kind's units (listingOrder: Vietnamese
   * names, then code): sorting 12,000 names with the collator took a fifth
   * of a recomputation, so it is kept while every unit's name and code stay
   * the same.
   */
  private listingOf(kind: UnitKind, units: UnitRow[]): Map<string, number> {
    const cached = this.listings.get(kind);
    if (cached && cached.units.size === units.length && units.every((u) => {
      const known = cached.units.get(u.id);
      return known !== undefined && known.name === u.name && known.code === u.code;
    })) return cached.listing;
    const listing = listingOrder(units.map((u) => ({ key: String(u.id), name: u.name, code: u.code })));
    this.listings.set(kind, { units: new Map(units.map((u) => [u.id, u])), listing });
    return listing;
  }

  /**
   * The planner's statistics of the result tables, brought up to date after
   * a full write of many rows (a year's first, or one after another
   * writer). A year freshly written has none that say how many rows a cycle
   * holds: the moves of the corrections after it were then planned as a
   * nested loop filtering every row of the cycle for each row moved (700
   * moved rows × 12,000 rows, up to 0.6 s a correction), not as one index
   * probe per row. Autovacuum would analyze them too, a minute or more
   * later, or never where it is off. A failure is logged, not raised: the
   * figures are written.
   */
  private async analyzeResults(cycleId: number, rows: number): Promise<void> {
    try {
      await this.db.query('ANALYZE index_result, domain_result');
    } catch (e) {
      this.logger.warn('ANALYZE of the result tables after a full write failed', { cycleId, rows, error: String(e) });
    }
  }

  /** After commit only: a rolled-back write must never be trusted. */
  private remember(
    cycle: CycleRow, framework: Framework, spec: FrameworkSpec, { units, facts }: CycleInputs, computed: ComputedCycle, version: string,
  ): void {
    let max = 0;
    for (const u of units) if (u.id > max) max = u.id;
    const byId = new Map(units.map((u) => [u.id, u]));
    this.memos.set(cycle.id, {
      cycleId: cycle.id, version, frameworkVersion: cycle.updated_at, unitsWatermark: `${units.length}:${max}`, spec,
      domainIds: framework.domains.map((d) => d.id), units: byId, results: computed.results, domains: computed.domains,
      responses: new Map([...facts].filter(([, f]) => f.responses > 0).map(([id, f]) => [id, f.responses])),
      ...rankingsOf(computed.results, computed.domains, byId, framework.domains.length),
    });
    this.updates.delete(cycle.id);
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../config/logger';
import { CycleStatus } from '../entities/enums';
import { ExpertScoreService, ResultsService } from '../results';
import type { ResultRow } from '../results/ranking.service';
import type { Services } from '../services';
import { FrameworkService } from '../services/framework.service';
import { QuestionnaireService } from '../services/questionnaire.service';
import { UnitService } from '../services/unit.service';
import { KioskService, TallyRoller } from '../survey';
import { QuestionnaireCache } from '../survey/questionnaire-cache';
import { checkClientId, checkResponse, checkSubmittedAt } from '../survey/submission';
import { demoExpertSubmissions, demoRatings } from './demo-activity';
import { existsIn } from '../services/unit-years';
import {
  DEMO_MERGED_UNITS, DEMO_MERGERS, DEMO_UNITS, demoFramework, demoFrameworkKinds, demoKioskLabels, demoQuestionnaire,
} from './demo-data';
import { demoYears, type DemoYears, isTwoTier } from './demo-years';

/** What a seed run stored. */
export interface DemoSeedResult {
  units: number;
  questions: number;
  /** Each framework's status once the seed is done: the earlier and published years PUBLISHED, the open one OPEN. */
  frameworks: { year: number; unitKind: string; status: CycleStatus; maxPoints: string }[];
  kiosks: number;
  /** submitExpertScores calls (one per unit, round and panelist). */
  expertSubmissions: number;
  ratings: number;
  ms: number;
}

/** The setup services the seed writes through, so that every validation rule applies to the demo too. */
export interface DemoSetupServices {
  units: Pick<UnitService, 'create'>;
  questionnaires: Pick<QuestionnaireService, 'define'>;
  frameworks: Pick<FrameworkService, 'define' | 'open'>;
}

/** Seeds units, questionnaires and opened frameworks of the demo province through the given services. */
export async function seedDemoSetup(services: DemoSetupServices, years: DemoYears = demoYears()): Promise<Pick<DemoSeedResult, 'units' | 'questions' | 'frameworks'>> {
  for (const unit of DEMO_UNITS) await services.units.create(unit);
  let questions = 0;
  const frameworks: DemoSeedResult['frameworks'] = [];
  for (const { year, role } of years.all) {
    questions += (await services.questionnaires.define(year, demoQuestionnaire(role))).length;
    for (const kind of demoFrameworkKinds(year)) {
      await services.frameworks.define(demoFramework(year, kind));
      const opened = await services.frameworks.open(year, kind);
      frameworks.push({ year, unitKind: kind, status: opened.cycle.status, maxPoints: opened.maxPoints.toString() });
    }
  }
  return { units: DEMO_UNITS.length + (years.all.some((y) => isTwoTier(y.year)) ? DEMO_MERGED_UNITS.length : 0), questions, frameworks };
}

/**
 * The setup services bound to one transaction: they are typed on what a
 * transaction gives (an EntityManager, src/services/db.ts; their own
 * transactions nest as savepoints), so the whole seed commits or rolls back
 * as one.
 */
function setupServicesIn(tx: EntityManager): DemoSetupServices {
  return { units: new UnitService(tx), questionnaires: new QuestionnaireService(tx), frameworks: new FrameworkService(tx) };
}

/**
 * Stores kiosk ratings on `tx`, each checked by the rules ingestion applies
 * (submission.ts) against the year's questionnaire. SurveyIngestionService
 * itself writes through the pool, outside any transaction, so the seed
 * inserts the checked rows itself, like ingestion does: `tallied` false,
 * not late (nothing is published yet), for the roll-up to count.
 */
async function storeRatings(
  tx: EntityManager, questionnaires: QuestionnaireCache, unitId: number, kioskIds: number[],
  ratings: ReturnType<typeof demoRatings>, now: number,
): Promise<void> {
  if (ratings.length === 0) return;
  const r = { kiosk: [] as number[], client: [] as string[], year: [] as number[], at: [] as string[], procedure: [] as (string | null)[], comment: [] as (string | null)[] };
  const a = { client: [] as string[], question: [] as number[], value: [] as number[] };
  for (const [i, { kioskIndex, response }] of ratings.entries()) {
    const prefix = `ratings[${i}]`;
    const clientId = checkClientId(prefix, response.clientId);
    const when = checkSubmittedAt(prefix, response.submittedAt, now);
    const checked = checkResponse(prefix, response, clientId, when, await questionnaires.get(when.year));
    r.kiosk.push(kioskIds[kioskIndex]); r.client.push(checked.clientId); r.year.push(checked.year);
    r.at.push(checked.submittedAt.toISOString()); r.procedure.push(checked.procedureCode); r.comment.push(checked.comment);
    for (const answer of checked.answers) {
      a.client.push(checked.clientId); a.question.push(answer.question.id); a.value.push(answer.value);
    }
  }
  await tx.query(
    `WITH ins AS (
       INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, procedure_code, comment, late, tallied)
       SELECT t.kiosk_id, $1, t.client_id, t.year, t.submitted_at, t.procedure_code, t.comment, false, false
         FROM unnest($2::int[], $3::uuid[], $4::int[], $5::timestamptz[], $6::varchar[], $7::text[])
              AS t(kiosk_id, client_id, year, submitted_at, procedure_code, comment)
       RETURNING id, client_id
     )
     INSERT INTO survey_answer (response_id, question_id, value)
     SELECT ins.id, x.question_id, x.value
       FROM unnest($8::uuid[], $9::int[], $10::smallint[]) AS x(client_id, question_id, value)
       JOIN ins ON ins.client_id = x.client_id`,
    [unitId, r.kiosk, r.client, r.year, r.at, r.procedure, r.comment, a.client, a.question, a.value],
  );
}

/** The kiosks that served a unit in (the middle of) a year: after a merger, its predecessors'. */
async function kiosksServing(tx: EntityManager, unitId: number, year: number): Promise<number[]> {
  const rows: { id: number }[] = await tx.query(
    `SELECT k.id FROM kiosk k
      WHERE (SELECT a.unit_id FROM kiosk_assignment a WHERE a.kiosk_id = k.id AND a.from_date <= make_date($2, 7, 1)
              ORDER BY a.from_date DESC LIMIT 1) = $1
      ORDER BY k.id`, [unitId, year]);
  return rows.map((r) => r.id);
}

/** The result submit reads back in the seed, which reads none (stand-in for RankingService.resultsByUnitYear). */
const PLACEHOLDER_RESULT: ResultRow = {
  cycle_id: 0, unit_id: 0, year: 0, status: CycleStatus.OPEN, score: '0', expert_score: null, survey_score: null,
  earned_points: '0', max_points: '0', rank: 0, parent_rank: null, previous_rank: null, band_code: null, responses: 0,
  survey_insufficient: false, provisional: true, published: false,
};

/**
 * The year's activity on `tx`, after the setup: kiosks on the three-tier
 * map, the 2025 mergers (their kiosks then serve the new units), expert scores (through
 * ExpertScoreService, so every scoring rule applies), ratings, then the
 * roll-up, the published year's recomputation and publication and the open
 * year's recomputation (against the published ranks: rank changes).
 *
 * Every service here is bound to the seed's transaction, as the setup ones
 * are. ExpertScoreService recomputes after every call; here its results and
 * rankings are stand-ins that do nothing, and the cycles are recomputed once
 * at the end instead (a few hundred recomputations would take seconds).
 */
async function seedDemoActivity(
  tx: EntityManager, logger: Logger, years: DemoYears, now: Date,
): Promise<Pick<DemoSeedResult, 'kiosks' | 'expertSubmissions' | 'ratings'>> {
  const units = new UnitService(tx);
  const frameworks = new FrameworkService(tx);
  const kiosks = new KioskService(tx);
  // The scores go in on the transaction; the cycles are recomputed once at the end, so submit's own recomputation
  // is a stand-in, and so is the result it reads back (a placeholder row keeps it from refusing "no index").
  const noRecompute = { recompute: async (cycleId: number) => ({ cycleId, units: 0, ms: 0 }) };
  const noResult = { resultsByUnitYear: async (): Promise<ResultRow[]> => [PLACEHOLDER_RESULT] };
  const expertScores = new ExpertScoreService(tx, units, frameworks, noRecompute, noResult);
  const questionnaires = new QuestionnaireCache(tx, 60_000);

  let kioskCount = 0, expertSubmissions = 0, ratings = 0;
  for (const unit of DEMO_UNITS) {
    for (const label of demoKioskLabels(unit)) await kiosks.register(unit.code, label);
    kioskCount += demoKioskLabels(unit).length;
  }
  // The two-tier map: the mergers of 2025, through the service (lineage, the merged units' last year, their kiosks).
  const twoTier = years.all.some((y) => isTwoTier(y.year));
  if (twoTier) for (const merger of DEMO_MERGERS) await units.merge(merger);
  for (const [unitIndex, unit] of [...DEMO_UNITS, ...(twoTier ? DEMO_MERGED_UNITS : [])].entries()) {
    const row = await units.requireByCode(unit.code, 'unitCode');
    for (const demoYear of years.all) {
      // Each year's own map: a unit is scored and rated only in its years, under a framework of its kind.
      if (!existsIn(row, demoYear.year) || !demoFrameworkKinds(demoYear.year).includes(unit.kind)) continue;
      for (const call of demoExpertSubmissions(demoYear, unit)) {
        await expertScores.submit(call, 'demo-seed');
        expertSubmissions++;
      }
      const kioskIds = await kiosksServing(tx, row.id, demoYear.year);
      const rated = demoRatings(demoYear, unit, unitIndex + 1, kioskIds.length, now);
      await storeRatings(tx, questionnaires, row.id, kioskIds, rated, now.getTime());
      ratings += rated.length;
    }
  }

  // Roll-ups, recomputation and publication on the same transaction.
  const tallies = new TallyRoller(tx, logger, { intervalMs: 0, batchSize: 50_000 });
  const results = new ResultsService(tx, frameworks, tallies, logger);
  // The roll-up sorts tens of thousands of answers at once: give it memory rather than temporary files.
  await tx.query(`SET LOCAL work_mem = '64MB'`);
  await tallies.rollUp();
  // Fresh tables have no statistics yet (autovacuum has not seen them, least of all inside this
  // transaction): without them the recomputations' aggregations are planned badly and take seconds.
  await tx.query('ANALYZE');
  // Oldest first: each published year is there before the next one's rank changes are computed.
  for (const { year, role } of years.all) {
    for (const kind of demoFrameworkKinds(year)) {
      if (role !== 'open') {
        await results.publish(year, kind);
      } else {
        const cycleId = await results.cycleIdOf(year, kind);
        await results.recomputeInTransaction(tx, cycleId!, false);
      }
    }
  }
  return { kiosks: kioskCount, expertSubmissions, ratings };
}

async function isEmpty(manager: EntityManager): Promise<boolean> {
  const [row] = await manager.query(
    `SELECT EXISTS (SELECT 1 FROM unit) OR EXISTS (SELECT 1 FROM question) OR EXISTS (SELECT 1 FROM cycle) AS used`,
  );
  return !row.used;
}

/**
 * Seeds the demo province into an empty database (no unit, question or
 * framework yet): units, questionnaires, frameworks, kiosks, two years of
 * expert scores and ratings, the year before `now`'s (Vietnam time)
 * published and `now`'s year open and recomputed (demo-years.ts). Returns
 * null when the database was not empty.
 *
 * All of it is one transaction, on purpose: a start that dies midway leaves
 * nothing behind (the next start seeds again from scratch, no marker row
 * needed), and two processes starting on the same database seed once (the
 * advisory lock, then the emptiness check). That is why the scores go
 * through an ExpertScoreService bound to the transaction, the ratings are
 * inserted on it (the ingestion service writes through the pool), and the
 * roll-up, recomputation and publication run on it too (ResultsService and
 * TallyRoller bound to it) rather than through the process's `services`.
 * After the commit, the process's own roll-up and recomputation start and
 * find the data current.
 */
export async function seedDemoIfEmpty(db: DataSource, services: Services, logger: Logger, now: Date = new Date()): Promise<DemoSeedResult | null> {
  void services;
  const started = Date.now();
  const years = demoYears(now);
  const result = await db.transaction(async (tx) => {
    // Seeding is start-up work, not a request: waiting for another process's seed, and the bulk statements
    // (the roll-up of two years of ratings, the recomputations), are not bound by the per-request timeout.
    await tx.query(`SET LOCAL statement_timeout = 0`);
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('par-demo-seed'))`);
    if (!(await isEmpty(tx))) return null;
    const setup = await seedDemoSetup(setupServicesIn(tx), years);
    const activity = await seedDemoActivity(tx, logger, years, now);
    const statuses: { year: number; unit_kind: string; status: CycleStatus }[] = await tx.query('SELECT year, unit_kind, status FROM cycle');
    const frameworks = setup.frameworks.map((f) => ({
      ...f, status: statuses.find((c) => c.year === f.year && c.unit_kind === f.unitKind)!.status,
    }));
    return { ...setup, frameworks, ...activity };
  });
  if (!result) {
    logger.debug('demo seed skipped: the database is not empty');
    return null;
  }
  const ms = Date.now() - started;
  logger.info('demo province seeded', {
    units: result.units, questions: result.questions, frameworks: result.frameworks.length,
    kiosks: result.kiosks, expertSubmissions: result.expertSubmissions, ratings: result.ratings, ms,
  });
  return { ...result, ms };
}

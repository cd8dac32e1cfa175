import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../config/logger';
import { CycleStatus } from '../entities/enums';
import type { Services } from '../services';
import { FrameworkService } from '../services/framework.service';
import { QuestionnaireService } from '../services/questionnaire.service';
import { UnitService } from '../services/unit.service';
import { DEMO_FRAMEWORK_KINDS, DEMO_UNITS, DEMO_YEARS, demoFramework, demoQuestionnaire } from './demo-data';

/** What a seed run stored. */
export interface DemoSeedResult {
  units: number;
  questions: number;
  frameworks: { year: number; unitKind: string; status: CycleStatus; maxPoints: string }[];
  ms: number;
}

/** The setup services the seed writes through, so that every validation rule applies to the demo too. */
export interface DemoSetupServices {
  units: Pick<UnitService, 'create'>;
  questionnaires: Pick<QuestionnaireService, 'define'>;
  frameworks: Pick<FrameworkService, 'define' | 'open'>;
}

/** Seeds units, questionnaires and opened frameworks of the demo province through the given services. */
export async function seedDemoSetup(services: DemoSetupServices): Promise<Omit<DemoSeedResult, 'ms'>> {
  for (const unit of DEMO_UNITS) await services.units.create(unit);
  let questions = 0;
  const frameworks: DemoSeedResult['frameworks'] = [];
  for (const year of DEMO_YEARS) {
    questions += (await services.questionnaires.define(year, demoQuestionnaire(year))).length;
    for (const kind of DEMO_FRAMEWORK_KINDS) {
      await services.frameworks.define(demoFramework(year, kind));
      const opened = await services.frameworks.open(year, kind);
      frameworks.push({ year, unitKind: kind, status: opened.cycle.status, maxPoints: opened.maxPoints.toString() });
    }
  }
  return { units: DEMO_UNITS.length, questions, frameworks };
}

/**
 * The setup services bound to one transaction. They need of their data
 * source only what an EntityManager also has (getRepository, query,
 * transaction, the last one nesting as a savepoint), so the whole seed
 * commits or rolls back as one.
 */
function setupServicesIn(tx: EntityManager): DemoSetupServices {
  const source = tx as unknown as DataSource;
  return { units: new UnitService(source), questionnaires: new QuestionnaireService(source), frameworks: new FrameworkService(source) };
}

async function isEmpty(manager: EntityManager): Promise<boolean> {
  const [row] = await manager.query(
    `SELECT EXISTS (SELECT 1 FROM unit) OR EXISTS (SELECT 1 FROM question) OR EXISTS (SELECT 1 FROM cycle) AS used`,
  );
  return !row.used;
}

/**
 * Seeds the demo province into an empty database (no unit, question or
 * framework yet), all in one transaction: a start that dies midway leaves
 * nothing behind, and two processes starting on the same database seed once.
 * Returns null when the database was not empty.
 *
 * `services` is the process's full set; later seeds (expert scores, kiosk
 * ratings) run after this one with it.
 */
export async function seedDemoIfEmpty(db: DataSource, services: Services, logger: Logger): Promise<DemoSeedResult | null> {
  void services;
  const started = Date.now();
  const result = await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('par-demo-seed'))`);
    if (!(await isEmpty(tx))) return null;
    return seedDemoSetup(setupServicesIn(tx));
  });
  if (!result) {
    logger.debug('demo seed skipped: the database is not empty');
    return null;
  }
  const ms = Date.now() - started;
  logger.info('demo province seeded', { units: result.units, questions: result.questions, frameworks: result.frameworks.length, ms });
  return { ...result, ms };
}

import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import type { FrameworkService } from '../services/framework.service';
import type { UnitService } from '../services/unit.service';
import type { TallyRoller } from '../survey/tally-roller';
import { ExpertScoreService } from './expert-score.service';
import { PublicationService } from './publication.service';
import { RankingService } from './ranking.service';
import { RecomputeScheduler } from './recompute-scheduler';
import { ResultsService } from './results.service';

export { ExpertScoreService, PublicationService, RankingService, RecomputeScheduler, ResultsService };

/** The index engine's services: scores in, results recomputed set-wise, rankings out. */
export interface ResultServices {
  results: ResultsService;
  expertScores: ExpertScoreService;
  rankings: RankingService;
  /** Amending a published year (publication.service.ts). */
  publications: PublicationService;
  /** Background recomputation after survey responses and framework changes; started by bootstrap. */
  recompute: RecomputeScheduler;
}

export function createResultServices(
  db: DataSource, logger: Logger,
  deps: { units: UnitService; frameworks: FrameworkService; tallies: TallyRoller },
  /** RECOMPUTE_INTERVAL_MS (config.ts). */
  recomputeIntervalMs: number,
  /** The pool readers cannot exhaust: recomputation and publication run on it. */
  work: DataSource = db,
): ResultServices {
  const { units, frameworks } = deps;
  const results = new ResultsService(work, frameworks, deps.tallies, logger);
  const rankings = new RankingService(db, units);
  const recompute = new RecomputeScheduler(work, results, logger, recomputeIntervalMs);
  return {
    results,
    expertScores: new ExpertScoreService(db, units, frameworks, results, rankings, {
      // Scores stored, their recomputation failed: the scheduler takes it up on its next tick.
      onRecomputeFailed: (year, unitKind, error) => {
        logger.error('recomputation after submitExpertScores failed; the scheduler retries it', { year, unitKind, error: String((error as Error)?.stack ?? error) });
        recompute.markDirty(year, unitKind);
      },
    }),
    rankings,
    publications: new PublicationService(work, frameworks, results, rankings),
    recompute,
  };
}

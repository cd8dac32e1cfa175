import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import { rateLimit } from '../shared-state/rate-limits';
import type { SharedState } from '../shared-state';
import { SurveyIngestionService, type DirtyListener } from './ingestion.service';
import { KioskService } from './kiosk.service';
import { QuestionnaireCache } from './questionnaire-cache';
import { SatisfactionService } from './satisfaction.service';
import { TallyRoller, type RolledUpListener } from './tally-roller';

export { KioskService, SatisfactionService, SurveyIngestionService, TallyRoller };

/** Kiosks, survey ingestion and satisfaction statistics. */
export interface SurveyServices {
  kiosks: KioskService;
  surveys: SurveyIngestionService;
  satisfaction: SatisfactionService;
  /** The background roll-up of stored responses into the tallies. */
  tallies: TallyRoller;
}

type SurveyConfig = Pick<Config, 'kioskRatePerSecond' | 'kioskRateBurst' | 'questionnaireCacheMs' | 'tallyIntervalMs' | 'tallyBatchSize'>;

/**
 * `onAccepted` is told the year and unit kind of every accepted batch (the
 * index engine's markDirty); `onKioskRevoked` drops the kiosk from the
 * authentication cache (AuthService.forgetKiosk).
 */
export function createSurveyServices(
  db: DataSource, logger: Logger, config: SurveyConfig,
  hooks: { onAccepted?: DirtyListener; onRolledUp?: RolledUpListener; onKioskRevoked?: (kioskId: number) => void | Promise<void> } = {},
  /** The pool readers cannot exhaust: ingestion and the roll-up run on it. */
  work: DataSource = db,
  /** Several instances sharing Redis: the per-kiosk limit is counted there for all of them. */
  shared?: SharedState,
): SurveyServices {
  const tallies = new TallyRoller(work, logger, { intervalMs: config.tallyIntervalMs, batchSize: config.tallyBatchSize, onRolledUp: hooks.onRolledUp });
  const surveys = new SurveyIngestionService(work, new QuestionnaireCache(work, config.questionnaireCacheMs), {
    ratePerSecond: config.kioskRatePerSecond, rateBurst: config.kioskRateBurst, onAccepted: hooks.onAccepted,
    limiter: rateLimit(shared?.redis, 'kiosk', config.kioskRatePerSecond, config.kioskRateBurst),
  });
  return {
    kiosks: new KioskService(db, hooks.onKioskRevoked),
    surveys,
    satisfaction: new SatisfactionService(db, tallies),
    tallies,
  };
}

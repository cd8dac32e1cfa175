import type { DataSource } from 'typeorm';
import { AnalysisService } from '../analysis/analysis.service';
import { AnalysisWorker } from '../analysis/analysis-worker';
import { AssessmentService } from '../appraisal/assessment.service';
import { RoundWindowService } from '../appraisal/round-window.service';
import { AuditLogService } from '../audit/audit-log.service';
import { AuthService } from '../auth/auth.service';
import { type Config, configDefaults } from '../config/config';
import type { Logger } from '../config/logger';
import type { UnitKind } from '../entities/enums';
import { createDocumentServices, type DocumentServices } from '../documents';
import { createEvidenceServices, type EvidenceServices } from '../evidence';
import { createResultServices, type RecomputeScheduler, type ResultServices } from '../results';
import type { SharedState } from '../shared-state';
import { createSurveyServices, type SurveyServices } from '../survey';
import { FrameworkService } from './framework.service';
import { QuestionnaireService } from './questionnaire.service';
import { UnitService } from './unit.service';

/** Every service of the process, built once from the data source. */
export interface Services extends ResultServices, SurveyServices, EvidenceServices {
  auth: AuthService;
  units: UnitService;
  frameworks: FrameworkService;
  questionnaires: QuestionnaireService;
  /** Excel and CSV in and out (src/documents/). */
  documents: DocumentServices;
  /** What-if, sensitivity (its draws in a worker thread), year summaries (src/analysis/). */
  analysis: AnalysisService;
  /** The audit history's reader (src/audit/). */
  audit: AuditLogService;
  /** Round windows and a unit's assessment (src/appraisal/). */
  roundWindows: RoundWindowService;
  assessment: AssessmentService;
}

/**
 * `work` is the pool readers cannot exhaust (src/bootstrap.ts): kiosk
 * ingestion, token lookups, the survey roll-up and recomputation run on it;
 * everything else on `db`. Both default to the same data source; `config`
 * to every setting's default (config.ts).
 */
export function createServices(
  db: DataSource, logger: Logger, config: Config = configDefaults(), work: DataSource = db,
  /** Several instances sharing Redis (src/shared-state): kiosk revocations and the kiosks' rate limit. */
  shared?: SharedState,
): Services {
  const auth = new AuthService(work, logger, shared?.kioskRevocations);
  // Accepted and rolled-up survey responses, and changes of the map (units over
  // time), ask the index engine to recompute their year and kind (never
  // awaited); a revoked kiosk leaves the authentication cache at once.
  let recompute: RecomputeScheduler | undefined;
  const markDirty = (year: number, kind: UnitKind) => recompute?.markDirty(year, kind);
  const units = new UnitService(db, { onMapChanged: (cycles) => cycles.forEach((c) => markDirty(c.year, c.kind)) });
  const frameworks = new FrameworkService(db);
  const survey = createSurveyServices(db, logger, config, {
    onAccepted: markDirty,
    onRolledUp: markDirty,
    onKioskRevoked: (kioskId) => auth.forgetKiosk(kioskId),
  }, work, shared);
  const results = createResultServices(db, logger, { units, frameworks, tallies: survey.tallies }, config.recomputeIntervalMs, work);
  recompute = results.recompute;
  const documents = createDocumentServices(db, logger, { frameworks, results: results.results, recompute: results.recompute });
  const analysis = new AnalysisService(db, units, frameworks, results.results, new AnalysisWorker(), survey.tallies);
  return { auth, units, frameworks, questionnaires: new QuestionnaireService(db), ...createEvidenceServices(db), ...results, ...survey, documents, analysis, audit: new AuditLogService(db),
    roundWindows: new RoundWindowService(db, units, frameworks), assessment: new AssessmentService(db),
  };
}

import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import type { RecomputeScheduler, ResultsService } from '../results';
import type { FrameworkService } from '../services/framework.service';
import { AppraisalImportService, type AuditHook } from './appraisal-import';
import { BreakdownReader } from './breakdown';

export { createDocumentsHandler, type DocumentsHandler } from './http';

/** Excel and CSV in and out: what the documents need beyond GraphQL. */
export interface DocumentServices {
  breakdowns: BreakdownReader;
  appraisalImport: AppraisalImportService;
}

export function createDocumentServices(
  db: DataSource, logger: Logger,
  deps: { frameworks: FrameworkService; results: ResultsService; recompute: RecomputeScheduler },
  audit?: AuditHook,
): DocumentServices {
  return {
    breakdowns: new BreakdownReader(db, deps.frameworks),
    appraisalImport: new AppraisalImportService(db, deps.frameworks, deps.results, deps.recompute, logger, audit),
  };
}

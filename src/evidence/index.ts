import type { DataSource } from 'typeorm';
import { EvidenceService } from './evidence.service';
import { ExplanationService } from './explanation.service';

/**
 * Evidence files and explanation requests (issue 14; API.md "Assessment,
 * notes and explanation requests", "Evidence files"): the services, and
 * POST /evidence, GET /evidence/{id} (http.ts).
 */
export interface EvidenceServices {
  evidence: EvidenceService;
  explanations: ExplanationService;
}

export function createEvidenceServices(db: DataSource): EvidenceServices {
  return { evidence: new EvidenceService(db), explanations: new ExplanationService(db) };
}

export { createEvidenceHandler, type EvidenceHandler } from './http';
export { EvidenceService, type EvidenceRow } from './evidence.service';
export { ExplanationService, ExplanationStatus, type ExplanationRow } from './explanation.service';

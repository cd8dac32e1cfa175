import { ApiToken } from './api-token.entity';
import { AuditEntry } from './audit-entry.entity';
import { Band } from './band.entity';
import { CriterionQuestion } from './criterion-question.entity';
import { Criterion } from './criterion.entity';
import { Cycle } from './cycle.entity';
import { DomainResult } from './domain-result.entity';
import { Evidence, EvidenceBlob, EvidenceBlobChunk } from './evidence.entity';
import { ExpertScore } from './expert-score.entity';
import { ExplanationRequest, ExplanationRequestEvidence } from './explanation-request.entity';
import { IndexResult } from './index-result.entity';
import { KioskAlert, KioskAlertResponse, KioskAlertScan } from './kiosk-alert.entity';
import { KioskAssignment } from './kiosk-assignment.entity';
import { Kiosk } from './kiosk.entity';
import { Publication } from './publication.entity';
import { PublishedDomainResult, PublishedResult } from './published-result.entity';
import { Question } from './question.entity';
import { ResultState } from './result-state.entity';
import { RoundWindow, RoundWindowExtension } from './round-window.entity';
import { ScoreAdjustment } from './score-adjustment.entity';
import { SurveyAnswer } from './survey-answer.entity';
import { SurveyElementTally } from './survey-element-tally.entity';
import { SurveyQuestionSetTally } from './survey-question-set-tally.entity';
import { SurveyQuestionTally } from './survey-question-tally.entity';
import { SurveyResponseTally } from './survey-response-tally.entity';
import { SurveyTally } from './survey-tally.entity';
import { SurveyResponse } from './survey-response.entity';
import { UnitLineage } from './unit-lineage.entity';
import { UnitName } from './unit-name.entity';
import { UnitParent } from './unit-parent.entity';
import { Unit } from './unit.entity';

export {
  ApiToken, Band, Criterion, CriterionQuestion, Cycle, DomainResult, ExpertScore, IndexResult, Kiosk,
  Question, ResultState, ScoreAdjustment, SurveyAnswer, SurveyResponse, Unit,
};

export { KioskAssignment, UnitLineage, UnitName, UnitParent };

export { KioskAlert, KioskAlertResponse, KioskAlertScan };

export { RoundWindow, RoundWindowExtension };

export { AuditEntry };

export { Publication, PublishedDomainResult, PublishedResult };

export { Evidence, EvidenceBlob, EvidenceBlobChunk, ExplanationRequest, ExplanationRequestEvidence };

export { SurveyElementTally, SurveyQuestionSetTally, SurveyQuestionTally, SurveyResponseTally, SurveyTally };

export const entities = [
  ApiToken, Band, Criterion, CriterionQuestion, Cycle, DomainResult, ExpertScore, IndexResult, Kiosk,
  Question, ResultState, ScoreAdjustment, SurveyAnswer, SurveyResponse, Unit,
  SurveyElementTally, SurveyQuestionSetTally, SurveyQuestionTally, SurveyResponseTally, SurveyTally,
  KioskAssignment, UnitLineage, UnitName, UnitParent,
  KioskAlert, KioskAlertResponse, KioskAlertScan,
  RoundWindow, RoundWindowExtension,
  Evidence, EvidenceBlob, EvidenceBlobChunk, ExplanationRequest, ExplanationRequestEvidence,
  AuditEntry,
  Publication, PublishedResult, PublishedDomainResult,
];

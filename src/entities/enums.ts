/** The enumerations of API.md, shared by entities, GraphQL types and services. */
export enum UnitKind { DEPARTMENT = 'DEPARTMENT', DISTRICT = 'DISTRICT', COMMUNE = 'COMMUNE' }
export enum CriterionSource { EXPERT = 'EXPERT', SURVEY = 'SURVEY' }
export enum ScoreRound { SELF_ASSESSMENT = 'SELF_ASSESSMENT', APPRAISAL = 'APPRAISAL', REAPPRAISAL = 'REAPPRAISAL' }
export enum PanelAggregation { MEAN = 'MEAN', MEDIAN = 'MEDIAN' }
export enum CycleStatus { DRAFT = 'DRAFT', OPEN = 'OPEN', PUBLISHED = 'PUBLISHED' }
export enum ServiceElement { ACCESS = 'ACCESS', PROCEDURE = 'PROCEDURE', CIVIL_SERVANT = 'CIVIL_SERVANT', RESULT = 'RESULT', FEEDBACK = 'FEEDBACK' }
export enum SubmissionStatus { ACCEPTED = 'ACCEPTED', DUPLICATE = 'DUPLICATE', REJECTED = 'REJECTED' }
export enum Role { ADMIN = 'ADMIN', APPRAISER = 'APPRAISER', ANALYST = 'ANALYST', KIOSK = 'KIOSK', UNIT = 'UNIT' }

export { auditActorOf, currentAuditActor, recordAudit, withAuditActor } from './audit';
export type { AuditActor, AuditChange } from './audit';

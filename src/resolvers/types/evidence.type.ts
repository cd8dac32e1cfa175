import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { EvidenceRow } from '../../evidence/evidence.service';
import { ExplanationStatus, type ExplanationRow } from '../../evidence/explanation.service';

registerEnumType(ExplanationStatus, {
  name: 'ExplanationStatus',
  description: 'CLOSED once resolved, else ANSWERED once answered, else OVERDUE past its due date, else OPEN (read at the moment of the request).',
});

export { ExplanationStatus };

@ObjectType('Evidence', { description: 'An evidence file ("tài liệu kiểm chứng") of a unit for a leaf; its bytes at GET /evidence/{id}.' })
export class EvidenceType {
  @Field(() => ID) id: string;
  @Field() criterionCode: string;
  @Field({ description: 'The name it was uploaded with, NFC-normalised.' }) fileName: string;
  @Field({ description: 'What its bytes are (judged by the content, not the name).' }) contentType: string;
  @Field(() => Int) bytes: number;
  @Field({ description: 'SHA-256 of the bytes, lower-case hex.' }) sha256: string;
  @Field(() => String, { nullable: true }) note: string | null;
  @Field(() => DateTimeResolver) uploadedAt: Date;
  @Field({ description: 'The name of the token that uploaded it.' }) uploadedBy: string;
}

@ObjectType('ExplanationRequest', { description: 'An appraiser\'s request that a unit explain ("giải trình") a leaf by a due date.' })
export class ExplanationRequestType {
  @Field(() => ID) id: string;
  /** Resolved by ExplanationRequestResolver.unit. */
  unitId: number;
  @Field(() => Int) year: number;
  @Field() criterionCode: string;
  @Field() question: string;
  @Field(() => DateTimeResolver) dueAt: Date;
  @Field(() => ExplanationStatus) status: ExplanationStatus;
  @Field(() => String, { nullable: true }) answer: string | null;
  @Field(() => DateTimeResolver, { nullable: true }) answeredAt: Date | null;
  @Field(() => [EvidenceType], { description: 'The evidence files the answer points to.' }) evidence: EvidenceType[];
  @Field(() => String, { nullable: true }) resolution: string | null;
  @Field({ description: 'The name of the token that asked.' }) requestedBy: string;
}

export function toEvidenceType(e: EvidenceRow): EvidenceType {
  return {
    id: e.id, criterionCode: e.criterionCode, fileName: e.fileName, contentType: e.contentType, bytes: Number(e.bytes),
    sha256: e.sha256, note: e.note, uploadedAt: new Date(e.uploadedAt), uploadedBy: e.uploadedBy,
  };
}

export function toExplanationRequestType(r: ExplanationRow): ExplanationRequestType {
  return {
    id: r.id, unitId: r.unitId, year: r.year, criterionCode: r.criterionCode, question: r.question, dueAt: new Date(r.dueAt),
    status: r.status, answer: r.answer, answeredAt: r.answeredAt === null ? null : new Date(r.answeredAt),
    evidence: r.evidence.map(toEvidenceType), resolution: r.resolution, requestedBy: r.requestedBy,
  };
}

import { Check, Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Criterion } from './criterion.entity';
import { Unit } from './unit.entity';

/**
 * Evidence files ("tài liệu kiểm chứng", API.md "Evidence files") are kept
 * in PostgreSQL, so that one backup holds everything. The bytes are stored
 * once per content (content-addressed by SHA-256) in chunks of at most
 * 256 KiB, read and written one chunk at a time; `evidence` is one upload
 * of those bytes for one unit's leaf of one year.
 */
@Entity({ name: 'evidence_blob' })
@Check('ck_evidence_blob_sha256', `octet_length("sha256") = 32`)
@Check('ck_evidence_blob_size', `"bytes" >= 0 AND "chunks" >= 0`)
export class EvidenceBlob {
  @PrimaryColumn('bytea', { name: 'sha256', primaryKeyConstraintName: 'pk_evidence_blob' })
  sha256: Buffer;

  @Column('bigint', { name: 'bytes' })
  bytes: string;

  @Column('int', { name: 'chunks' })
  chunks: number;

  /** What the bytes were judged to be (file-type), never what the client said. */
  @Column('varchar', { name: 'content_type', length: 128 })
  contentType: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}

/** The bytes of a blob, in order (`seq` from 0). */
@Entity({ name: 'evidence_blob_chunk' })
@Check('ck_evidence_blob_chunk_seq', `"seq" >= 0`)
export class EvidenceBlobChunk {
  @PrimaryColumn('bytea', { name: 'sha256', primaryKeyConstraintName: 'pk_evidence_blob_chunk' })
  sha256: Buffer;

  @PrimaryColumn('int', { name: 'seq', primaryKeyConstraintName: 'pk_evidence_blob_chunk' })
  seq: number;

  @ManyToOne(() => EvidenceBlob, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sha256', foreignKeyConstraintName: 'fk_evidence_blob_chunk_blob' })
  blob?: EvidenceBlob;

  @Column('bytea', { name: 'data' })
  data: Buffer;
}

/** One evidence file of a unit for one leaf of a year's framework. The same bytes for the same leaf are one row. */
@Entity({ name: 'evidence' })
@Index('uq_evidence_content', ['unitId', 'criterionId', 'sha256'], { unique: true })
@Index('ix_evidence_unit_year', ['unitId', 'year'])
@Check('ck_evidence_year', `"year" BETWEEN 2000 AND 2100`)
export class Evidence {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_evidence' })
  id: number;

  /** What the API shows as the file's ID (opaque, as every ID). */
  @Index('uq_evidence_public_id', { unique: true })
  @Column('uuid', { name: 'public_id' })
  @Generated('uuid')
  publicId: string;

  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_evidence_unit' })
  unit?: Unit;

  @Column('int', { name: 'year' })
  year: number;

  /** The leaf; a framework redefined without it takes its evidence along (as its scores). */
  @Index('ix_evidence_criterion')
  @Column('int', { name: 'criterion_id' })
  criterionId: number;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'criterion_id', foreignKeyConstraintName: 'fk_evidence_criterion' })
  criterion?: Criterion;

  @Index('ix_evidence_sha256')
  @Column('bytea', { name: 'sha256' })
  sha256: Buffer;

  @ManyToOne(() => EvidenceBlob, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'sha256', foreignKeyConstraintName: 'fk_evidence_blob' })
  blob?: EvidenceBlob;

  @Column('bigint', { name: 'bytes' })
  bytes: string;

  @Column('varchar', { name: 'content_type', length: 128 })
  contentType: string;

  /** The name the client gave, NFC-normalised; shown and sent back, never used as a path. */
  @Column('text', { name: 'file_name' })
  fileName: string;

  @Column('text', { name: 'note', nullable: true })
  note: string | null;

  @Column('timestamptz', { name: 'uploaded_at', default: () => 'now()' })
  uploadedAt: Date;

  /** The token's name of who uploaded it. */
  @Column('text', { name: 'uploaded_by' })
  uploadedBy: string;
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Evidence files and explanation requests (issue 14): the bytes once per
 * content in chunks, each upload of them for a unit's leaf, the requests
 * and the files their answers point to.
 */
export class EvidenceAndExplanations1795530000000 implements MigrationInterface {
  name = 'EvidenceAndExplanations1795530000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TABLE "evidence_blob" ("sha256" bytea NOT NULL, "bytes" bigint NOT NULL, "chunks" integer NOT NULL, "content_type" character varying(128) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_evidence_blob_size" CHECK ("bytes" >= 0 AND "chunks" >= 0), CONSTRAINT "ck_evidence_blob_sha256" CHECK (octet_length("sha256") = 32), CONSTRAINT "pk_evidence_blob" PRIMARY KEY ("sha256"))`);
    await q(`CREATE TABLE "evidence_blob_chunk" ("sha256" bytea NOT NULL, "seq" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "ck_evidence_blob_chunk_seq" CHECK ("seq" >= 0), CONSTRAINT "pk_evidence_blob_chunk" PRIMARY KEY ("sha256", "seq"))`);
    await q(`ALTER TABLE "evidence_blob_chunk" ADD CONSTRAINT "fk_evidence_blob_chunk_blob" FOREIGN KEY ("sha256") REFERENCES "evidence_blob"("sha256") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // The chunks are read one at a time and already compressed (PDF, JPEG, PNG, zip-based office files): no TOAST compression.
    await q(`ALTER TABLE "evidence_blob_chunk" ALTER COLUMN "data" SET STORAGE EXTERNAL`);

    await q(`CREATE TABLE "evidence" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "public_id" uuid NOT NULL DEFAULT gen_random_uuid(), "unit_id" integer NOT NULL, "year" integer NOT NULL, "criterion_id" integer NOT NULL, "sha256" bytea NOT NULL, "bytes" bigint NOT NULL, "content_type" character varying(128) NOT NULL, "file_name" text NOT NULL, "note" text, "uploaded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "uploaded_by" text NOT NULL, CONSTRAINT "ck_evidence_year" CHECK ("year" BETWEEN 2000 AND 2100), CONSTRAINT "pk_evidence" PRIMARY KEY ("id"))`);
    await q(`CREATE UNIQUE INDEX "uq_evidence_public_id" ON "evidence" ("public_id")`);
    await q(`CREATE UNIQUE INDEX "uq_evidence_content" ON "evidence" ("unit_id", "criterion_id", "sha256")`);
    await q(`CREATE INDEX "ix_evidence_unit_year" ON "evidence" ("unit_id", "year")`);
    await q(`CREATE INDEX "ix_evidence_criterion" ON "evidence" ("criterion_id")`);
    await q(`CREATE INDEX "ix_evidence_sha256" ON "evidence" ("sha256")`);
    await q(`ALTER TABLE "evidence" ADD CONSTRAINT "fk_evidence_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "evidence" ADD CONSTRAINT "fk_evidence_criterion" FOREIGN KEY ("criterion_id") REFERENCES "criterion"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "evidence" ADD CONSTRAINT "fk_evidence_blob" FOREIGN KEY ("sha256") REFERENCES "evidence_blob"("sha256") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "explanation_request" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "public_id" uuid NOT NULL DEFAULT gen_random_uuid(), "unit_id" integer NOT NULL, "year" integer NOT NULL, "criterion_id" integer NOT NULL, "question" text NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "requested_by" text NOT NULL, "answer" text, "answered_at" TIMESTAMP WITH TIME ZONE, "answered_by" text, "resolution" text, "closed_at" TIMESTAMP WITH TIME ZONE, "closed_by" text, CONSTRAINT "ck_explanation_request_closed" CHECK (("resolution" IS NULL) = ("closed_at" IS NULL)), CONSTRAINT "ck_explanation_request_answer" CHECK (("answer" IS NULL) = ("answered_at" IS NULL)), CONSTRAINT "ck_explanation_request_year" CHECK ("year" BETWEEN 2000 AND 2100), CONSTRAINT "pk_explanation_request" PRIMARY KEY ("id"))`);
    await q(`CREATE UNIQUE INDEX "uq_explanation_request_public_id" ON "explanation_request" ("public_id")`);
    await q(`CREATE INDEX "ix_explanation_request_unit_year" ON "explanation_request" ("unit_id", "year")`);
    await q(`CREATE INDEX "ix_explanation_request_year" ON "explanation_request" ("year")`);
    await q(`CREATE INDEX "ix_explanation_request_criterion" ON "explanation_request" ("criterion_id")`);
    await q(`ALTER TABLE "explanation_request" ADD CONSTRAINT "fk_explanation_request_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "explanation_request" ADD CONSTRAINT "fk_explanation_request_criterion" FOREIGN KEY ("criterion_id") REFERENCES "criterion"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "explanation_request_evidence" ("request_id" integer NOT NULL, "evidence_id" integer NOT NULL, CONSTRAINT "pk_explanation_request_evidence" PRIMARY KEY ("request_id", "evidence_id"))`);
    await q(`CREATE INDEX "ix_explanation_request_evidence_evidence" ON "explanation_request_evidence" ("evidence_id")`);
    await q(`ALTER TABLE "explanation_request_evidence" ADD CONSTRAINT "fk_explanation_request_evidence_request" FOREIGN KEY ("request_id") REFERENCES "explanation_request"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "explanation_request_evidence" ADD CONSTRAINT "fk_explanation_request_evidence_evidence" FOREIGN KEY ("evidence_id") REFERENCES "evidence"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "explanation_request_evidence"`);
    await queryRunner.query(`DROP TABLE "explanation_request"`);
    await queryRunner.query(`DROP TABLE "evidence"`);
    await queryRunner.query(`DROP TABLE "evidence_blob_chunk"`);
    await queryRunner.query(`DROP TABLE "evidence_blob"`);
  }
}

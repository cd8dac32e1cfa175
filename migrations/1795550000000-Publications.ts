import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Amending a published year (issue 14): each cycle's publications (version
 * 1, then each amendment) and an archive of every published version's
 * results. Cycles published before this migration get their version 1,
 * dated by their published_at, and their stored results (frozen since
 * publication) as that version's archive.
 */
export class Publications1795550000000 implements MigrationInterface {
  name = 'Publications1795550000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TABLE "publication" ("cycle_id" integer NOT NULL, "version" integer NOT NULL, "reason" text, "decision_ref" character varying(200), "include_late_responses" boolean NOT NULL DEFAULT false, "opened_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_publication_version" CHECK ("version" >= 1), CONSTRAINT "pk_publication" PRIMARY KEY ("cycle_id", "version"))`);
    await q(`CREATE UNIQUE INDEX "uq_publication_amending" ON "publication" ("cycle_id") WHERE "published_at" IS NULL`);
    await q(`CREATE TABLE "published_result" ("cycle_id" integer NOT NULL, "version" integer NOT NULL, "unit_id" integer NOT NULL, "score" numeric(5,2) NOT NULL, "expert_score" numeric(5,2), "survey_score" numeric(5,2), "earned_points" numeric NOT NULL, "max_points" numeric NOT NULL, "rank" integer NOT NULL, "parent_rank" integer, "position" integer NOT NULL, "parent_position" integer, "previous_rank" integer, "band_code" character varying(64), "responses" integer NOT NULL, "survey_insufficient" boolean NOT NULL, "provisional" boolean NOT NULL, "published" boolean NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_published_result" PRIMARY KEY ("cycle_id", "version", "unit_id"))`);
    await q(`CREATE INDEX "ix_published_result_unit" ON "published_result" ("unit_id")`);
    await q(`CREATE INDEX "ix_published_result_position" ON "published_result" ("cycle_id", "version", "position")`);
    await q(`CREATE TABLE "published_domain_result" ("cycle_id" integer NOT NULL, "version" integer NOT NULL, "unit_id" integer NOT NULL, "domain_id" integer NOT NULL, "score" numeric(5,2), "earned_points" numeric NOT NULL, "max_points" numeric NOT NULL, "rank" integer, "position" integer NOT NULL, CONSTRAINT "pk_published_domain_result" PRIMARY KEY ("cycle_id", "version", "unit_id", "domain_id"))`);
    await q(`CREATE INDEX "ix_published_domain_result_position" ON "published_domain_result" ("cycle_id", "version", "domain_id", "position")`);
    await q(`ALTER TABLE "publication" ADD CONSTRAINT "fk_publication_cycle" FOREIGN KEY ("cycle_id") REFERENCES "cycle"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "published_result" ADD CONSTRAINT "fk_published_result_publication" FOREIGN KEY ("cycle_id", "version") REFERENCES "publication"("cycle_id","version") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "published_result" ADD CONSTRAINT "fk_published_result_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "published_domain_result" ADD CONSTRAINT "fk_published_domain_result_result" FOREIGN KEY ("cycle_id", "version", "unit_id") REFERENCES "published_result"("cycle_id","version","unit_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "published_domain_result" ADD CONSTRAINT "fk_published_domain_result_domain" FOREIGN KEY ("domain_id") REFERENCES "criterion"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    // Version 1 of every year already published, and its results as they were frozen.
    await q(`INSERT INTO "publication" ("cycle_id", "version", "opened_at", "published_at")
             SELECT id, 1, coalesce(published_at, updated_at), coalesce(published_at, updated_at) FROM "cycle" WHERE status = 'PUBLISHED'`);
    await q(`INSERT INTO "published_result" ("cycle_id", "version", "unit_id", "score", "expert_score", "survey_score", "earned_points", "max_points", "rank", "parent_rank", "position", "parent_position", "previous_rank", "band_code", "responses", "survey_insufficient", "provisional", "published", "computed_at")
             SELECT ir.cycle_id, 1, ir.unit_id, ir.score, ir.expert_score, ir.survey_score, ir.earned_points, ir.max_points, ir.rank, ir.parent_rank, ir.position, ir.parent_position, ir.previous_rank, ir.band_code, ir.responses, ir.survey_insufficient, ir.provisional, ir.published, ir.computed_at
               FROM "index_result" ir JOIN "cycle" c ON c.id = ir.cycle_id WHERE c.status = 'PUBLISHED'`);
    await q(`INSERT INTO "published_domain_result" ("cycle_id", "version", "unit_id", "domain_id", "score", "earned_points", "max_points", "rank", "position")
             SELECT dr.cycle_id, 1, dr.unit_id, dr.domain_id, dr.score, dr.earned_points, dr.max_points, dr.rank, dr.position
               FROM "domain_result" dr JOIN "cycle" c ON c.id = dr.cycle_id WHERE c.status = 'PUBLISHED'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "published_domain_result"`);
    await queryRunner.query(`DROP TABLE "published_result"`);
    await queryRunner.query(`DROP TABLE "publication"`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Round windows (issue 14): when each round of a cycle takes scores, and
 * later closes for single units. Expert scores say when and by whom their
 * value was typed (Unit.assessment); scores stored before say their
 * panelist typed them when they were last changed.
 */
export class RoundWindows1795520000000 implements MigrationInterface {
  name = 'RoundWindows1795520000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TABLE "round_window" ("cycle_id" integer NOT NULL, "round" "public"."score_round" NOT NULL, "opens_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closes_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_round_window_range" CHECK ("opens_at" < "closes_at"), CONSTRAINT "pk_round_window" PRIMARY KEY ("cycle_id", "round"))`);
    await q(`ALTER TABLE "round_window" ADD CONSTRAINT "fk_round_window_cycle" FOREIGN KEY ("cycle_id") REFERENCES "cycle"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`CREATE TABLE "round_window_extension" ("cycle_id" integer NOT NULL, "round" "public"."score_round" NOT NULL, "unit_id" integer NOT NULL, "closes_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_round_window_extension" PRIMARY KEY ("cycle_id", "round", "unit_id"))`);
    await q(`ALTER TABLE "round_window_extension" ADD CONSTRAINT "fk_round_window_extension_cycle" FOREIGN KEY ("cycle_id") REFERENCES "cycle"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "round_window_extension" ADD CONSTRAINT "fk_round_window_extension_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await q(`ALTER TABLE "expert_score" ADD "entered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    await q(`ALTER TABLE "expert_score" ADD "entered_by" text`);
    await q(`UPDATE "expert_score" SET "entered_at" = "updated_at", "entered_by" = "panelist"`);
    await q(`ALTER TABLE "expert_score" ALTER COLUMN "entered_by" SET NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "expert_score" DROP COLUMN "entered_by"`);
    await queryRunner.query(`ALTER TABLE "expert_score" DROP COLUMN "entered_at"`);
    await queryRunner.query(`DROP TABLE "round_window_extension"`);
    await queryRunner.query(`DROP TABLE "round_window"`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Survey roll-ups move off the kiosk's request path: a response is stored
 * with `tallied = false` and a background roll-up (src/survey/tally-roller.ts)
 * adds it to every tally and flips the flag in one statement, exactly once.
 * Two roll-ups are added for the index engine:
 * - survey_question_tally: answers per value per year, unit, late flag and
 *   question (what SURVEY leaves earn from);
 * - survey_question_set_tally: responses per year, unit, late flag and the
 *   sorted set of questions they answered (the minResponses rule counts
 *   responses that answered any of a leaf's questions).
 * Responses already stored were tallied when stored; they are marked so, and
 * the two new tables are filled from them once.
 */
export class TallyRollUp1795340000000 implements MigrationInterface {
  name = 'TallyRollUp1795340000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "survey_response" ADD "tallied" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`UPDATE "survey_response" SET "tallied" = true`);
    await queryRunner.query(`CREATE INDEX "ix_survey_response_untallied" ON "survey_response" ("id") WHERE NOT "tallied"`);

    await queryRunner.query(`CREATE TABLE "survey_question_tally" ("year" integer NOT NULL, "unit_id" integer NOT NULL, "late" boolean NOT NULL, "question_id" integer NOT NULL, "answers" integer NOT NULL, "n1" integer NOT NULL DEFAULT '0', "n2" integer NOT NULL DEFAULT '0', "n3" integer NOT NULL DEFAULT '0', "n4" integer NOT NULL DEFAULT '0', "n5" integer NOT NULL DEFAULT '0', CONSTRAINT "ck_survey_question_tally_counts" CHECK ("answers" = "n1" + "n2" + "n3" + "n4" + "n5"), CONSTRAINT "pk_survey_question_tally" PRIMARY KEY ("year", "unit_id", "late", "question_id"))`);
    await queryRunner.query(`ALTER TABLE "survey_question_tally" ADD CONSTRAINT "fk_survey_question_tally_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_question_tally" ADD CONSTRAINT "fk_survey_question_tally_question" FOREIGN KEY ("question_id") REFERENCES "question"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE TABLE "survey_question_set_tally" ("year" integer NOT NULL, "unit_id" integer NOT NULL, "late" boolean NOT NULL, "question_ids" integer array NOT NULL, "responses" integer NOT NULL, CONSTRAINT "pk_survey_question_set_tally" PRIMARY KEY ("year", "unit_id", "late", "question_ids"))`);
    await queryRunner.query(`ALTER TABLE "survey_question_set_tally" ADD CONSTRAINT "fk_survey_question_set_tally_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await queryRunner.query(`INSERT INTO survey_question_tally (year, unit_id, late, question_id, answers, n1, n2, n3, n4, n5)
      SELECT r.year, r.unit_id, r.late, a.question_id, count(*),
             count(*) FILTER (WHERE a.value = 1), count(*) FILTER (WHERE a.value = 2), count(*) FILTER (WHERE a.value = 3),
             count(*) FILTER (WHERE a.value = 4), count(*) FILTER (WHERE a.value = 5)
        FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY 1, 2, 3, 4`);
    await queryRunner.query(`INSERT INTO survey_question_set_tally (year, unit_id, late, question_ids, responses)
      SELECT year, unit_id, late, question_ids, count(*)
        FROM (SELECT r.year, r.unit_id, r.late, array_agg(a.question_id ORDER BY a.question_id) AS question_ids
                FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY r.id) s
       GROUP BY 1, 2, 3, 4`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "survey_question_set_tally"`);
    await queryRunner.query(`DROP TABLE "survey_question_tally"`);
    await queryRunner.query(`DROP INDEX "ix_survey_response_untallied"`);
    await queryRunner.query(`ALTER TABLE "survey_response" DROP COLUMN "tallied"`);
  }
}

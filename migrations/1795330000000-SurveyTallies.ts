import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Roll-ups of the kiosk surveys, maintained by ingestion in the statement
 * that stores each response, so that satisfaction statistics never scan
 * survey_answer:
 * - survey_tally: answers per value (n1…n5) per year, unit, kiosk,
 *   Vietnam-local day, procedure ('' for none), late flag and question;
 * - survey_response_tally: responses per year, unit, kiosk, day, procedure, late;
 * - survey_element_tally: responses that answered at least one question of a
 *   service element, per the same key and element.
 * Existing responses are rolled up here once.
 */
export class SurveyTallies1795330000000 implements MigrationInterface {
  name = 'SurveyTallies1795330000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "survey_element_tally" ("year" integer NOT NULL, "unit_id" integer NOT NULL, "kiosk_id" integer NOT NULL, "day" date NOT NULL, "procedure_code" character varying(64) NOT NULL, "late" boolean NOT NULL, "element" "public"."service_element" NOT NULL, "responses" integer NOT NULL, CONSTRAINT "pk_survey_element_tally" PRIMARY KEY ("year", "unit_id", "kiosk_id", "day", "procedure_code", "late", "element"))`);
    await queryRunner.query(`CREATE TABLE "survey_response_tally" ("year" integer NOT NULL, "unit_id" integer NOT NULL, "kiosk_id" integer NOT NULL, "day" date NOT NULL, "procedure_code" character varying(64) NOT NULL, "late" boolean NOT NULL, "responses" integer NOT NULL, CONSTRAINT "pk_survey_response_tally" PRIMARY KEY ("year", "unit_id", "kiosk_id", "day", "procedure_code", "late"))`);
    await queryRunner.query(`CREATE TABLE "survey_tally" ("year" integer NOT NULL, "unit_id" integer NOT NULL, "kiosk_id" integer NOT NULL, "day" date NOT NULL, "procedure_code" character varying(64) NOT NULL, "late" boolean NOT NULL, "question_id" integer NOT NULL, "answers" integer NOT NULL, "n1" integer NOT NULL DEFAULT '0', "n2" integer NOT NULL DEFAULT '0', "n3" integer NOT NULL DEFAULT '0', "n4" integer NOT NULL DEFAULT '0', "n5" integer NOT NULL DEFAULT '0', CONSTRAINT "ck_survey_tally_counts" CHECK ("answers" = "n1" + "n2" + "n3" + "n4" + "n5"), CONSTRAINT "pk_survey_tally" PRIMARY KEY ("year", "unit_id", "kiosk_id", "day", "procedure_code", "late", "question_id"))`);
    await queryRunner.query(`ALTER TABLE "survey_element_tally" ADD CONSTRAINT "fk_survey_element_tally_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_element_tally" ADD CONSTRAINT "fk_survey_element_tally_kiosk" FOREIGN KEY ("kiosk_id") REFERENCES "kiosk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_response_tally" ADD CONSTRAINT "fk_survey_response_tally_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_response_tally" ADD CONSTRAINT "fk_survey_response_tally_kiosk" FOREIGN KEY ("kiosk_id") REFERENCES "kiosk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_tally" ADD CONSTRAINT "fk_survey_tally_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_tally" ADD CONSTRAINT "fk_survey_tally_kiosk" FOREIGN KEY ("kiosk_id") REFERENCES "kiosk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "survey_tally" ADD CONSTRAINT "fk_survey_tally_question" FOREIGN KEY ("question_id") REFERENCES "question"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Roll up what is already stored.
    const day = `(r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date`;
    await queryRunner.query(`INSERT INTO survey_tally (year, unit_id, kiosk_id, day, procedure_code, late, question_id, answers, n1, n2, n3, n4, n5)
      SELECT r.year, r.unit_id, r.kiosk_id, ${day}, coalesce(r.procedure_code, ''), r.late, a.question_id, count(*),
             count(*) FILTER (WHERE a.value = 1), count(*) FILTER (WHERE a.value = 2), count(*) FILTER (WHERE a.value = 3),
             count(*) FILTER (WHERE a.value = 4), count(*) FILTER (WHERE a.value = 5)
        FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY 1, 2, 3, 4, 5, 6, 7`);
    await queryRunner.query(`INSERT INTO survey_response_tally (year, unit_id, kiosk_id, day, procedure_code, late, responses)
      SELECT r.year, r.unit_id, r.kiosk_id, ${day}, coalesce(r.procedure_code, ''), r.late, count(*)
        FROM survey_response r GROUP BY 1, 2, 3, 4, 5, 6`);
    await queryRunner.query(`INSERT INTO survey_element_tally (year, unit_id, kiosk_id, day, procedure_code, late, element, responses)
      SELECT r.year, r.unit_id, r.kiosk_id, ${day}, coalesce(r.procedure_code, ''), r.late, q.element, count(DISTINCT r.id)
        FROM survey_response r JOIN survey_answer a ON a.response_id = r.id JOIN question q ON q.id = a.question_id
       GROUP BY 1, 2, 3, 4, 5, 6, 7`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "survey_tally"`);
    await queryRunner.query(`DROP TABLE "survey_response_tally"`);
    await queryRunner.query(`DROP TABLE "survey_element_tally"`);
  }
}

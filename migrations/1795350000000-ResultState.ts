import type { MigrationInterface, QueryRunner } from 'typeorm';

/** result_state: a fresh version token per write of a cycle's results (see ResultsService.write). */
export class ResultState1795350000000 implements MigrationInterface {
  name = 'ResultState1795350000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "result_state" ("cycle_id" integer NOT NULL, "version" uuid NOT NULL, "written_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "REL_result_state_cycle" UNIQUE ("cycle_id"), CONSTRAINT "pk_result_state" PRIMARY KEY ("cycle_id"))`);
    await queryRunner.query(`ALTER TABLE "result_state" ADD CONSTRAINT "fk_result_state_cycle" FOREIGN KEY ("cycle_id") REFERENCES "cycle"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "result_state"`);
  }
}

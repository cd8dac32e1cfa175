import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored display positions of the rankings: the order the index method gives
 * (rounded score descending, then Vietnamese name, then code), so that pages
 * are read by keyset on one integer and never re-sorted in SQL with a
 * collation that could disagree with the method's.
 */
export class ResultPositions1795320000000 implements MigrationInterface {
  name = 'ResultPositions1795320000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "index_result" ADD "position" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "index_result" ADD "parent_position" integer`);
    await queryRunner.query(`ALTER TABLE "domain_result" ADD "position" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`CREATE INDEX "ix_index_result_position" ON "index_result" ("cycle_id", "position")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_index_result_position"`);
    await queryRunner.query(`ALTER TABLE "domain_result" DROP COLUMN "position"`);
    await queryRunner.query(`ALTER TABLE "index_result" DROP COLUMN "parent_position"`);
    await queryRunner.query(`ALTER TABLE "index_result" DROP COLUMN "position"`);
  }
}

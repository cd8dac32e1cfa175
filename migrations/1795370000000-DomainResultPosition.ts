import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A domain's ranking read a page at a time: the index on (domain, stored
 * position) serves its order and keyset, as ix_index_result_position does
 * for the overall ranking (a domain belongs to one cycle).
 */
export class DomainResultPosition1795370000000 implements MigrationInterface {
  name = 'DomainResultPosition1795370000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_domain_result_position" ON "domain_result" ("domain_id", "position")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_domain_result_position"`);
  }
}

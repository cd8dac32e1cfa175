import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * domain_result references its unit's index_result (cycle_id, unit_id)
 * instead of cycle and unit separately: one foreign-key check per inserted
 * row instead of two, and deleting a unit or a cycle still cascades.
 */
export class DomainResultKey1795360000000 implements MigrationInterface {
  name = 'DomainResultKey1795360000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "domain_result" DROP CONSTRAINT "fk_domain_result_cycle"`);
    await queryRunner.query(`ALTER TABLE "domain_result" DROP CONSTRAINT "fk_domain_result_unit"`);
    await queryRunner.query(`ALTER TABLE "domain_result" ADD CONSTRAINT "fk_domain_result_index_result" FOREIGN KEY ("cycle_id", "unit_id") REFERENCES "index_result"("cycle_id", "unit_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "domain_result" DROP CONSTRAINT "fk_domain_result_index_result"`);
    await queryRunner.query(`ALTER TABLE "domain_result" ADD CONSTRAINT "fk_domain_result_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "domain_result" ADD CONSTRAINT "fk_domain_result_cycle" FOREIGN KEY ("cycle_id") REFERENCES "cycle"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One collation everywhere: unit lists sorted in SQL now compare numbers by
 * value ("Phường 2" before "Phường 10"), as the ranking's ties already do in
 * Node (Intl.Collator 'vi' with numeric). The collation keeps its name, so
 * every `COLLATE "vietnamese"` follows; the index on it is rebuilt.
 */
export class NumericCollation1795380000000 implements MigrationInterface {
  name = 'NumericCollation1795380000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await this.recreate(queryRunner, 'vi-u-kn');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await this.recreate(queryRunner, 'vi');
  }

  private async recreate(queryRunner: QueryRunner, locale: string): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "ix_unit_name_vi"`);
    await queryRunner.query(`DROP COLLATION "vietnamese"`);
    await queryRunner.query(`CREATE COLLATION "vietnamese" (provider = icu, locale = '${locale}')`);
    await queryRunner.query(`CREATE INDEX "ix_unit_name_vi" ON "unit" ("kind", ("name" COLLATE "vietnamese"), "code")`);
  }
}

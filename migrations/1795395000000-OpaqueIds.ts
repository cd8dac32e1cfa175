import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * IDs are opaque (API.md): units and kiosks get a random UUID that the API
 * shows and takes instead of their sequential key, which stays internal
 * (foreign keys, roll-ups). The volatile default fills every existing row
 * with its own UUID when the column is added.
 */
export class OpaqueIds1795395000000 implements MigrationInterface {
  name = 'OpaqueIds1795395000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['unit', 'kiosk']) {
      await queryRunner.query(`ALTER TABLE "${table}" ADD "public_id" uuid NOT NULL DEFAULT gen_random_uuid()`);
      await queryRunner.query(`CREATE UNIQUE INDEX "uq_${table}_public_id" ON "${table}" ("public_id")`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['kiosk', 'unit']) {
      await queryRunner.query(`DROP INDEX "public"."uq_${table}_public_id"`);
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "public_id"`);
    }
  }
}

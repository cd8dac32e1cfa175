import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People (issue 14): the UNIT role, bound to one unit; when each token was
 * last used; an opaque public id for each token (tokens, revokeToken).
 * The check compares the role as text: a value added to an enum cannot be
 * used in the transaction that adds it.
 */
export class People1795510000000 implements MigrationInterface {
  name = 'People1795510000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TYPE "role" ADD VALUE IF NOT EXISTS 'UNIT'`);
    await q(`ALTER TABLE "api_token" ADD "public_id" uuid NOT NULL DEFAULT gen_random_uuid()`);
    await q(`CREATE UNIQUE INDEX "uq_api_token_public_id" ON "api_token" ("public_id")`);
    await q(`ALTER TABLE "api_token" ADD "unit_id" integer`);
    await q(`ALTER TABLE "api_token" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
    await q(`ALTER TABLE "api_token" ADD CONSTRAINT "ck_api_token_unit" CHECK (("role"::text = 'UNIT') = ("unit_id" IS NOT NULL))`);
    await q(`CREATE INDEX "ix_api_token_unit" ON "api_token" ("unit_id")`);
    await q(`ALTER TABLE "api_token" ADD CONSTRAINT "fk_api_token_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The enum keeps its UNIT value (PostgreSQL cannot drop one); no token may hold it once its unit is gone.
    await queryRunner.query(`DELETE FROM "api_token" WHERE "role"::text = 'UNIT'`);
    await queryRunner.query(`ALTER TABLE "api_token" DROP CONSTRAINT "fk_api_token_unit"`);
    await queryRunner.query(`DROP INDEX "ix_api_token_unit"`);
    await queryRunner.query(`ALTER TABLE "api_token" DROP CONSTRAINT "ck_api_token_unit"`);
    await queryRunner.query(`ALTER TABLE "api_token" DROP COLUMN "last_used_at"`);
    await queryRunner.query(`ALTER TABLE "api_token" DROP COLUMN "unit_id"`);
    await queryRunner.query(`DROP INDEX "uq_api_token_public_id"`);
    await queryRunner.query(`ALTER TABLE "api_token" DROP COLUMN "public_id"`);
  }
}

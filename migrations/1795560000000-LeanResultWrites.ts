import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leaner result writes (issue 12, the single-unit update):
 *
 * - The indexes on (cycle_id, rank) and (domain_id, rank) go. No read
 *   filters or orders by rank (rankings page by position: the position
 *   indexes stay), but every move of a unit rewrote both in each row it
 *   moved, for nothing: a third of the index writes of a moved domain row.
 * - A panelist's name holds no control character (the rule every other
 *   name follows, src/util/text.ts hasControlCharacters), in the database
 *   itself: the recomputation reads a unit's scores as one text whose
 *   fields are split by the separators U+001E and U+001F
 *   (src/results/cycle-inputs.ts), which a name can then never hold.
 */
export class LeanResultWrites1795560000000 implements MigrationInterface {
  name = 'LeanResultWrites1795560000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP INDEX "public"."ix_index_result_rank"`);
    await q(`DROP INDEX "public"."ix_domain_result_rank"`);
    await q(`ALTER TABLE "expert_score" ADD CONSTRAINT "ck_expert_score_panelist" CHECK ("panelist" !~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE "expert_score" DROP CONSTRAINT "ck_expert_score_panelist"`);
    await q(`CREATE INDEX "ix_domain_result_rank" ON "domain_result" ("domain_id", "rank")`);
    await q(`CREATE INDEX "ix_index_result_rank" ON "index_result" ("cycle_id", "rank")`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit history (issue 14): one append-only entry per accepted change. The
 * database itself refuses to change or remove an entry: a row trigger for
 * UPDATE and DELETE, a statement trigger for TRUNCATE.
 */
export class AuditEntries1795540000000 implements MigrationInterface {
  name = 'AuditEntries1795540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TABLE "audit_entry" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "actor" text NOT NULL, "role" "public"."role", "operation" text NOT NULL, "unit_code" text, "year" integer, "target" text, "before" jsonb, "after" jsonb, CONSTRAINT "pk_audit_entry" PRIMARY KEY ("id"))`);
    await q(`CREATE INDEX "ix_audit_entry_year" ON "audit_entry" ("year", "id")`);
    await q(`CREATE INDEX "ix_audit_entry_unit" ON "audit_entry" ("unit_code", "id")`);
    await q(`CREATE INDEX "ix_audit_entry_actor" ON "audit_entry" ("actor", "id")`);
    await q(`CREATE INDEX "ix_audit_entry_operation" ON "audit_entry" ("operation", "id")`);
    await q(`CREATE FUNCTION "audit_entry_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q(`CREATE TRIGGER "tr_audit_entry_append_only" BEFORE UPDATE OR DELETE ON "audit_entry" FOR EACH ROW EXECUTE FUNCTION "audit_entry_append_only"()`);
    await q(`CREATE TRIGGER "tr_audit_entry_no_truncate" BEFORE TRUNCATE ON "audit_entry" FOR EACH STATEMENT EXECUTE FUNCTION "audit_entry_append_only"()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_entry"`);
    await queryRunner.query(`DROP FUNCTION "audit_entry_append_only"()`);
  }
}

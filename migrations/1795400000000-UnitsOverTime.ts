import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Units over time (issue 13): years per unit, names and parents by year,
 * lineage, and the unit a kiosk serves by date. Existing data is kept as
 * it was: every unit starts open-ended (from 2000, the first year the
 * service knows) with its current name and parent, every kiosk serves its
 * unit from '-infinity'.
 *
 * Statement-level triggers start the history of every unit and kiosk
 * inserted, whoever inserts it (the services, or bulk loads straight in
 * SQL), so that a year's names and parents are always one join.
 */
export class UnitsOverTime1795400000000 implements MigrationInterface {
  name = 'UnitsOverTime1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE "unit" DROP CONSTRAINT "ck_unit_commune_parent"`);
    await q(`ALTER TABLE "unit" ADD "first_year" integer NOT NULL DEFAULT '2000'`);
    await q(`ALTER TABLE "unit" ADD "last_year" integer`);
    await q(`ALTER TABLE "unit" ADD CONSTRAINT "ck_unit_parent_kind" CHECK ("kind" = 'COMMUNE' OR "parent_id" IS NULL)`);
    await q(`ALTER TABLE "unit" ADD CONSTRAINT "ck_unit_years" CHECK ("first_year" BETWEEN 2000 AND 2100 AND ("last_year" IS NULL OR "last_year" BETWEEN "first_year" AND 2100))`);
    await q(`ALTER TABLE "unit" ADD CONSTRAINT "ck_unit_district_years" CHECK ("kind" <> 'DISTRICT' OR ("first_year" <= 2024 AND ("last_year" IS NULL OR "last_year" <= 2024)))`);

    await q(`CREATE TABLE "unit_name" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "unit_id" integer NOT NULL, "from_year" integer NOT NULL, "to_year" integer, "name" text NOT NULL, CONSTRAINT "ck_unit_name_years" CHECK ("to_year" IS NULL OR "to_year" >= "from_year"), CONSTRAINT "pk_unit_name" PRIMARY KEY ("id"))`);
    await q(`CREATE UNIQUE INDEX "uq_unit_name_year" ON "unit_name" ("unit_id", "from_year")`);
    await q(`ALTER TABLE "unit_name" ADD CONSTRAINT "fk_unit_name_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "unit_parent" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "unit_id" integer NOT NULL, "from_year" integer NOT NULL, "to_year" integer, "parent_id" integer, CONSTRAINT "ck_unit_parent_years" CHECK ("to_year" IS NULL OR "to_year" >= "from_year"), CONSTRAINT "pk_unit_parent" PRIMARY KEY ("id"))`);
    await q(`CREATE UNIQUE INDEX "uq_unit_parent_year" ON "unit_parent" ("unit_id", "from_year")`);
    await q(`CREATE INDEX "ix_unit_parent_parent" ON "unit_parent" ("parent_id")`);
    await q(`ALTER TABLE "unit_parent" ADD CONSTRAINT "fk_unit_parent_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "unit_parent" ADD CONSTRAINT "fk_unit_parent_parent" FOREIGN KEY ("parent_id") REFERENCES "unit"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "unit_lineage" ("predecessor_id" integer NOT NULL, "successor_id" integer NOT NULL, "from_year" integer NOT NULL, CONSTRAINT "ck_unit_lineage_distinct" CHECK ("predecessor_id" <> "successor_id"), CONSTRAINT "pk_unit_lineage" PRIMARY KEY ("predecessor_id", "successor_id"))`);
    await q(`CREATE INDEX "ix_unit_lineage_successor" ON "unit_lineage" ("successor_id")`);
    await q(`ALTER TABLE "unit_lineage" ADD CONSTRAINT "fk_unit_lineage_predecessor" FOREIGN KEY ("predecessor_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "unit_lineage" ADD CONSTRAINT "fk_unit_lineage_successor" FOREIGN KEY ("successor_id") REFERENCES "unit"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "kiosk_assignment" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "kiosk_id" integer NOT NULL, "unit_id" integer NOT NULL, "from_date" date NOT NULL, CONSTRAINT "pk_kiosk_assignment" PRIMARY KEY ("id"))`);
    await q(`CREATE UNIQUE INDEX "uq_kiosk_assignment_date" ON "kiosk_assignment" ("kiosk_id", "from_date")`);
    await q(`CREATE INDEX "ix_kiosk_assignment_unit" ON "kiosk_assignment" ("unit_id")`);
    await q(`ALTER TABLE "kiosk_assignment" ADD CONSTRAINT "fk_kiosk_assignment_kiosk" FOREIGN KEY ("kiosk_id") REFERENCES "kiosk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "kiosk_assignment" ADD CONSTRAINT "fk_kiosk_assignment_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    // The existing units and kiosks, as they are now, for all their years.
    await q(`INSERT INTO "unit_name" ("unit_id", "from_year", "name") SELECT "id", "first_year", "name" FROM "unit"`);
    await q(`INSERT INTO "unit_parent" ("unit_id", "from_year", "parent_id") SELECT "id", "first_year", "parent_id" FROM "unit"`);
    await q(`INSERT INTO "kiosk_assignment" ("kiosk_id", "unit_id", "from_date") SELECT "id", "unit_id", '-infinity' FROM "kiosk"`);

    // Every unit and kiosk inserted from now on starts its history the same way.
    await q(`CREATE FUNCTION "unit_history_start"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO unit_name (unit_id, from_year, name) SELECT id, first_year, name FROM new_units;
        INSERT INTO unit_parent (unit_id, from_year, parent_id) SELECT id, first_year, parent_id FROM new_units;
        RETURN NULL;
      END $$`);
    await q(`CREATE TRIGGER "tr_unit_history_start" AFTER INSERT ON "unit" REFERENCING NEW TABLE AS new_units FOR EACH STATEMENT EXECUTE FUNCTION "unit_history_start"()`);
    await q(`CREATE FUNCTION "kiosk_assignment_start"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO kiosk_assignment (kiosk_id, unit_id, from_date) SELECT id, unit_id, '-infinity' FROM new_kiosks;
        RETURN NULL;
      END $$`);
    await q(`CREATE TRIGGER "tr_kiosk_assignment_start" AFTER INSERT ON "kiosk" REFERENCING NEW TABLE AS new_kiosks FOR EACH STATEMENT EXECUTE FUNCTION "kiosk_assignment_start"()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP TRIGGER "tr_kiosk_assignment_start" ON "kiosk"`);
    await q(`DROP FUNCTION "kiosk_assignment_start"()`);
    await q(`DROP TRIGGER "tr_unit_history_start" ON "unit"`);
    await q(`DROP FUNCTION "unit_history_start"()`);
    await q(`DROP TABLE "kiosk_assignment"`);
    await q(`DROP TABLE "unit_lineage"`);
    await q(`DROP TABLE "unit_parent"`);
    await q(`DROP TABLE "unit_name"`);
    await q(`ALTER TABLE "unit" DROP CONSTRAINT "ck_unit_district_years"`);
    await q(`ALTER TABLE "unit" DROP CONSTRAINT "ck_unit_years"`);
    await q(`ALTER TABLE "unit" DROP CONSTRAINT "ck_unit_parent_kind"`);
    await q(`ALTER TABLE "unit" DROP COLUMN "last_year"`);
    await q(`ALTER TABLE "unit" DROP COLUMN "first_year"`);
    // Communes without a parent (two-tier years) cannot go back: the old rule is not restored over them.
    await q(`ALTER TABLE "unit" ADD CONSTRAINT "ck_unit_commune_parent" CHECK (("kind" = 'COMMUNE') = ("parent_id" IS NOT NULL)) NOT VALID`);
  }
}

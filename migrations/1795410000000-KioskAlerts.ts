import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Kiosk alerts (issue 17): the alerts, exactly which responses each covers,
 * and how far the background detector has looked. Detection starts after
 * the responses already stored: existing data raises no alert.
 */
export class KioskAlerts1795410000000 implements MigrationInterface {
  name = 'KioskAlerts1795410000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TABLE "kiosk_alert" ("id" integer GENERATED ALWAYS AS IDENTITY NOT NULL, "public_id" uuid NOT NULL DEFAULT gen_random_uuid(), "kiosk_id" integer NOT NULL, "unit_id" integer NOT NULL, "year" integer NOT NULL, "rule" character varying(16) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'OPEN', "detected_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "from_at" TIMESTAMP WITH TIME ZONE NOT NULL, "to_at" TIMESTAMP WITH TIME ZONE NOT NULL, "responses" integer NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, "resolved_by" text, CONSTRAINT "ck_kiosk_alert_range" CHECK ("from_at" <= "to_at" AND "responses" >= 1), CONSTRAINT "ck_kiosk_alert_status" CHECK ("status" IN ('OPEN', 'DISMISSED', 'QUARANTINED')), CONSTRAINT "ck_kiosk_alert_rule" CHECK ("rule" IN ('BURST', 'STREAK', 'OFF_HOURS', 'CLOCK_SKEW')), CONSTRAINT "pk_kiosk_alert" PRIMARY KEY ("id"))`);
    await q(`CREATE UNIQUE INDEX "uq_kiosk_alert_public_id" ON "kiosk_alert" ("public_id")`);
    await q(`CREATE INDEX "ix_kiosk_alert_kiosk" ON "kiosk_alert" ("kiosk_id", "rule")`);
    await q(`CREATE INDEX "ix_kiosk_alert_unit_year" ON "kiosk_alert" ("unit_id", "year")`);
    await q(`ALTER TABLE "kiosk_alert" ADD CONSTRAINT "fk_kiosk_alert_kiosk" FOREIGN KEY ("kiosk_id") REFERENCES "kiosk"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "kiosk_alert" ADD CONSTRAINT "fk_kiosk_alert_unit" FOREIGN KEY ("unit_id") REFERENCES "unit"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "kiosk_alert_response" ("alert_id" integer NOT NULL, "response_id" bigint NOT NULL, CONSTRAINT "pk_kiosk_alert_response" PRIMARY KEY ("alert_id", "response_id"))`);
    await q(`CREATE INDEX "ix_kiosk_alert_response_response" ON "kiosk_alert_response" ("response_id")`);
    await q(`ALTER TABLE "kiosk_alert_response" ADD CONSTRAINT "fk_kiosk_alert_response_alert" FOREIGN KEY ("alert_id") REFERENCES "kiosk_alert"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q(`ALTER TABLE "kiosk_alert_response" ADD CONSTRAINT "fk_kiosk_alert_response_response" FOREIGN KEY ("response_id") REFERENCES "survey_response"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await q(`CREATE TABLE "kiosk_alert_scan" ("id" smallint NOT NULL, "last_response_id" bigint NOT NULL DEFAULT '0', CONSTRAINT "ck_kiosk_alert_scan_one" CHECK ("id" = 1), CONSTRAINT "pk_kiosk_alert_scan" PRIMARY KEY ("id"))`);
    await q(`INSERT INTO "kiosk_alert_scan" ("id", "last_response_id") SELECT 1, coalesce(max("id"), 0) FROM "survey_response"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "kiosk_alert_scan"`);
    await queryRunner.query(`DROP TABLE "kiosk_alert_response"`);
    await queryRunner.query(`DROP TABLE "kiosk_alert"`);
  }
}

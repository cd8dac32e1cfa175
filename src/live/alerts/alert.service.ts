import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../../audit';
import type { Principal } from '../../auth/principal';
import type { Logger } from '../../config/logger';
import { CycleStatus, type UnitKind } from '../../entities/enums';
import { KioskAlertStatus, type KioskAlertRule } from '../../entities/kiosk-alert.entity';
import { AppError, ErrorCode, invalid } from '../../errors/app-error';
import { moveStatements, type TallyRoller } from '../../survey/tally-roller';
import { nfc, quoted } from '../../util/text';
import { requireYear } from '../../util/validate';

export enum KioskAlertAction { DISMISS = 'DISMISS', QUARANTINE = 'QUARANTINE', RELEASE = 'RELEASE' }

/** An alert as the API shows it, with its kiosk. */
export interface AlertRow {
  id: number; publicId: string; rule: KioskAlertRule; status: KioskAlertStatus; detectedAt: Date; from: Date; to: Date;
  responses: number; year: number; unitId: number;
  kiosk: { id: string; label: string; active: boolean; unitId: number };
}

const SELECT_ALERTS = `
SELECT a.id, a.public_id::text AS "publicId", a.rule, a.status, a.detected_at AS "detectedAt", a.from_at AS "from", a.to_at AS "to",
       a.responses, a.year, a.unit_id AS "unitId",
       json_build_object('id', k.public_id, 'label', k.label, 'active', k.active, 'unitId', k.unit_id) AS kiosk
  FROM kiosk_alert a JOIN kiosk k ON k.id = a.kiosk_id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The responses of `alertId` that no other QUARANTINED alert holds: the ones its quarantine or release moves. */
const MOVABLE_SQL = `
SELECT ar.response_id::text AS id FROM kiosk_alert_response ar
 WHERE ar.alert_id = $1
   AND NOT EXISTS (SELECT 1 FROM kiosk_alert_response o JOIN kiosk_alert x ON x.id = o.alert_id
                    WHERE o.response_id = ar.response_id AND x.id <> $1 AND x.status = 'QUARANTINED')
 ORDER BY 1`;

class NotRolledUp extends Error {}

/**
 * Kiosk alerts: the list, and a person's judgement. QUARANTINE takes exactly
 * the alert's responses out of every figure (the roll-ups that satisfaction
 * and the index read), RELEASE puts them back; the responses stay stored.
 * Both move the roll-ups through the roll-up's own definitions
 * (tally-roller.ts, moveStatements) in one transaction with the responses
 * locked, then mark the year and kind for recomputation. A response in
 * two quarantined alerts stays out until both are released. A published
 * year's figures never move: CONFLICT (an amendment is the way).
 */
export class AlertService {
  constructor(
    private readonly db: DataSource,
    private readonly roller: TallyRoller,
    private readonly logger: Logger,
    /** Told after a quarantine or release commits: the year and kind to recompute, the unit whose satisfaction moved. */
    private readonly onFiguresMoved: (year: number, kind: UnitKind, unitId: number) => void,
  ) {}

  async list(filter: { status?: KioskAlertStatus | null; unitCode?: string | null; year?: number | null }): Promise<AlertRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status != null) { params.push(filter.status); where.push(`a.status = $${params.length}`); }
    if (filter.year != null) { params.push(requireYear('year', filter.year)); where.push(`a.year = $${params.length}`); }
    if (filter.unitCode != null) {
      const unitId = await this.unitIdOf(filter.unitCode);
      params.push(unitId);
      where.push(`a.unit_id = $${params.length}`);
    }
    return this.db.query(`${SELECT_ALERTS} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.detected_at DESC, a.id DESC LIMIT 1000`, params);
  }

  async byId(id: number): Promise<AlertRow | null> {
    const [row]: AlertRow[] = await this.db.query(`${SELECT_ALERTS} WHERE a.id = $1`, [id]);
    return row ?? null;
  }

  async unitIdOf(unitCode: string): Promise<number> {
    const code = nfc(unitCode);
    const [unit]: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
    if (!unit) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `unitCode: no unit has the code ${quoted(code)}`, 'unitCode');
    return unit.id;
  }

  async resolve(principal: Principal, publicId: string, action: KioskAlertAction): Promise<AlertRow> {
    if (!UUID.test(publicId)) throw invalid('id', `id ${quoted(publicId)} is not a kiosk alert id: use the id kioskAlerts returned`);
    for (let attempt = 0; ; attempt++) {
      // Every stored response is in the roll-ups before they move (the alert's responses were stored before it was raised).
      if (action !== KioskAlertAction.DISMISS) await this.roller.rollUp();
      try {
        const done = await this.db.transaction(async (tx) => {
          const resolved = await this.resolveIn(tx, principal, publicId, action);
          const [unit]: { code: string }[] = await tx.query('SELECT code FROM unit WHERE id = $1', [resolved.unitId]);
          await recordAudit(tx, {
            operation: 'resolveKioskAlert', unitCode: unit.code, year: resolved.year, target: publicId,
            before: { status: resolved.from }, after: { status: resolved.to, action, responsesMoved: resolved.moved ?? 0 },
          });
          return resolved;
        });
        if (done.moved !== null) this.onFiguresMoved(done.year, done.kind, done.unitId);
        if (done.from !== done.to) {
          this.logger.info('kiosk alert resolved', { alert: publicId, action, from: done.from, to: done.to, by: principal.name, moved: done.moved ?? 0 });
        }
        return (await this.byId(done.id))!;
      } catch (e) {
        if (e instanceof NotRolledUp && attempt < 3) continue;
        if (e instanceof NotRolledUp) throw new AppError(ErrorCode.SERVICE_BUSY, 'The survey roll-up is behind; nothing changed. Retry in 1 s.', undefined, { retryAfter: 1 });
        throw e;
      }
    }
  }

  private async resolveIn(tx: EntityManager, principal: Principal, publicId: string, action: KioskAlertAction) {
    const [alert]: { id: number; status: KioskAlertStatus; year: number; unit_id: number; kind: UnitKind }[] = await tx.query(
      `SELECT a.id, a.status, a.year, a.unit_id, u.kind FROM kiosk_alert a JOIN unit u ON u.id = a.unit_id
        WHERE a.public_id = $1 FOR UPDATE OF a`, [publicId]);
    if (!alert) throw new AppError(ErrorCode.KIOSK_NOT_FOUND, `id: no kiosk alert has the id ${quoted(publicId)}`, 'id');
    const from = alert.status;
    const base = { id: alert.id, year: alert.year, kind: alert.kind, unitId: alert.unit_id, from };
    let to: KioskAlertStatus;
    let direction: 'out' | 'in' | null = null;
    switch (action) {
      case KioskAlertAction.DISMISS:
        if (from === KioskAlertStatus.QUARANTINED) {
          throw new AppError(ErrorCode.CYCLE_STATUS, `id: the alert is QUARANTINED; RELEASE it to put its responses back (it is then dismissed)`, 'id');
        }
        to = KioskAlertStatus.DISMISSED;
        break;
      case KioskAlertAction.QUARANTINE:
        to = KioskAlertStatus.QUARANTINED;
        if (from !== KioskAlertStatus.QUARANTINED) direction = 'out';
        break;
      case KioskAlertAction.RELEASE:
        if (from !== KioskAlertStatus.QUARANTINED) {
          throw new AppError(ErrorCode.CYCLE_STATUS, `id: the alert is ${from}; only a QUARANTINED alert is released`, 'id');
        }
        to = KioskAlertStatus.DISMISSED;
        direction = 'in';
        break;
      default:
        throw invalid('action', `action must be DISMISS, QUARANTINE or RELEASE`);
    }
    if (direction === null) {
      if (from !== to) {
        await tx.query('UPDATE kiosk_alert SET status = $2, resolved_at = now(), resolved_by = $3 WHERE id = $1', [alert.id, to, principal.name]);
      }
      return { ...base, to, moved: null };
    }
    // A publication holds its cycle FOR UPDATE until it commits: a year is either published before this, or after it.
    const [cycle]: { status: CycleStatus }[] = await tx.query(
      'SELECT status FROM cycle WHERE year = $1 AND unit_kind = $2 FOR SHARE', [alert.year, alert.kind]);
    if (cycle?.status === CycleStatus.PUBLISHED) {
      throw new AppError(ErrorCode.CYCLE_PUBLISHED,
        `id: ${alert.year} is published for ${alert.kind}; its figures never move, so the alert cannot be ${direction === 'out' ? 'quarantined' : 'released'} (an amendment is the way)`, 'id');
    }
    // The alert's responses, locked in id order (the roll-up skips locked rows), every one rolled up.
    const locked: { id: string; tallied: boolean }[] = await tx.query(
      `SELECT r.id::text, r.tallied FROM survey_response r WHERE r.id IN (SELECT response_id FROM kiosk_alert_response WHERE alert_id = $1)
        ORDER BY r.id FOR UPDATE OF r`, [alert.id]);
    if (locked.some((r) => !r.tallied)) throw new NotRolledUp();
    const movable: { id: string }[] = await tx.query(MOVABLE_SQL, [alert.id]);
    const ids = movable.map((m) => m.id);
    if (ids.length > 0) for (const sql of moveStatements(direction)) await tx.query(sql, [ids]);
    await tx.query('UPDATE kiosk_alert SET status = $2, resolved_at = now(), resolved_by = $3 WHERE id = $1', [alert.id, to, principal.name]);
    return { ...base, to, moved: ids.length };
  }
}

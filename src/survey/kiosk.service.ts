import type { EntityManager } from 'typeorm';
import { recordAudit } from '../audit';
import { generateToken, hashToken } from '../auth/tokens';
import { Kiosk } from '../entities/kiosk.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { type Db, managerOf } from '../services/db';
import { nfc, quoted } from '../util/text';
import { requireText } from '../util/validate';

export interface KioskRegistrationData { kiosk: Kiosk; token: string }

/**
 * Kiosks: registering one returns its `par_k_` token once (only the SHA-256
 * hash is kept); revoking one makes its token refused at once: the row is
 * updated, then AuthService forgets the kiosk (onRevoked) before the answer.
 * A kiosk is named by its opaque public_id; its sequential key stays inside.
 */
export class KioskService {
  private readonly db: EntityManager;

  constructor(db: Db, private readonly onRevoked?: (kioskId: number) => void | Promise<void>) {
    this.db = managerOf(db);
  }

  async register(unitCode: string, rawLabel: string): Promise<KioskRegistrationData> {
    const label = requireText('input.label', rawLabel, 200);
    const code = nfc(unitCode ?? '');
    const units: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
    if (units.length === 0) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `input.unitCode: no unit has the code ${quoted(code)}`, 'input.unitCode');
    const token = generateToken('par_k');
    return this.db.transaction(async (tx) => {
      const repo = tx.getRepository(Kiosk);
      const inserted = await repo.insert({ unitId: units[0].id, label, tokenHash: hashToken(token) });
      const kiosk = await repo.findOneOrFail({ where: { id: inserted.identifiers[0].id as number } });
      await recordAudit(tx, { operation: 'registerKiosk', unitCode: code, target: kiosk.publicId, before: null, after: { id: kiosk.publicId, label, unitCode: code } });
      return { kiosk, token };
    });
  }

  /** Idempotent: revoking a revoked kiosk keeps its first revocation time. `rawId` is the kiosk's opaque ID. */
  async revoke(rawId: string): Promise<Kiosk> {
    const publicId = parseKioskId(rawId);
    const rows = await this.db.transaction(async (tx) => {
      const was: { id: number; label: string; active: boolean; revoked_at: Date | null; unit_code: string }[] = await tx.query(
        'SELECT k.id, k.label, k.active, k.revoked_at, u.code AS unit_code FROM kiosk k JOIN unit u ON u.id = k.unit_id WHERE k.public_id = $1 FOR UPDATE OF k',
        [publicId]);
      if (was.length === 0) throw new AppError(ErrorCode.KIOSK_NOT_FOUND, `id: no kiosk has the id ${quoted(rawId)}`, 'id');
      // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
      const [updated]: [{ id: number; revoked_at: Date }[], number] = await tx.query(
        'UPDATE kiosk SET active = false, revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id, revoked_at', [was[0].id],
      );
      await recordAudit(tx, {
        operation: 'revokeKiosk', unitCode: was[0].unit_code, target: publicId,
        before: { label: was[0].label, active: was[0].active, revokedAt: was[0].revoked_at }, after: { label: was[0].label, active: false, revokedAt: updated[0].revoked_at },
      });
      return updated;
    });
    // Awaited: with several instances, every one of them refuses the kiosk before the answer (src/shared-state).
    await this.onRevoked?.(rows[0].id);
    return this.db.getRepository(Kiosk).findOneOrFail({ where: { id: rows[0].id } });
  }

  /** Kiosks of a unit, or all, in registration order. */
  async list(unitCode?: string | null): Promise<Kiosk[]> {
    const qb = this.db.getRepository(Kiosk).createQueryBuilder('k').orderBy('k.id', 'ASC');
    if (unitCode != null) {
      const code = nfc(unitCode);
      const units: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
      if (units.length === 0) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `unitCode: no unit has the code ${quoted(code)}`, 'unitCode');
      qb.where('k.unit_id = :unitId', { unitId: units[0].id });
    }
    return qb.getMany();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A kiosk's ID is the UUID the API gave it (IDs are opaque); anything else is BAD_USER_INPUT. */
function parseKioskId(raw: string): string {
  const id = String(raw).trim();
  if (!UUID.test(id)) throw invalid('id', `id ${quoted(id)} is not a kiosk id: use the id registerKiosk or kiosks returned`);
  return id.toLowerCase();
}

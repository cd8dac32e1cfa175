import type { DataSource } from 'typeorm';
import { generateToken, hashToken } from '../auth/tokens';
import { Kiosk } from '../entities/kiosk.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { nfc } from '../util/text';
import { requireText } from '../util/validate';

export interface KioskRegistrationData { kiosk: Kiosk; token: string }

/**
 * Kiosks: registering one returns its `par_k_` token once (only the SHA-256
 * hash is kept); revoking one makes its token refused at once, since every
 * request resolves the token against the kiosk row (AuthService).
 */
export class KioskService {
  constructor(private readonly db: DataSource, private readonly onRevoked?: (kioskId: number) => void) {}

  async register(unitCode: string, rawLabel: string): Promise<KioskRegistrationData> {
    const label = requireText('input.label', rawLabel, 200);
    const code = nfc(unitCode ?? '');
    const units: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
    if (units.length === 0) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `input.unitCode: no unit has the code "${code}"`, 'input.unitCode');
    const token = generateToken('par_k');
    const repo = this.db.getRepository(Kiosk);
    const inserted = await repo.insert({ unitId: units[0].id, label, tokenHash: hashToken(token) });
    const kiosk = await repo.findOneOrFail({ where: { id: inserted.identifiers[0].id as number } });
    return { kiosk, token };
  }

  /** Idempotent: revoking a revoked kiosk keeps its first revocation time. */
  async revoke(rawId: string): Promise<Kiosk> {
    const id = parseKioskId(rawId);
    // TypeORM answers an UPDATE with [rows, affected].
    const [, affected]: [unknown[], number] = await this.db.query(
      'UPDATE kiosk SET active = false, revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [id],
    );
    if (affected === 0) throw new AppError(ErrorCode.KIOSK_NOT_FOUND, `id: no kiosk has the id ${rawId}`, 'id');
    this.onRevoked?.(id);
    return this.db.getRepository(Kiosk).findOneOrFail({ where: { id } });
  }

  /** Kiosks of a unit, or all, in registration order. */
  async list(unitCode?: string | null): Promise<Kiosk[]> {
    const qb = this.db.getRepository(Kiosk).createQueryBuilder('k').orderBy('k.id', 'ASC');
    if (unitCode != null) {
      const code = nfc(unitCode);
      const units: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
      if (units.length === 0) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `unitCode: no unit has the code "${code}"`, 'unitCode');
      qb.where('k.unit_id = :unitId', { unitId: units[0].id });
    }
    return qb.getMany();
  }
}

function parseKioskId(raw: string): number {
  if (!/^\d{1,9}$/.test(String(raw).trim())) throw invalid('id', `id "${String(raw).slice(0, 40)}" is not a kiosk id`);
  return Number(String(raw).trim());
}

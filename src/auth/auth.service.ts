import { IsNull, type DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import { ApiToken } from '../entities/api-token.entity';
import { Role } from '../entities/enums';
import { Kiosk } from '../entities/kiosk.entity';
import { AppError, ErrorCode } from '../errors/app-error';
import { requireText } from '../util/validate';
import type { Principal } from './principal';
import { LocalKioskRevocations, type KioskRevocations } from './revocations';
import { generateToken, hashToken } from './tokens';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/**
 * How long an active kiosk's token is trusted without a lookup. Revocation
 * through this process is immediate (forgetKiosk); another process of the
 * service sees it within this time.
 */
const KIOSK_CACHE_MS = 10_000;
/** The one answer to a token that is not accepted, whatever the reason: it names nothing internal. */
const NOT_VALID = 'The token is not valid';

/**
 * Bearer tokens: issuing, bootstrapping the first admin, and resolving a
 * request's Authorization header to a Principal. A token is looked up by its
 * hash, so the secret itself is never compared or stored.
 */
export class AuthService {
  /** Active kiosks by token hash: a kiosk's every rating would otherwise cost a lookup. */
  private readonly kiosks = new Map<string, { principal: Principal; at: number }>();

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
    readonly revocations: KioskRevocations = new LocalKioskRevocations(),
  ) {
    revocations.subscribe((kioskId) => {
      for (const [hash, entry] of this.kiosks) {
        if (entry.principal.kind === 'kiosk' && entry.principal.kioskId === kioskId) this.kiosks.delete(hash);
      }
    });
  }

  /**
   * Called by revokeKiosk once the revocation is committed: this process
   * refuses the kiosk from its next request on, and a lookup in flight does
   * not put it back (see KioskRevocations).
   */
  forgetKiosk(kioskId: number): void {
    this.revocations.announce(kioskId);
  }

  /**
   * undefined header: anonymous. A malformed, unknown or revoked token is
   * refused, never downgraded; unknown and revoked get the same answer.
   */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    if (authorization === undefined || authorization.trim() === '') return null;
    const match = BEARER.exec(authorization);
    if (!match) throw new AppError(ErrorCode.INVALID_TOKEN, 'The Authorization header must be "Bearer <token>"');
    const hash = hashToken(match[1]);
    if (match[1].startsWith('par_k_')) return this.kiosk(hash);
    const token = await this.db.getRepository(ApiToken).findOne({ where: { tokenHash: hash, revokedAt: IsNull() } });
    if (!token || token.role === Role.KIOSK) throw new AppError(ErrorCode.INVALID_TOKEN, NOT_VALID);
    return { kind: 'token', role: token.role, name: token.name, tokenId: token.id };
  }

  /**
   * The kiosk of a token hash, from memory while fresh. A lookup stores its
   * answer only if no revocation was announced while it ran; if one was,
   * it looks again (the second read starts after the revocation committed).
   */
  private async kiosk(hash: string): Promise<Principal> {
    const cached = this.kiosks.get(hash);
    if (cached && Date.now() - cached.at < KIOSK_CACHE_MS) return cached.principal;
    for (let attempt = 0; ; attempt++) {
      const generation = this.revocations.generation();
      const kiosk = await this.db.getRepository(Kiosk).findOne({ where: { tokenHash: hash } });
      const settled = this.revocations.generation() === generation;
      if (!settled && attempt < 2) continue;
      if (!kiosk || !kiosk.active) {
        this.kiosks.delete(hash);
        if (kiosk) this.logger.debug('refused a revoked kiosk', { kioskId: kiosk.id });
        throw new AppError(ErrorCode.INVALID_TOKEN, NOT_VALID);
      }
      const principal: Principal = { kind: 'kiosk', role: Role.KIOSK, name: kiosk.label, kioskId: kiosk.id, unitId: kiosk.unitId };
      if (settled) this.kiosks.set(hash, { principal, at: Date.now() });
      return principal;
    }
  }

  /** Issues a token for a person or system; the secret is returned once and never stored. */
  async issueToken(role: Role, rawName: string): Promise<string> {
    if (role === Role.KIOSK) {
      throw new AppError(ErrorCode.INVALID_INPUT, 'input.role KIOSK is not issued here: register the kiosk with registerKiosk', 'input.role');
    }
    const name = requireText('input.name', rawName, 100);
    const token = generateToken('par_a');
    await this.db.getRepository(ApiToken).insert({ role, name, tokenHash: hashToken(token) });
    return token;
  }

  /**
   * ADMIN_TOKEN set: make sure it is accepted. Unset: if no admin token
   * exists yet, generate one and return it so that it is printed once.
   */
  async bootstrapAdmin(adminToken: string | undefined): Promise<string | undefined> {
    const repo = this.db.getRepository(ApiToken);
    if (adminToken) {
      const hash = hashToken(adminToken);
      await repo.createQueryBuilder().insert().values({ role: Role.ADMIN, name: 'admin', tokenHash: hash })
        .orIgnore().execute();
      return undefined;
    }
    const existing = await repo.count({ where: { role: Role.ADMIN, revokedAt: IsNull() } });
    if (existing > 0) return undefined;
    const token = generateToken('par_a');
    await repo.insert({ role: Role.ADMIN, name: 'admin', tokenHash: hashToken(token) });
    this.logger.info('generated the first admin token');
    return token;
  }
}

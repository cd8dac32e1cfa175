import { IsNull, type DataSource } from 'typeorm';
import { recordAudit } from '../audit/audit';
import type { Logger } from '../config/logger';
import { asBackground } from '../db/pool-gate';
import { ApiToken } from '../entities/api-token.entity';
import { Role } from '../entities/enums';
import { Kiosk } from '../entities/kiosk.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { nfc, quoted } from '../util/text';
import { requireText } from '../util/validate';
import { hasToken, type Principal } from './principal';
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
 * A token's last use is written at most once per this time (lastUsedAt is
 * to about a minute): a request does not write on every call.
 */
const LAST_USED_EVERY_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An API token as `tokens` lists it: never its secret or hash. */
export interface TokenRow {
  id: number; publicId: string; role: Role; name: string; unitId: number | null;
  createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null;
}
const TOKEN_COLUMNS = `id, public_id AS "publicId", role, name, unit_id AS "unitId", created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

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
  forgetKiosk(kioskId: number): void | Promise<void> {
    return this.revocations.announce(kioskId);
  }

  /**
   * undefined header: anonymous. A malformed, unknown or revoked token is
   * refused, never downgraded; unknown and revoked get the same answer.
   */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    if (!hasToken(authorization)) return null;
    const match = BEARER.exec(authorization);
    if (!match) throw new AppError(ErrorCode.INVALID_TOKEN, 'The Authorization header must be "Bearer <token>"');
    const hash = hashToken(match[1]);
    if (match[1].startsWith('par_k_')) return this.kiosk(hash);
    // Looked up on every request, never cached: a revocation committed by any instance refuses the next request here.
    const [token]: { id: number; role: Role; name: string; unit_id: number | null; unit_code: string | null; last_used_at: Date | null }[] =
      await this.db.query(
        `SELECT t.id, t.role, t.name, t.unit_id, u.code AS unit_code, t.last_used_at
           FROM api_token t LEFT JOIN unit u ON u.id = t.unit_id
          WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, [hash]);
    if (!token || token.role === Role.KIOSK) throw new AppError(ErrorCode.INVALID_TOKEN, NOT_VALID);
    this.touch(token.id, token.last_used_at);
    return { kind: 'token', role: token.role, name: token.name, tokenId: token.id, unitId: token.unit_id, unitCode: token.unit_code };
  }

  /**
   * Records a token's use at most once a minute: skipped while the time
   * just read is recent; else one UPDATE in the background (it adds no
   * statement and no wait to the request, and its failure refuses nothing)
   * whose own condition makes concurrent requests, on any instance, write
   * it once between them.
   */
  private touch(tokenId: number, lastUsedAt: Date | null): void {
    if (lastUsedAt !== null && Date.now() - lastUsedAt.getTime() < LAST_USED_EVERY_MS) return;
    asBackground(() => this.db.query(
      `UPDATE api_token SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [tokenId, LAST_USED_EVERY_MS / 1000],
    )).catch((e: unknown) => this.logger.warn('could not record a token\'s last use', { tokenId, error: String((e as Error)?.message ?? e) }));
  }

  /**
   * The kiosk of a token hash, from memory while fresh. A lookup stores its
   * answer only if no revocation was announced while it ran; if one was,
   * it looks again (the second read starts after the revocation committed).
   */
  private async kiosk(hash: string): Promise<Principal> {
    // Several instances (src/shared-state): revocations made elsewhere are heard first; trusted less long while that cannot be done.
    const trustMs = Math.min(KIOSK_CACHE_MS, (await this.revocations.refresh?.()) ?? KIOSK_CACHE_MS);
    const cached = this.kiosks.get(hash);
    if (cached && Date.now() - cached.at < trustMs) return cached.principal;
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

  /**
   * Issues a token for a person or system; the secret is returned once and
   * never stored. A UNIT token names its unit (`unitCode`, required); no
   * other role takes one.
   */
  async issueToken(role: Role, rawName: string, rawUnitCode?: string | null): Promise<string> {
    if (role === Role.KIOSK) {
      throw new AppError(ErrorCode.INVALID_INPUT, 'input.role KIOSK is not issued here: register the kiosk with registerKiosk', 'input.role');
    }
    const name = requireText('input.name', rawName, 100);
    const unitId = await this.unitOfToken(role, rawUnitCode);
    const token = generateToken('par_a');
    await this.db.transaction(async (tx) => {
      const inserted = await tx.getRepository(ApiToken).insert({ role, name, unitId, tokenHash: hashToken(token) });
      const [issued]: { public_id: string; unit_code: string | null }[] = await tx.query(
        'SELECT t.public_id, u.code AS unit_code FROM api_token t LEFT JOIN unit u ON u.id = t.unit_id WHERE t.id = $1', [inserted.identifiers[0].id]);
      // Never the secret nor its hash: who holds it, as what.
      await recordAudit(tx, {
        operation: 'issueToken', unitCode: issued.unit_code, target: `token ${issued.public_id}`,
        before: null, after: { role, name, unitCode: issued.unit_code, revokedAt: null },
      });
    });
    return token;
  }

  /** The unit a new token is bound to: required for UNIT (an existing unit's code), refused for every other role. */
  private async unitOfToken(role: Role, rawUnitCode: string | null | undefined): Promise<number | null> {
    const given = rawUnitCode != null && rawUnitCode.trim() !== '';
    if (role !== Role.UNIT) {
      if (given) throw invalid('input.unitCode', `input.unitCode is only for UNIT tokens; a ${role} token is not bound to a unit: leave it out`);
      return null;
    }
    if (!given) throw invalid('input.unitCode', 'input.unitCode is required for a UNIT token: the code of the unit its officer acts for');
    const code = nfc(rawUnitCode!);
    const [unit]: { id: number }[] = await this.db.query('SELECT id FROM unit WHERE code = $1', [code]);
    if (!unit) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `input.unitCode: no unit has the code ${quoted(code)}`, 'input.unitCode');
    return unit.id;
  }

  /** API tokens (of a role), oldest first, revoked ones included: never a secret or a hash. */
  async tokens(role?: Role | null): Promise<TokenRow[]> {
    return role == null
      ? this.db.query(`SELECT ${TOKEN_COLUMNS} FROM api_token ORDER BY id`)
      : this.db.query(`SELECT ${TOKEN_COLUMNS} FROM api_token WHERE role = $1 ORDER BY id`, [role]);
  }

  /**
   * Revokes an API token by its public id; audited in the same transaction.
   * Every instance refuses it from its next request on: API tokens are
   * looked up in the database on every request (authenticate). Revoking a
   * revoked token keeps its first revocation time.
   */
  async revokeToken(rawId: string): Promise<TokenRow> {
    const publicId = String(rawId).trim();
    if (!UUID.test(publicId)) throw invalid('id', `id ${quoted(publicId)} is not a token id: use an id that tokens returned`);
    return this.db.transaction(async (tx) => {
      const [before]: TokenRow[] = await tx.query(`SELECT ${TOKEN_COLUMNS} FROM api_token WHERE public_id = $1 FOR UPDATE`, [publicId.toLowerCase()]);
      if (!before) throw new AppError(ErrorCode.TOKEN_NOT_FOUND, `id: no API token has the id ${quoted(publicId)}`, 'id');
      const [[after]]: [TokenRow[], number] = await tx.query(
        `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${TOKEN_COLUMNS}`, [before.id]);
      const unitCode = after.unitId === null ? null
        : ((await tx.query('SELECT code FROM unit WHERE id = $1', [after.unitId])) as { code: string }[])[0]?.code ?? null;
      const shown = (t: TokenRow) => ({ role: t.role, name: t.name, unitCode, revokedAt: t.revokedAt });
      await recordAudit(tx, { operation: 'revokeToken', unitCode, target: `token ${after.publicId}`, before: shown(before), after: shown(after) });
      return after;
    });
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

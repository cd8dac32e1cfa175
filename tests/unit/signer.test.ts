import type { Principal } from '../../src/auth/principal';
import { canSeeProvisional, ownUnitOf, seesProvisionalOf } from '../../src/auth/principal';
import { ResponseCache } from '../../src/cache/response-cache';
import { Role, ScoreRound } from '../../src/entities/enums';
import { AppError } from '../../src/errors/app-error';
import { signerOf } from '../../src/results/signer';

/** Who signs a submission's scores (API.md, People), and what a UNIT token reads: the rules without the service around them. */
const token = (role: Exclude<Role, Role.KIOSK>, name: string, unit: { id: number; code: string } | null = null, tokenId = 1): Principal =>
  ({ kind: 'token', role, name, tokenId, unitId: unit?.id ?? null, unitCode: unit?.code ?? null });
const STP = { id: 1, code: 'STP' };
const SYT = { id: 2, code: 'SYT' };
const kiosk: Principal = { kind: 'kiosk', role: Role.KIOSK, name: 'Quầy 1', kioskId: 7, unitId: STP.id };

/** The refusal's code and field, or the panelist signed. */
function outcome(by: Principal | string, unit: { id: number; code: string }, round: ScoreRound, given?: string | null): string {
  try {
    return signerOf(by, unit, round, given);
  } catch (e) {
    if (e instanceof AppError) return `${e.code} ${e.field}`;
    throw e;
  }
}

describe('signerOf', () => {
  const p1 = token(Role.APPRAISER, 'Nguyễn Văn A');
  const officer = token(Role.UNIT, 'Cán bộ', STP);
  const admin = token(Role.ADMIN, 'admin');

  test('an APPRAISER signs as its name, in APPRAISAL and REAPPRAISAL only', () => {
    expect(outcome(p1, STP, ScoreRound.APPRAISAL)).toBe('Nguyễn Văn A');
    // Its own name given, in another Unicode form (NFD) and with spaces: the same name.
    expect(outcome(p1, STP, ScoreRound.REAPPRAISAL, ' Nguyễn Văn A '.normalize('NFD'))).toBe('Nguyễn Văn A');
    expect(outcome(p1, STP, ScoreRound.APPRAISAL, 'P2')).toBe('FORBIDDEN input.panelist');
    expect(outcome(p1, STP, ScoreRound.SELF_ASSESSMENT)).toBe('FORBIDDEN input.round');
  });

  test("a UNIT token signs its own unit's SELF_ASSESSMENT as the unit's code, nothing else", () => {
    expect(outcome(officer, STP, ScoreRound.SELF_ASSESSMENT)).toBe('STP');
    expect(outcome(officer, STP, ScoreRound.SELF_ASSESSMENT, 'STP')).toBe('STP');
    expect(outcome(officer, STP, ScoreRound.SELF_ASSESSMENT, 'Giám đốc')).toBe('FORBIDDEN input.panelist');
    expect(outcome(officer, SYT, ScoreRound.SELF_ASSESSMENT)).toBe('FORBIDDEN input.unitCode');
    expect(outcome(officer, STP, ScoreRound.APPRAISAL)).toBe('FORBIDDEN input.round');
  });

  test('ADMIN signs as the panelist it names, else as itself; the service itself as the name it passes', () => {
    expect(outcome(admin, SYT, ScoreRound.SELF_ASSESSMENT, 'Sở Y tế (tự đánh giá)')).toBe('Sở Y tế (tự đánh giá)');
    expect(outcome(admin, STP, ScoreRound.APPRAISAL)).toBe('admin');
    expect(outcome('demo-seed', STP, ScoreRound.APPRAISAL)).toBe('demo-seed');
    expect(outcome('demo-seed', STP, ScoreRound.APPRAISAL, 'P3')).toBe('P3');
  });

  test('an ANALYST or a kiosk signs nothing', () => {
    expect(outcome(token(Role.ANALYST, 'a'), STP, ScoreRound.APPRAISAL)).toBe('FORBIDDEN input');
    expect(outcome(kiosk, STP, ScoreRound.SELF_ASSESSMENT)).toBe('FORBIDDEN input');
  });
});

describe('what a UNIT token reads', () => {
  const officer = token(Role.UNIT, 'Cán bộ', STP, 11);

  test("its own unit's provisional results only; every provisional result for the council's readers; none for kiosks and anonymous readers", () => {
    expect([seesProvisionalOf(officer, STP.id), seesProvisionalOf(officer, SYT.id), canSeeProvisional(officer)]).toEqual([true, false, false]);
    for (const role of [Role.ADMIN, Role.APPRAISER, Role.ANALYST] as const) {
      expect([seesProvisionalOf(token(role, 'x'), SYT.id), canSeeProvisional(token(role, 'x'))]).toEqual([true, true]);
    }
    expect([seesProvisionalOf(kiosk, STP.id), seesProvisionalOf(null, STP.id)]).toEqual([false, false]);
    // A kiosk's unit is where it stands, not a unit it reads for.
    expect([ownUnitOf(officer), ownUnitOf(kiosk), ownUnitOf(null)]).toEqual([STP.id, null, null]);
  });

  test('each UNIT token has a response-cache partition of its own; other roles share theirs', () => {
    const other = token(Role.UNIT, 'Cán bộ 2', STP, 12);
    expect(ResponseCache.partition(officer)).not.toBe(ResponseCache.partition(other));
    expect(ResponseCache.partition(officer)).not.toBe(ResponseCache.partition(null));
    expect(ResponseCache.partition(token(Role.ANALYST, 'a', null, 3))).toBe(ResponseCache.partition(token(Role.ANALYST, 'b', null, 4)));
  });
});

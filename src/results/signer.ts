import type { Principal } from '../auth/principal';
import { Role, ScoreRound } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import { nfc, quoted } from '../util/text';

/** The rounds an APPRAISER scores: the council's, never a unit's self-assessment. */
const APPRAISER_ROUNDS: readonly ScoreRound[] = [ScoreRound.APPRAISAL, ScoreRound.REAPPRAISAL];

function forbidden(field: string, message: string): AppError {
  return new AppError(ErrorCode.FORBIDDEN, message, field);
}

/**
 * Who signs a submission's scores, and whether the caller may (API.md,
 * People); the panelist the scores are stored under. Refusals are
 * FORBIDDEN naming the field, before anything is read or written.
 *
 * - ADMIN enters for anyone: the `panelist` given, else its own name.
 * - APPRAISER is one panelist, its token's name: another `panelist` is
 *   refused; rounds APPRAISAL and REAPPRAISAL only.
 * - UNIT enters its own unit's SELF_ASSESSMENT only, signed by the unit:
 *   the panelist is the unit's code, whichever of its officers typed it (one
 *   self-assessment per unit; the audit records who typed it).
 * - A bare name: the service itself (the seed, benchmarks), as ADMIN.
 */
export function signerOf(
  by: Principal | string, unit: { id: number; code: string }, round: ScoreRound, given: string | null | undefined,
): string {
  const named = given == null ? null : nfc(given);
  if (typeof by === 'string') return named ?? by;
  switch (by.role) {
    case Role.ADMIN:
      return named ?? by.name;
    case Role.APPRAISER:
      if (!APPRAISER_ROUNDS.includes(round)) {
        throw forbidden('input.round', `An APPRAISER scores the rounds ${APPRAISER_ROUNDS.join(' and ')} only; ${round} is not one of them`);
      }
      if (named !== null && named !== nfc(by.name)) {
        throw forbidden('input.panelist', `An APPRAISER signs only their own scores: input.panelist must be ${quoted(by.name)} (the token's name) or left out, not ${quoted(named)}`);
      }
      return by.name;
    case Role.UNIT:
      if (by.unitId !== unit.id) {
        throw forbidden('input.unitCode', `A UNIT token enters scores for its own unit ${by.unitCode ?? ''} only, not for ${unit.code}`);
      }
      if (round !== ScoreRound.SELF_ASSESSMENT) {
        throw forbidden('input.round', `A UNIT token enters its ${ScoreRound.SELF_ASSESSMENT} only, not ${round}`);
      }
      if (named !== null && named !== unit.code) {
        throw forbidden('input.panelist', `A unit's self-assessment is signed by the unit: input.panelist must be ${quoted(unit.code)} or left out, not ${quoted(named)}`);
      }
      return unit.code;
    default:
      throw forbidden('input', `submitExpertScores is allowed to ADMIN, APPRAISER and UNIT, not to ${by.role}`);
  }
}

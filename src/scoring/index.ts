/**
 * The PAR INDEX method (docs/DOMAIN.md) as pure functions: no I/O, no ORM,
 * no GraphQL. Figures are exact; each published figure is rounded half-up to
 * two decimals once, at the end.
 *
 * method.ts holds the method's phases, written once over an arithmetic
 * kernel (kernel.ts): CENTS (cents-kernel.ts, whole hundredths in JS
 * numbers, fast) and RATIONAL (rational-kernel.ts, BigInt fractions, for
 * what CENTS cannot hold). computeUnitResult (index-method.ts) runs CENTS
 * and falls back to RATIONAL; computeUnitResultExact (exact-method.ts)
 * runs RATIONAL only, the yardstick of the tests.
 */
export type {
  Adjustment,
  Aggregation,
  BandSpec,
  DecimalInput,
  DomainOutcome,
  DomainSpec,
  FrameworkSpec,
  LeafOutcome,
  LeafSpec,
  LeafStatus,
  PanelScore,
  Rankable,
  RankingSummaryOutcome,
  Round,
  Source,
  SurveyTally,
  UnitInput,
  UnitOutcome,
} from './types';
export { ScoringDecimal, roundHalfUp2, toDecimal } from './decimal';
export { ScoringInputError } from './errors';
export { ROUNDS_LATEST_FIRST } from './panel';
export { DEFAULT_BANDS, classify } from './bands';
export { FRAMEWORK_DEFAULTS, computeUnitResult, prepareFramework } from './index-method';
export type { PreparedFramework } from './index-method';
export { leafInputs } from './method';
export type { LeafInputs, PanelInput } from './method';
export { compareVietnamese, listingOrder, rankChange, rankItems, summarize } from './ranking';
export { MAX_POINT_DECIMALS, describeInvalidAdjustment, describeInvalidPoints } from './validation';

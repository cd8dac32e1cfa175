import { checkFramework, computeOutcome, kernelFigures } from './method';
import { RATIONAL } from './rational-kernel';
import type { FrameworkSpec, UnitInput, UnitOutcome } from './types';

export { FRAMEWORK_DEFAULTS } from './method';

/**
 * The index method on BigInt fractions throughout: the method's phases
 * (method.ts) with the RATIONAL kernel, checking the framework on every
 * call. computeUnitResult (index-method.ts) runs the same phases with the
 * CENTS kernel and falls back to this arithmetic for figures that kernel
 * cannot hold; the tests that compare both check that the two arithmetics
 * agree.
 *
 * The index of one unit in one year under one framework (DOMAIN.md, "The
 * index"):
 *
 *     earned = Σ earned points of applicable leaves + bonus − penalty
 *     max    = Σ maximum points of applicable leaves
 *     index  = 100 × earned / max, clamped to [0, 100]
 *
 * with domain and component (expert, survey) indices as the same ratio
 * without bonus and penalty. Exact throughout; each published figure is
 * rounded half-up to two decimals once, at the end. Pure: refuses invalid
 * figures with a ScoringInputError, never clips them.
 */
export function computeUnitResultExact(framework: FrameworkSpec, input: UnitInput): UnitOutcome {
  const f = checkFramework(framework);
  // The RATIONAL kernel holds any figure.
  return computeOutcome(RATIONAL, f, kernelFigures(RATIONAL, f)!, input);
}

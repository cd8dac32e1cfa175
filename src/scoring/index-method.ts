import { CENTS, type Cents } from './cents-kernel';
import { OVERFLOW } from './fast-number';
import { checkFramework, computeOutcome, type KernelFigures, kernelFigures, type MethodFramework } from './method';
import { RATIONAL } from './rational-kernel';
import type { Ratio } from './ratio';
import type { FrameworkSpec, UnitInput, UnitOutcome } from './types';

export { FRAMEWORK_DEFAULTS } from './method';

/*
 * computeUnitResult: the method's phases (method.ts) with the CENTS kernel,
 * the framework checked and converted once (prepareFramework, kept per
 * FrameworkSpec object), and the RATIONAL kernel for a unit whose figures
 * the CENTS kernel cannot hold (it throws OVERFLOW) or a framework whose
 * figures it cannot (a maximum or cap beyond 2^53 hundredths).
 */

const PREPARED = Symbol('PreparedFramework');

/**
 * A framework checked and converted once, for computing many units:
 * `computeUnitResult(prepareFramework(spec), input)`. Holds the spec it was
 * made from; the spec must not change afterwards.
 */
export interface PreparedFramework {
  readonly [PREPARED]: true;
  readonly spec: FrameworkSpec;
}

interface Prepared extends PreparedFramework {
  readonly method: MethodFramework;
  /** Null when the CENTS kernel cannot hold a figure of the framework. */
  readonly cents: KernelFigures<Cents> | null;
  readonly rational: KernelFigures<Ratio>;
  /** What the preparation was made from, to notice a replaced part of the spec. */
  readonly snapshot: readonly unknown[];
}

const snapshotOf = (f: FrameworkSpec): unknown[] => [
  f.domains,
  f.domains.length,
  f.leaves,
  f.leaves.length,
  f.aggregation,
  f.minResponses,
  f.maxBonus,
  f.maxPenalty,
  f.bands,
  f.bands?.length,
];

/** snapshotOf(f) is still `snapshot` (checked without making a new one: this runs once per unit). */
const unchanged = (f: FrameworkSpec, snapshot: readonly unknown[]): boolean =>
  snapshot[0] === f.domains &&
  snapshot[1] === f.domains.length &&
  snapshot[2] === f.leaves &&
  snapshot[3] === f.leaves.length &&
  snapshot[4] === f.aggregation &&
  snapshot[5] === f.minResponses &&
  snapshot[6] === f.maxBonus &&
  snapshot[7] === f.maxPenalty &&
  snapshot[8] === f.bands &&
  snapshot[9] === f.bands?.length;

/**
 * Checks a framework and converts it once for computeUnitResult; throws the
 * ScoringInputError computeUnitResult would throw for it.
 */
export function prepareFramework(framework: FrameworkSpec): PreparedFramework {
  const method = checkFramework(framework);
  const prepared: Prepared = {
    [PREPARED]: true,
    spec: framework,
    method,
    cents: kernelFigures(CENTS, method),
    rational: kernelFigures(RATIONAL, method)!,
    snapshot: snapshotOf(framework),
  };
  return prepared;
}

const preparations = new WeakMap<FrameworkSpec, Prepared>();

function isPrepared(f: FrameworkSpec | PreparedFramework): f is Prepared {
  return (f as PreparedFramework)[PREPARED] === true;
}

/** The preparation of a spec, made once per spec object (again if a part of it was replaced). */
function preparedOf(framework: FrameworkSpec): Prepared {
  const cached = preparations.get(framework);
  if (cached !== undefined && unchanged(framework, cached.snapshot)) return cached;
  const prepared = prepareFramework(framework) as Prepared;
  preparations.set(framework, prepared);
  return prepared;
}

/**
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
 * figures with a ScoringInputError, never clips them. A unit with no
 * applicable leaf (max 0) has no index: score and band are null.
 *
 * `framework` is a FrameworkSpec or, to compute many units, its
 * prepareFramework(); a FrameworkSpec is prepared once per object (keep
 * passing the same object, and do not change it in place).
 */
export function computeUnitResult(framework: FrameworkSpec | PreparedFramework, input: UnitInput): UnitOutcome {
  const p = isPrepared(framework) ? framework : preparedOf(framework as FrameworkSpec);
  if (p.cents !== null) {
    try {
      return computeOutcome(CENTS, p.method, p.cents, input);
    } catch (error) {
      if (error !== OVERFLOW) throw error;
    }
  }
  return computeOutcome(RATIONAL, p.method, p.rational, input);
}

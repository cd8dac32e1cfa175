import type Decimal from 'decimal.js';

import { classify } from './bands';
import { ratioToDecimal, toRatio } from './decimal';
import { ScoringInputError } from './errors';
import {
  adjustment,
  assertRound,
  checkAdjustments,
  checkFramework,
  computeUnitResultExact,
  FRAMEWORK_DEFAULTS,
  leafOf,
} from './exact-method';
import { CentsSum, centsDecimal, gcd, generalCents, OVERFLOW, plainCents, quotientDecimal, safe } from './fast-number';
import { cmp, type Ratio } from './ratio';
import type {
  BandSpec,
  DomainOutcome,
  FrameworkSpec,
  LeafOutcome,
  LeafSpec,
  LeafStatus,
  Round,
  SurveyTally,
  UnitInput,
  UnitOutcome,
} from './types';
import { assertCount, assertValid, describeInvalidPoints } from './validation';

export { FRAMEWORK_DEFAULTS };

/*
 * The method of exact-method.ts (computeUnitResultExact), computed fast:
 *
 * - the framework is checked and converted once (prepareFramework), and the
 *   preparation is kept per FrameworkSpec object;
 * - points are whole numbers of hundredths ("cents") in JS numbers, read
 *   from plain decimal strings without decimal.js; sums are fractions of
 *   such numbers (a mean of n panelists: sum / n; a survey leaf:
 *   max × satisfied / answers). Every operation checks that it stays within
 *   the safe integers (< 2^53), where JS arithmetic is exact; a unit whose
 *   figures leave them is computed by computeUnitResultExact instead;
 * - Decimals are made for the published figures only, shared between units
 *   for whole numbers of cents (Decimals are immutable); a leaf's earned
 *   points that are not whole cents are made when first read.
 *
 * Validation is the same, in the same order, with the same messages: the
 * fast reading only takes plain figures it can read exactly and hands any
 * other to the validation functions and decimal.js, as before.
 */

const Kind = { EXPERT: 0, SURVEY: 1 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface PreparedLeaf {
  readonly spec: LeafSpec;
  readonly id: string;
  readonly code: string;
  readonly kind: Kind;
  /** Index of the leaf's domain in framework.domains. */
  readonly domain: number;
  readonly maxCents: number;
  /** The published maximum, as the exact method makes it. */
  readonly maxDecimal: Decimal;
}

interface PreparedBand {
  readonly band: BandSpec;
  /** The least rounded score in cents that reaches the band. */
  readonly minCents: number;
}

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
  /** False when the fast form does not apply (a maximum that is not whole cents): the exact method runs. */
  readonly fast: boolean;
  readonly leaves: readonly PreparedLeaf[];
  readonly leafIndex: ReadonlyMap<string, number>;
  /** For the error messages of the exact method. */
  readonly leafMap: Map<string, { spec: LeafSpec; max: Ratio }>;
  readonly median: boolean;
  readonly minResponses: number;
  /** Highest first, as classify orders them; null when classify must run (it then refuses a band). */
  readonly bands: readonly PreparedBand[] | null;
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

function prepareBands(bands: readonly BandSpec[]): PreparedBand[] | null {
  try {
    const withMin = bands.map((band) => ({ band, min: toRatio(band.minScore) }));
    // Stable sort, highest first: the order classify gives.
    withMin.sort((a, b) => cmp(b.min, a.min));
    return withMin.map(({ band, min }) => {
      // ceil(min × 100): the rounded score in cents reaches min iff it reaches this.
      const scaled = min.n * 100n;
      let c = scaled / min.d;
      if (c * min.d < scaled) c += 1n;
      const minCents = c > 1_000_000n ? Infinity : c < -1_000_000n ? -Infinity : Number(c);
      return { band, minCents };
    });
  } catch {
    return null;
  }
}

/**
 * Checks a framework and converts it once for computeUnitResult; throws the
 * ScoringInputError computeUnitResult would throw for it.
 */
export function prepareFramework(framework: FrameworkSpec): PreparedFramework {
  const leafMap = checkFramework(framework);
  const domainIndex = new Map(framework.domains.map((d, i) => [d.code, i]));
  let fast = true;
  let totalMax = 0;
  const leaves: PreparedLeaf[] = [];
  const leafIndex = new Map<string, number>();
  for (const { spec, max } of leafMap.values()) {
    const scaled = max.n * 100n;
    let maxCents = -1;
    if (scaled % max.d === 0n && scaled / max.d <= BigInt(Number.MAX_SAFE_INTEGER)) maxCents = Number(scaled / max.d);
    if (maxCents < 0 || !Number.isSafeInteger(totalMax + maxCents)) fast = false;
    else totalMax += maxCents;
    leafIndex.set(spec.id, leaves.length);
    leaves.push({
      spec,
      id: spec.id,
      code: spec.code,
      kind: spec.source === 'EXPERT' ? Kind.EXPERT : Kind.SURVEY,
      domain: domainIndex.get(spec.domainCode) as number,
      maxCents,
      maxDecimal: ratioToDecimal(max),
    });
  }
  const prepared: Prepared = {
    [PREPARED]: true,
    spec: framework,
    fast,
    leaves,
    leafIndex,
    leafMap,
    median: framework.aggregation === 'MEDIAN',
    minResponses: framework.minResponses,
    bands: prepareBands(framework.bands),
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
  if (cached !== undefined) {
    const now = snapshotOf(framework);
    if (now.every((v, i) => v === cached.snapshot[i])) return cached;
  }
  const prepared = prepareFramework(framework) as Prepared;
  preparations.set(framework, prepared);
  return prepared;
}

function roundRank(round: unknown): number {
  switch (round) {
    case 'SELF_ASSESSMENT':
      return 0;
    case 'APPRAISAL':
      return 1;
    case 'REAPPRAISAL':
      return 2;
    default:
      return -1;
  }
}

const ROUND_OF_RANK: readonly Round[] = ['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'];

interface Entry {
  rank: number;
  panelist: string;
  /** -1: no points (not applicable, or none given). */
  cents: number;
  notApplicable: boolean;
  /** The leaf's previous entry: a list without an array for the usual single entry. */
  next: Entry | undefined;
}

/** The duplicate rule of the exact method: same round and panelist, as JSON.stringify sees them. */
function samePanelist(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return JSON.stringify([a]) === JSON.stringify([b]);
}

/** A fraction of cents (d > 1) as the exact method shows it: a Decimal of 40 digits. */
function fractionDecimal(n: number, d: number): Decimal {
  const g = gcd(n, d);
  const num = BigInt(n / g);
  let den = BigInt(d / g) * 100n;
  let top = num;
  // Reduce by what 100 shares with the numerator.
  for (const f of [2n, 2n, 5n, 5n]) {
    if (top % f === 0n && den % f === 0n) {
      top /= f;
      den /= f;
    }
  }
  return quotientDecimal(top, den);
}

/** n / d cents (d > 0) as the exact method shows it. */
function sumDecimal(n: number, d: number): Decimal {
  return d === 1 ? centsDecimal(n) : fractionDecimal(n, d);
}

/** 100 × (n / d) / maxCents, clamped to [0, 100], rounded half-up, in cents; maxCents > 0. */
function indexCents(n: number, d: number, maxCents: number): number {
  if (n <= 0) return 0;
  const dm = safe(d * maxCents);
  if (n >= dm) return 10000;
  // floor((20000 n + d m) / (2 d m)), exactly
  const top = safe(safe(20000 * n) + dm);
  const bottom = safe(2 * dm);
  let q = Math.floor(top / bottom);
  const r = top - q * bottom;
  if (r < 0) q -= 1;
  else if (r >= bottom) q += 1;
  return q;
}

function leafOutcome(
  leaf: PreparedLeaf,
  status: LeafStatus,
  applicable: boolean,
  n: number,
  d: number,
  max: Decimal,
  round: Round | null,
): LeafOutcome {
  const source = leaf.spec.source;
  if (d === 1) {
    return { leafId: leaf.id, code: leaf.code, source, status, applicable, earned: centsDecimal(n), max, round };
  }
  let earned: Decimal | undefined;
  return {
    leafId: leaf.id,
    code: leaf.code,
    source,
    status,
    applicable,
    get earned(): Decimal {
      return (earned ??= fractionDecimal(n, d));
    },
    set earned(value: Decimal) {
      earned = value;
    },
    max,
    round,
  };
}

/** A bonus or penalty of the exact method as a fraction of cents. */
function adjustmentCents(value: Ratio): [number, number] {
  const n = value.n * 100n;
  const g = gcdBig(n, value.d);
  const num = Number(n / g);
  const den = Number(value.d / g);
  return [safe(num), safe(den)];
}

function gcdBig(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function fastUnitResult(p: Prepared, input: UnitInput): UnitOutcome {
  const framework = p.spec;
  const leaves = p.leaves;
  const count = leaves.length;

  // Panel scores, checked in the exact method's order.
  const entries: (Entry | undefined)[] = new Array(count);
  for (const score of input.panelScores) {
    const index = p.leafIndex.get(score.leafId);
    if (index === undefined || leaves[index].kind !== Kind.EXPERT) {
      leafOf(p.leafMap, score.leafId, 'EXPERT', 'a panel score'); // throws
    }
    const leaf = leaves[index as number];
    const rank = roundRank(score.round);
    if (rank < 0) assertRound(score.round, `the score of panelist ${score.panelist} for criterion ${leaf.code}`);
    const previous = entries[index as number];
    for (let e = previous; e !== undefined; e = e.next) {
      if (e.rank === rank && samePanelist(e.panelist, score.panelist)) {
        throw new ScoringInputError(`panelist ${score.panelist} scored criterion ${leaf.code} twice in ${score.round}`);
      }
    }
    let cents = -1;
    const points = score.points;
    const notApplicable = !!score.notApplicable;
    if (points !== null && points !== undefined && !notApplicable) {
      cents = plainCents(points);
      if (cents < 0 || cents > leaf.maxCents) {
        assertValid(describeInvalidPoints(points, leaf.spec.maxPoints, leaf.code));
        cents = generalCents(points);
        if (cents < 0) throw OVERFLOW;
      }
    }
    entries[index as number] = { rank, panelist: score.panelist, cents, notApplicable, next: previous };
  }

  // Survey tallies.
  const tallies: (SurveyTally | undefined)[] = new Array(count);
  for (const tally of input.surveyTallies) {
    const index = p.leafIndex.get(tally.leafId);
    if (index === undefined || leaves[index].kind !== Kind.SURVEY) {
      leafOf(p.leafMap, tally.leafId, 'SURVEY', 'a survey tally'); // throws
    }
    const code = leaves[index as number].code;
    if (tallies[index as number] !== undefined) throw new ScoringInputError(`criterion ${code} has two survey tallies`);
    assertCount(tally.responses, `responses of criterion ${code}`);
    assertCount(tally.answers, `answers of criterion ${code}`);
    assertCount(tally.satisfied, `satisfied answers of criterion ${code}`);
    if (tally.satisfied > tally.answers) {
      throw new ScoringInputError(
        `criterion ${code} has ${tally.satisfied} satisfied answers out of only ${tally.answers} answers`,
      );
    }
    tallies[index as number] = tally;
  }

  // Bonus and penalty: rare, by the exact method's code.
  let bonusDecimal: Decimal;
  let penaltyDecimal: Decimal;
  let adjustmentProvisional = false;
  const adjustments = new CentsSum();
  if (input.adjustments.length === 0) {
    bonusDecimal = penaltyDecimal = centsDecimal(0);
  } else {
    checkAdjustments(input.adjustments);
    const bonus = adjustment(framework, input.adjustments, 'bonus');
    const penalty = adjustment(framework, input.adjustments, 'penalty');
    const [bn, bd] = adjustmentCents(bonus.value);
    const [pn, pd] = adjustmentCents(penalty.value);
    adjustments.add(bn, bd);
    adjustments.add(-pn, pd);
    bonusDecimal = ratioToDecimal(bonus.value);
    penaltyDecimal = ratioToDecimal(penalty.value);
    adjustmentProvisional = bonus.round === 'SELF_ASSESSMENT' || penalty.round === 'SELF_ASSESSMENT';
  }

  // The leaves.
  const domainCount = framework.domains.length;
  const domainEarned: CentsSum[] = new Array(domainCount);
  const domainMax: number[] = new Array(domainCount).fill(0);
  for (let i = 0; i < domainCount; i++) domainEarned[i] = new CentsSum();
  const expertEarned = new CentsSum();
  const surveyEarned = new CentsSum();
  let expertMax = 0;
  let surveyMax = 0;
  let provisional = adjustmentProvisional;
  let surveyInsufficient = false;
  const zero = centsDecimal(0);
  const outLeaves: LeafOutcome[] = new Array(count);

  for (let i = 0; i < count; i++) {
    const leaf = leaves[i];
    let n = 0;
    let d = 1;
    let round: Round | null = null;
    if (leaf.kind === Kind.EXPERT) {
      const list = entries[i];
      let best = -1;
      for (let e = list; e !== undefined; e = e.next) if ((e.notApplicable || e.cents >= 0) && e.rank > best) best = e.rank;
      if (best < 0) {
        provisional = true;
        outLeaves[i] = leafOutcome(leaf, 'MISSING', true, 0, 1, leaf.maxDecimal, null);
        expertMax += leaf.maxCents;
        domainMax[leaf.domain] += leaf.maxCents;
        continue;
      }
      round = ROUND_OF_RANK[best];
      if (best === 0) provisional = true;
      let scored = 0;
      let total = 0;
      for (let e = list; e !== undefined; e = e.next) {
        if (e.rank === best && !e.notApplicable && e.cents >= 0) {
          scored++;
          total = safe(total + e.cents);
        }
      }
      if (scored === 0) {
        outLeaves[i] = leafOutcome(leaf, 'NOT_APPLICABLE', false, 0, 1, zero, round);
        continue;
      }
      if (scored === 1) {
        n = total;
      } else if (!p.median) {
        n = total;
        d = scored;
      } else {
        const values: number[] = [];
        for (let e = list; e !== undefined; e = e.next) {
          if (e.rank === best && !e.notApplicable && e.cents >= 0) values.push(e.cents);
        }
        values.sort((a, b) => a - b);
        const middle = values.length >> 1;
        if (values.length % 2 === 1) n = values[middle];
        else {
          n = values[middle - 1] + values[middle];
          d = 2;
        }
      }
      if (d !== 1) {
        const g = gcd(n, d);
        n /= g;
        d /= g;
      }
      expertEarned.add(n, d);
      expertMax += leaf.maxCents;
    } else {
      const tally = tallies[i];
      const responses = tally?.responses ?? 0;
      const answers = tally?.answers ?? 0;
      if (responses < p.minResponses || answers === 0) {
        surveyInsufficient = true;
        outLeaves[i] = leafOutcome(leaf, 'SURVEY_INSUFFICIENT', false, 0, 1, zero, null);
        continue;
      }
      const satisfied = (tally as SurveyTally).satisfied;
      const g = gcd(satisfied, answers);
      n = safe(leaf.maxCents * (satisfied / g));
      d = answers / g;
      if (d !== 1) {
        const h = gcd(n, d);
        n /= h;
        d /= h;
      }
      surveyEarned.add(n, d);
      surveyMax += leaf.maxCents;
    }
    domainEarned[leaf.domain].add(n, d);
    domainMax[leaf.domain] += leaf.maxCents;
    outLeaves[i] = leafOutcome(leaf, 'SCORED', true, n, d, leaf.maxDecimal, round);
  }

  // Totals: all leaves = expert + survey; earned adds bonus − penalty.
  const all = new CentsSum();
  all.add(expertEarned.i, 1);
  if (expertEarned.n !== 0) all.add(expertEarned.n, expertEarned.d);
  all.add(surveyEarned.i, 1);
  if (surveyEarned.n !== 0) all.add(surveyEarned.n, surveyEarned.d);
  if (adjustments.i !== 0) all.add(adjustments.i, 1);
  if (adjustments.n !== 0) all.add(adjustments.n, adjustments.d);
  const maxAll = expertMax + surveyMax;
  const earnedN = all.numerator();
  // No applicable leaf: no index, so no band (DOMAIN.md, API.md "applicable maximum is 0").
  const scoreCents = maxAll === 0 ? null : indexCents(earnedN, all.d, maxAll);
  const score = scoreCents === null ? null : centsDecimal(scoreCents);

  let band: BandSpec | null = null;
  if (scoreCents === null || score === null) {
    band = null;
  } else if (p.bands !== null) {
    for (const b of p.bands) {
      if (scoreCents >= b.minCents) {
        band = b.band;
        break;
      }
    }
  } else {
    band = classify(score, framework.bands);
  }

  const domains: DomainOutcome[] = new Array(domainCount);
  for (let i = 0; i < domainCount; i++) {
    const sum = domainEarned[i];
    const n = sum.numerator();
    const max = domainMax[i];
    const spec = framework.domains[i];
    domains[i] = {
      code: spec.code,
      name: spec.name,
      earned: sumDecimal(n, sum.d),
      max: centsDecimal(max),
      score: max === 0 ? null : centsDecimal(indexCents(n, sum.d, max)),
    };
  }

  return {
    earned: sumDecimal(earnedN, all.d),
    max: centsDecimal(maxAll),
    score,
    expertScore: expertMax === 0 ? null : centsDecimal(indexCents(expertEarned.numerator(), expertEarned.d, expertMax)),
    surveyScore: surveyMax === 0 ? null : centsDecimal(indexCents(surveyEarned.numerator(), surveyEarned.d, surveyMax)),
    bonus: bonusDecimal,
    penalty: penaltyDecimal,
    domains,
    band,
    provisional,
    surveyInsufficient,
    leaves: outLeaves,
  };
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
 * figures with a ScoringInputError, never clips them.
 *
 * `framework` is a FrameworkSpec or, to compute many units, its
 * prepareFramework(); a FrameworkSpec is prepared once per object (keep
 * passing the same object, and do not change it in place).
 */
export function computeUnitResult(framework: FrameworkSpec | PreparedFramework, input: UnitInput): UnitOutcome {
  const prepared = isPrepared(framework) ? framework : preparedOf(framework as FrameworkSpec);
  if (!prepared.fast) return computeUnitResultExact(prepared.spec, input);
  try {
    return fastUnitResult(prepared, input);
  } catch (error) {
    if (error === OVERFLOW) return computeUnitResultExact(prepared.spec, input);
    throw error;
  }
}

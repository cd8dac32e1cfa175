import { type Aggregation, computeUnitResult, type FrameworkSpec, prepareFramework, type UnitInput } from '../scoring';
import type { SensitivityJob } from './sensitivity-kernel';

/*
 * What a sensitivity analysis computes once before its draws: per unit and
 * domain, the points earned and the applicable maximum of each source under
 * each panel aggregation, taken from the index method's own leaf outcomes
 * (computeUnitResult run once per unit and aggregation), so that the draws
 * (sensitivity-kernel.ts) only weigh and add them.
 */

/** The draws' parameters as checked (fractions of the maximum, not percent). */
export interface DrawParameters {
  draws: number; seed: number; shareLow: number; shareHigh: number; spread: number; aggregations: Aggregation[];
}

/** The framework's survey share of its maximum, as a fraction (0 without any maximum). */
export function surveyShareOf(spec: FrameworkSpec): number {
  let expert = 0;
  let survey = 0;
  for (const leaf of spec.leaves) {
    if (leaf.source === 'SURVEY') survey += Number(leaf.maxPoints);
    else expert += Number(leaf.maxPoints);
  }
  return expert + survey > 0 ? survey / (expert + survey) : 0;
}

/** The framework's bands highest first, the order the kernel's band indices follow (classify's order). */
export function bandsHighestFirst(spec: FrameworkSpec): FrameworkSpec['bands'] {
  return [...spec.bands].sort((a, b) => Number(b.minScore) - Number(a.minScore));
}

/** Lets the event loop serve others between slices of the precomputation. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const SLICE = 250;

/**
 * The job of a sensitivity analysis: the method run for every unit under
 * each aggregation drawn from, its leaves summed per domain and source. In
 * slices of SLICE units with the event loop served in between (about 5 ms
 * each), so that a national-scale year never holds the loop for long.
 */
export async function prepareJob<F>(
  spec: FrameworkSpec, units: F[], inputOf: (unit: F) => UnitInput, params: DrawParameters,
): Promise<SensitivityJob> {
  const n = units.length;
  const D = spec.domains.length;
  const A = params.aggregations.length;
  const domainOf = new Map(spec.domains.map((d, i) => [d.code, i]));
  const leafDomain = spec.leaves.map((l) => domainOf.get(l.domainCode)!);
  const frameworkExpertMax = new Float64Array(D);
  const frameworkSurveyMax = new Float64Array(D);
  spec.leaves.forEach((leaf, i) => {
    (leaf.source === 'SURVEY' ? frameworkSurveyMax : frameworkExpertMax)[leafDomain[i]] += Number(leaf.maxPoints);
  });
  const job: SensitivityJob = {
    units: n, domains: D, aggregations: A,
    expertEarned: new Float64Array(A * n * D), expertMax: new Float64Array(n * D),
    surveyEarned: new Float64Array(n * D), surveyMax: new Float64Array(n * D),
    adjustment: new Float64Array(A * n),
    frameworkExpertMax, frameworkSurveyMax,
    bandMins: Int32Array.from(bandsHighestFirst(spec).map((b) => Math.ceil(Number(b.minScore) * 100 - 1e-9))),
    draws: params.draws, seed: params.seed, shareLow: params.shareLow, shareHigh: params.shareHigh, spread: params.spread,
  };
  const prepared = params.aggregations.map((aggregation) => prepareFramework({ ...spec, aggregation }));
  for (let start = 0; start < n; start += SLICE) {
    if (start > 0) await yieldToLoop();
    for (let u = start; u < Math.min(n, start + SLICE); u++) {
      const input = inputOf(units[u]);
      for (let a = 0; a < A; a++) {
        const outcome = computeUnitResult(prepared[a], input);
        job.adjustment[a * n + u] = outcome.bonus.minus(outcome.penalty).toNumber();
        outcome.leaves.forEach((leaf, i) => {
          const at = u * D + leafDomain[i];
          if (leaf.source === 'SURVEY') {
            if (a === 0) { job.surveyEarned[at] += leaf.earned.toNumber(); job.surveyMax[at] += leaf.max.toNumber(); }
          } else {
            job.expertEarned[a * n * D + at] += leaf.earned.toNumber();
            if (a === 0) job.expertMax[at] += leaf.max.toNumber();
          }
        });
      }
    }
  }
  return job;
}

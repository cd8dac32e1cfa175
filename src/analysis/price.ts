/*
 * What the analysts' operations cost in the query budget (the cost model:
 * src/protection/cost.ts), from their arguments before they run.
 *
 * `sensitivity` reads a whole year's inputs and runs the method once per
 * unit and aggregation drawn from (about what a full recomputation reads
 * and computes: BASE per aggregation), then its draws in the worker
 * (PER_DRAW each, two passes over every unit). At most 2 × 1,000 +
 * 10,000 × 1.5 = 17,000: the largest analysis fits an ANALYST's budget
 * (20,000) alone, and a token's per-second allowance (100,000) runs a
 * handful a second, which the one worker could not serve faster anyway.
 * `whatIf` reads one unit and counts over the stored ranking: a little
 * more than a unit's result.
 */
export const ANALYSIS_COST = { sensitivityBase: 1000, sensitivityPerDraw: 1.5, whatIf: 50 };

/** Draws a sensitivity analysis may ask for (input.draws). */
export const MAX_DRAWS = 10000;

type Args = Record<string, unknown>;

export function sensitivityPrice(args: Args): number {
  const input = (args.input ?? {}) as Args;
  const draws = typeof input.draws === 'number' && Number.isFinite(input.draws) ? Math.min(MAX_DRAWS, Math.max(1, input.draws)) : 1000;
  const aggregations = Array.isArray(input.aggregations) ? Math.max(1, Math.min(2, input.aggregations.length)) : 1;
  return ANALYSIS_COST.sensitivityBase * aggregations + Math.ceil(draws * ANALYSIS_COST.sensitivityPerDraw);
}

export function whatIfPrice(): number {
  return ANALYSIS_COST.whatIf;
}

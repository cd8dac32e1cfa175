/*
 * The draws of a sensitivity analysis (DOMAIN.md, "Explaining and testing
 * the figures"), as arithmetic over typed arrays: no imports, no I/O, so
 * that it runs in a worker thread (sensitivity.worker.ts) as well as here.
 *
 * What does not change between draws is computed once before
 * (sensitivity.ts, with the index method itself): per unit and domain, the
 * EXPERT points earned under each panel aggregation and their applicable
 * maximum, the SURVEY points earned and their maximum, and per unit and
 * aggregation bonus − penalty. A draw then picks
 *
 *   - the survey share s of the maximum, uniformly in [shareLow, shareHigh];
 *   - the panel aggregation, uniformly among those given;
 *   - a factor w_d per domain, uniformly in [1 − spread, 1 + spread];
 *
 * and weighs each domain's points of each source by
 *
 *   expert: w_d × (1 − s) × T / Σ w_d E_d      survey: w_d × s × T / Σ w_d S_d
 *
 * where E_d, S_d are the framework's expert and survey maxima of domain d
 * and T their total: the reweighted framework keeps its total maximum and
 * gives the survey exactly the share s of it (without survey leaves, or
 * without expert ones, the one source keeps it all). Bonus and penalty stay
 * points as given. Every unit's index is then 100 × earned / max, clamped
 * to [0, 100] and rounded half-up to hundredths (floating point here: a
 * draw is a what-if, not a published figure; a tolerance of 10⁻⁷ of a
 * hundredth keeps the framework's own weighting on the published figures),
 * ranked by standard competition ranking through a counting sort over the
 * 10,001 possible hundredths, and classified in the framework's bands.
 *
 * Per unit the kernel reports the median rank, the 5th and 95th percentile
 * ranks (nearest rank) and the draws in each band. Percentiles come from a
 * coarse histogram of each unit's ranks (a first pass over the draws) and a
 * fine one inside the bins that hold them (a second pass over the ranks
 * kept from the first, or, beyond KEEP of them, over the same draws
 * replayed from the seed), so that memory stays bounded whatever the
 * number of draws. The draws depend on the seed only: the same
 * job gives the same answer on any instance.
 */

export interface SensitivityJob {
  units: number;
  domains: number;
  /** Panel aggregations drawn from (0: the first given, …). */
  aggregations: number;
  /** [aggregation][unit][domain]: EXPERT points earned. */
  expertEarned: Float64Array;
  /** [unit][domain]: applicable EXPERT maximum. */
  expertMax: Float64Array;
  /** [unit][domain]: SURVEY points earned and applicable maximum. */
  surveyEarned: Float64Array;
  surveyMax: Float64Array;
  /** [aggregation][unit]: bonus − penalty. */
  adjustment: Float64Array;
  /** [domain]: the framework's EXPERT and SURVEY maxima. */
  frameworkExpertMax: Float64Array;
  frameworkSurveyMax: Float64Array;
  /** The bands' minimum scores in hundredths, highest first. */
  bandMins: Int32Array;
  draws: number;
  seed: number;
  /** Fractions of the maximum, 0 ≤ low ≤ high ≤ 1. */
  shareLow: number;
  shareHigh: number;
  /** 0 ≤ spread < 1. */
  spread: number;
}

export interface SensitivityOutcome {
  medianRank: Float64Array;
  rankLow: Int32Array;
  rankHigh: Int32Array;
  /** [unit][band]: draws in which the unit reached the band. */
  bandDraws: Int32Array;
}

/** mulberry32: a small, fast, seeded generator of uniform [0, 1) numbers, the same on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hundredths of a score: 0..10000; NO_INDEX when a unit has no applicable maximum under a draw. */
const NO_INDEX = -1;
const SLOTS = 10002; // NO_INDEX and 0..10000
const BINS = 128;
/** Ranks kept from the first pass (2 bytes each up to 65,535 units): 12,000 units × 1,000 draws fit, 10,000 draws replay. */
const KEEP = 16_000_000;

/** Calls `visit(ranks, bands)` once per draw, in draw order; `ranks` and `bands` are reused between draws. */
export function replay(job: SensitivityJob, visit: (ranks: Int32Array, bands: Int32Array) => void): void {
  const { units: n, domains: D, aggregations: A, draws } = job;
  const random = seededRandom(job.seed);
  let total = 0;
  for (let d = 0; d < D; d++) total += job.frameworkExpertMax[d] + job.frameworkSurveyMax[d];
  const coefE = new Float64Array(D);
  const coefS = new Float64Array(D);
  const weight = new Float64Array(D);
  const cents = new Int32Array(n);
  const count = new Int32Array(SLOTS);
  const above = new Int32Array(SLOTS);
  const ranks = new Int32Array(n);
  const bands = new Int32Array(n);
  const B = job.bandMins.length;
  for (let draw = 0; draw < draws; draw++) {
    // The draw: always the same numbers consumed in the same order.
    const s = job.shareLow + (job.shareHigh - job.shareLow) * random();
    const a = Math.min(A - 1, Math.floor(random() * A));
    let e = 0;
    let sv = 0;
    for (let d = 0; d < D; d++) {
      weight[d] = 1 + job.spread * (2 * random() - 1);
      e += weight[d] * job.frameworkExpertMax[d];
      sv += weight[d] * job.frameworkSurveyMax[d];
    }
    const aE = e > 0 ? (sv > 0 ? (1 - s) : 1) * total / e : 0;
    const aS = sv > 0 ? (e > 0 ? s : 1) * total / sv : 0;
    for (let d = 0; d < D; d++) { coefE[d] = weight[d] * aE; coefS[d] = weight[d] * aS; }

    count.fill(0);
    const earnedBase = a * n * D;
    for (let u = 0; u < n; u++) {
      let earned = job.adjustment[a * n + u];
      let max = 0;
      const row = u * D;
      for (let d = 0; d < D; d++) {
        earned += coefE[d] * job.expertEarned[earnedBase + row + d] + coefS[d] * job.surveyEarned[row + d];
        max += coefE[d] * job.expertMax[row + d] + coefS[d] * job.surveyMax[row + d];
      }
      let c = NO_INDEX;
      if (max > 0) {
        let index = (100 * earned) / max;
        index = index < 0 ? 0 : index > 100 ? 100 : index;
        c = Math.floor(index * 100 + 0.5 + 1e-7);
        if (c > 10000) c = 10000;
      }
      cents[u] = c;
      count[c + 1]++;
    }
    // above[k]: units strictly ahead of hundredths k − 1 (slot k); units without an index rank after all others.
    let ahead = 0;
    for (let k = SLOTS - 1; k >= 0; k--) { above[k] = ahead; ahead += count[k]; }
    for (let u = 0; u < n; u++) {
      const c = cents[u];
      ranks[u] = above[c + 1] + 1;
      let band = -1;
      if (c !== NO_INDEX) for (let b = 0; b < B; b++) if (c >= job.bandMins[b]) { band = b; break; }
      bands[u] = band;
    }
    visit(ranks, bands);
  }
}

/** `keep`: how many ranks the first pass may keep for the second (beyond, the second replays the draws). */
export function runSensitivity(job: SensitivityJob, keep = KEEP): SensitivityOutcome {
  const { units: n, draws } = job;
  const B = job.bandMins.length;
  const outcome: SensitivityOutcome = {
    medianRank: new Float64Array(n), rankLow: new Int32Array(n), rankHigh: new Int32Array(n), bandDraws: new Int32Array(n * B),
  };
  if (n === 0 || draws === 0) return outcome;
  // Ranks are 1..n; bin width W so that BINS bins cover them.
  const W = Math.max(1, Math.ceil(n / BINS));
  const bins = Math.ceil(n / W);
  // The order statistics wanted (0-based among a unit's sorted ranks): 5th percentile, the two middle ones, 95th.
  const targets = [
    Math.max(0, Math.ceil(0.05 * draws) - 1), Math.floor((draws - 1) / 2), Math.ceil((draws - 1) / 2), Math.max(0, Math.ceil(0.95 * draws) - 1),
  ];
  const T = targets.length;
  const coarse = new Uint32Array(n * bins);
  // Up to KEEP ranks are kept from the first pass, so that the second reads them instead of replaying the draws.
  const kept = n * draws <= keep ? (n <= 65535 ? new Uint16Array(n * draws) : new Uint32Array(n * draws)) : null;
  let drawn = 0;
  replay(job, (ranks, bands) => {
    kept?.set(ranks, n * drawn++);
    for (let u = 0; u < n; u++) {
      coarse[u * bins + Math.floor((ranks[u] - 1) / W)]++;
      if (bands[u] >= 0) outcome.bandDraws[u * B + bands[u]]++;
    }
  });
  // Per unit and target: the bin holding it and its place inside that bin.
  const bin = new Int32Array(n * T);
  const offset = new Int32Array(n * T);
  for (let u = 0; u < n; u++) {
    for (let t = 0; t < T; t++) {
      let seen = 0;
      let b = 0;
      while (b < bins - 1 && seen + coarse[u * bins + b] <= targets[t]) seen += coarse[u * bins + b++];
      bin[u * T + t] = b;
      offset[u * T + t] = targets[t] - seen;
    }
  }
  const value = new Int32Array(n * T);
  if (W === 1) {
    for (let i = 0; i < n * T; i++) value[i] = bin[i] + 1;
  } else {
    const fine = new Uint32Array(n * T * W);
    const count = (ranks: ArrayLike<number>, at: number) => {
      for (let u = 0; u < n; u++) {
        const r = ranks[at + u] - 1;
        const b = Math.floor(r / W);
        for (let t = 0; t < T; t++) if (bin[u * T + t] === b) fine[(u * T + t) * W + (r - b * W)]++;
      }
    };
    if (kept) for (let d = 0; d < draws; d++) count(kept, d * n);
    else replay(job, (ranks) => count(ranks, 0));
    for (let i = 0; i < n * T; i++) {
      let seen = 0;
      let k = 0;
      while (k < W - 1 && seen + fine[i * W + k] <= offset[i]) seen += fine[i * W + k++];
      value[i] = bin[i] * W + k + 1;
    }
  }
  for (let u = 0; u < n; u++) {
    outcome.rankLow[u] = value[u * T];
    outcome.medianRank[u] = (value[u * T + 1] + value[u * T + 2]) / 2;
    outcome.rankHigh[u] = value[u * T + 3];
  }
  return outcome;
}

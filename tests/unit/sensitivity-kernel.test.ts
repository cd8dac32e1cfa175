import { replay, runSensitivity, type SensitivityJob } from '../../src/analysis/sensitivity-kernel';

/**
 * A job of `n` units over two domains, each domain 50 points (expert 40,
 * survey 10): unit u earns `earned(u)` of the expert points of each domain
 * and all its survey points, under one aggregation.
 */
function job(n: number, earned: (u: number) => number, overrides: Partial<SensitivityJob> = {}): SensitivityJob {
  const D = 2;
  const expertEarned = new Float64Array(n * D);
  const expertMax = new Float64Array(n * D).fill(40);
  const surveyEarned = new Float64Array(n * D).fill(10);
  const surveyMax = new Float64Array(n * D).fill(10);
  for (let u = 0; u < n; u++) for (let d = 0; d < D; d++) expertEarned[u * D + d] = earned(u);
  return {
    units: n, domains: D, aggregations: 1, expertEarned, expertMax, surveyEarned, surveyMax,
    adjustment: new Float64Array(n), frameworkExpertMax: Float64Array.from([40, 40]), frameworkSurveyMax: Float64Array.from([10, 10]),
    bandMins: Int32Array.from([9000, 8000, 0]), draws: 200, seed: 7, shareLow: 0.2, shareHigh: 0.2, spread: 0, ...overrides,
  };
}

describe('sensitivity draws', () => {
  it('with no spread every unit stays at its rank, ties included (1, 2, 2, 4)', () => {
    // Expert points 40, 30, 30, 20 per domain → indices (80+20)/100 = 100, 80, 80, 60.
    const points = [40, 30, 30, 20];
    const out = runSensitivity(job(4, (u) => points[u]));
    expect([...out.rankLow]).toEqual([1, 2, 2, 4]);
    expect([...out.rankHigh]).toEqual([1, 2, 2, 4]);
    expect([...out.medianRank]).toEqual([1, 2, 2, 4]);
    // Bands (highest first: ≥ 90, ≥ 80, ≥ 0): 100 → first, 80 → second, 60 → third, in every draw.
    expect([...out.bandDraws]).toEqual([200, 0, 0, 0, 200, 0, 0, 200, 0, 0, 0, 200]);
  });

  it('a unit far ahead is first in every draw, however the weights move', () => {
    const out = runSensitivity(job(50, (u) => (u === 17 ? 40 : 5 + (u % 20)), { spread: 0.9, shareLow: 0, shareHigh: 1 }));
    expect(out.rankLow[17]).toBe(1);
    expect(out.rankHigh[17]).toBe(1);
    expect(out.medianRank[17]).toBe(1);
  });

  it('the same seed gives the same answer; another seed another', () => {
    const varied = (seed: number) => {
      const j = job(300, (u) => (u * 37) % 41, { seed, spread: 0.5, shareLow: 0.05, shareHigh: 0.6 });
      // Domain 1 favours some units, domain 2 others, so that weights move ranks.
      for (let u = 0; u < 300; u++) j.expertEarned[u * 2 + 1] = (u * 11) % 41;
      for (let u = 0; u < 300; u++) j.surveyEarned[u * 2] = (u * 7) % 11;
      return j;
    };
    const a = runSensitivity(varied(42));
    const b = runSensitivity(varied(42));
    const c = runSensitivity(varied(43));
    expect(b).toEqual(a);
    expect([...c.medianRank]).not.toEqual([...a.medianRank]);
  });

  it('percentiles from the two histogram passes equal those of every rank kept and sorted', () => {
    // 300 units: bins of 3 ranks, so the second pass decides within a bin.
    const j = job(300, (u) => (u * 37) % 41, { spread: 0.6, shareLow: 0, shareHigh: 0.8, draws: 101 });
    for (let u = 0; u < 300; u++) j.expertEarned[u * 2 + 1] = (u * 13) % 41;
    const kept: number[][] = Array.from({ length: 300 }, () => []);
    replay(j, (ranks) => ranks.forEach((r, u) => kept[u].push(r)));
    const out = runSensitivity(j);
    // The same whether the second pass reads the kept ranks or replays the draws from the seed.
    expect(runSensitivity(j, 0)).toEqual(out);
    let moved = 0;
    for (let u = 0; u < 300; u++) {
      const s = kept[u].sort((x, y) => x - y);
      // Nearest rank: the ceil(p × draws)-th smallest; 101 draws → the 6th, the 51st, the 96th.
      expect([out.rankLow[u], out.medianRank[u], out.rankHigh[u]]).toEqual([s[5], s[50], s[95]]);
      if (s[5] !== s[95]) moved++;
    }
    expect(moved).toBeGreaterThan(100);
  });

  it('a unit without an applicable maximum under a draw ranks after every unit with an index', () => {
    // Unit 2 has only survey points: with a survey share of 0 its maximum weighs nothing.
    const j = job(3, (u) => [40, 20, 0][u], { shareLow: 0, shareHigh: 0, draws: 3 });
    j.expertMax[4] = 0; j.expertMax[5] = 0;
    const out = runSensitivity(j);
    expect([...out.rankLow]).toEqual([1, 2, 3]);
    expect([out.bandDraws[6], out.bandDraws[7], out.bandDraws[8]]).toEqual([0, 0, 0]);
  });
});

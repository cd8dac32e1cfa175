import { ANALYSIS_COST, sensitivityPrice } from '../../src/analysis/price';
import { loadConfig } from '../../src/config/config';
import { ROOT_PRICES } from '../../src/query-plan/root-fields';

describe('what analyses cost in the query budget', () => {
  it('prices sensitivity by its draws and aggregations, the largest within an ANALYST budget', () => {
    // 1,000 draws, the cycle's aggregation: 1,000 + 1,000 × 1.5 = 2,500.
    expect(sensitivityPrice({ input: { year: 2024, unitKind: 'COMMUNE' } })).toBe(2500);
    // 10,000 draws over both aggregations: 2 × 1,000 + 15,000 = 17,000.
    const largest = sensitivityPrice({ input: { draws: 10000, aggregations: ['MEAN', 'MEDIAN'] } });
    expect(largest).toBe(17000);
    expect(largest).toBeLessThanOrEqual(loadConfig({}).queryLimits.budgets.ANALYST);
    expect(sensitivityPrice({ input: { draws: 100 } })).toBeLessThan(sensitivityPrice({ input: { draws: 5000 } }));
  });

  it('is the price the cost model adds to Query.sensitivity and Query.whatIf', () => {
    expect(ROOT_PRICES['Query.sensitivity']({ input: { draws: 4000 } })).toBe(7000);
    expect(ROOT_PRICES['Query.whatIf']({})).toBe(ANALYSIS_COST.whatIf);
  });
});

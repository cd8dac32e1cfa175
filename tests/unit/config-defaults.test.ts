import { configDefaults, loadConfig } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';

/** What createDataSource hands TypeORM and pg, as far as these tests read it. */
type PoolOptions = { poolSize: number; connectTimeoutMS: number; applicationName: string; extra: { statement_timeout: number; query_timeout: number } };

/**
 * Every default is written once, in config.ts; code built without a Config
 * of its own (benchmarks, the TypeORM CLI, the seed's connection) takes
 * configDefaults(), never a figure of its own.
 */
describe('config defaults', () => {
  test('configDefaults() is what an empty environment reads', () => {
    const d = configDefaults();
    expect(d).toEqual(loadConfig({}));
    expect([d.poolSize, d.statementTimeoutMs, d.connectTimeoutMs, d.recomputeIntervalMs]).toEqual([10, 15000, 5000, 1000]);
    expect([d.kioskRatePerSecond, d.kioskRateBurst, d.questionnaireCacheMs, d.tallyIntervalMs, d.tallyBatchSize]).toEqual([50, 1000, 5000, 500, 5000]);
  });

  test('a data source given only its URL takes the pool size and timeouts of config.ts', () => {
    const options = createDataSource({ url: 'postgresql://nobody@127.0.0.1:1/none' }).options as PoolOptions;
    // DB_POOL_SIZE 10, DB_CONNECT_TIMEOUT_MS 5000, DB_STATEMENT_TIMEOUT_MS 15000; the client's own bound 2 s beyond it.
    expect([options.poolSize, options.connectTimeoutMS]).toEqual([10, 5000]);
    expect([options.extra.statement_timeout, options.extra.query_timeout]).toEqual([15000, 17000]);
    expect(options.applicationName).toBe('par-index');
  });

  test('what a caller gives wins over the defaults', () => {
    const options = createDataSource({
      url: 'postgresql://nobody@127.0.0.1:1/none', poolSize: 3, statementTimeoutMs: 1000, connectTimeoutMs: 250, applicationName: 'par-index-seed',
    }).options as PoolOptions;
    expect([options.poolSize, options.connectTimeoutMS, options.extra.statement_timeout, options.extra.query_timeout]).toEqual([3, 250, 1000, 3000]);
    expect(options.applicationName).toBe('par-index-seed');
  });
});

import { ConfigError, loadConfig } from '../../src/config/config';
import { parseLsn } from '../../src/db/replicas';

/** DATABASE_READ_URLS and MAX_REPLICA_LAG_MS as the service reads them, and WAL positions as it compares them. */
describe('replica settings', () => {
  test('unset: no replicas, a lag bound of 2000 ms', () => {
    const config = loadConfig({});
    expect(config.databaseReadUrls).toEqual([]);
    expect(config.maxReplicaLagMs).toBe(2000);
  });

  test('comma-separated URLs, spaces and empty items ignored', () => {
    const config = loadConfig({ DATABASE_READ_URLS: ' postgresql://r1:5432/par, ,postgres://u@r2/par ', MAX_REPLICA_LAG_MS: '500' });
    expect(config.databaseReadUrls).toEqual(['postgresql://r1:5432/par', 'postgres://u@r2/par']);
    expect(config.maxReplicaLagMs).toBe(500);
  });

  test('a refusal names the variable and what is allowed', () => {
    expect(() => loadConfig({ DATABASE_READ_URLS: 'postgresql://r1/par,redis://r2' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_READ_URLS: 'r1:5432' })).toThrow(/DATABASE_READ_URLS must be comma-separated postgresql:\/\/ URLs.*got "r1:5432"/);
    expect(() => loadConfig({ MAX_REPLICA_LAG_MS: '-1' })).toThrow(/MAX_REPLICA_LAG_MS/);
    expect(() => loadConfig({ MAX_REPLICA_LAG_MS: '2s' })).toThrow(/MAX_REPLICA_LAG_MS must be a whole number/);
  });
});

describe('WAL positions', () => {
  test('"hi/lo" in hex: the high 32 bits above the low', () => {
    // 0/3000060 = 0x3000060 = 50,331,744; 1/0 = 2^32 = 4,294,967,296.
    expect(parseLsn('0/3000060')).toBe(50_331_744n);
    expect(parseLsn('1/0')).toBe(4_294_967_296n);
    // 16/B374D848 = 0x16 * 2^32 + 0xB374D848 = 94,489,280,512 + 3,010,779,208 = 97,500,059,720.
    expect(parseLsn('16/B374D848')).toBe(97_500_059_720n);
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(parseLsn(null)).toBeUndefined();
    expect(parseLsn('garbage')).toBeUndefined();
  });
});

import { ResponseCache } from '../../src/cache/response-cache';

/**
 * What an answer read while something changed may be stored as: only if
 * nothing it reads changed between its miss and its offer.
 */
const HEADERS = { 'cache-control': 'public, max-age=60', 'content-type': 'application/json' };
const key = (n: number) => ResponseCache.key('anonymous', 'POST', undefined, `{"query":"{ rankings(year: ${n}) }"}`);
const years = (...ys: number[]) => new Set(ys);

function missThenOffer(cache: ResponseCache, k: string, ys: ReadonlySet<number> | null, meanwhile: () => void): boolean {
  expect(cache.get(k)).toBeUndefined();
  meanwhile();
  cache.offer(k, 200, HEADERS, '{"data":{}}', ys);
  return cache.peek(k);
}

test('a change to another year while an answer ran does not keep it from being stored', () => {
  const cache = new ResponseCache(100, 1_000_000);
  expect(missThenOffer(cache, key(2025), years(2025), () => cache.invalidate({ years: years(2026) }))).toBe(true);
});

test('a change to a year it reads, or to everything, does', () => {
  const cache = new ResponseCache(100, 1_000_000);
  expect(missThenOffer(cache, key(2025), years(2025), () => {
    cache.invalidate({ years: years(2026) });
    cache.invalidate({ years: years(2024, 2025) });
    cache.invalidate({ years: years(2026) });
  })).toBe(false);
  expect(missThenOffer(cache, key(2024), years(2024), () => cache.invalidate('all'))).toBe(false);
  // An answer whose years are not known is kept from storage by any change.
  expect(missThenOffer(cache, key(2023), null, () => cache.invalidate({ years: years(2026) }))).toBe(false);
  // With nothing changed, each is stored on the next try.
  expect(missThenOffer(cache, key(2025), years(2025), () => undefined)).toBe(true);
  expect(missThenOffer(cache, key(2023), null, () => undefined)).toBe(true);
});

test('a miss older than the changes remembered is refused storage', () => {
  const cache = new ResponseCache(100, 1_000_000);
  expect(missThenOffer(cache, key(2025), years(2025), () => {
    for (let i = 0; i < 1500; i++) cache.invalidate({ years: years(2026) });
  })).toBe(false);
});

test('kept serves a fresh answer as get does, but notes no miss: an answer offered after kept alone is not stored', () => {
  const cache = new ResponseCache(100, 1_000_000);
  const k = key(2025);
  const t0 = Date.now();
  expect(cache.kept(k, t0)).toBeUndefined();
  cache.offer(k, 200, HEADERS, '{"data":{}}', years(2025), t0);
  expect(cache.peek(k, t0)).toBe(false);
  // A miss noted by get: stored, then served alike by kept and get while fresh (max-age 60 s).
  expect(cache.get(k, t0)).toBeUndefined();
  cache.offer(k, 200, HEADERS, '{"data":{"a":1}}', years(2025), t0);
  expect(cache.kept(k, t0 + 1000)?.body).toBe('{"data":{"a":1}}');
  expect(cache.get(k, t0 + 1000)?.body).toBe('{"data":{"a":1}}');
  expect(cache.kept(k, t0 + 61_000)).toBeUndefined();
  // A stale entry is dropped by get (which notes the miss), not by kept.
  expect(cache.peek(k, t0 + 61_000)).toBe(false);
  expect(cache.get(k, t0 + 61_000)).toBeUndefined();
  cache.offer(k, 200, HEADERS, '{"data":{"a":2}}', years(2025), t0 + 61_000);
  expect(cache.kept(k, t0 + 62_000)?.body).toBe('{"data":{"a":2}}');
});

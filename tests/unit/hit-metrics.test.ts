import { ServiceMetrics } from '../../src/observability/metrics';

/*
 * Cache hits are counted as plain numbers and added to their counters when
 * the metrics are read (src/observability/metrics.ts, cacheHit): the series
 * read the same as if each hit had been counted on its own, once, whenever
 * and however often they are read.
 */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

test('hits read as counted one by one: requests by route and status, by operation and outcome, cache hits, both durations', async () => {
  const m = new ServiceMetrics({});
  m.httpRequests.inc({ route: 'graphql', status: '200' });
  m.graphqlRequests.inc({ operation: 'query units', outcome: 'ok' });
  m.cacheHit(0.0004);
  m.cacheHit(0.003);
  const first = await m.registry.metrics();
  expect(value(first, 'par_http_requests_total{route="graphql",status="200"}')).toBe(3);
  expect(value(first, 'par_graphql_requests_total{operation="cached",outcome="ok"}')).toBe(2);
  expect(value(first, 'par_graphql_requests_total{operation="query units",outcome="ok"}')).toBe(1);
  expect(value(first, 'par_response_cache_hits_total')).toBe(2);
  expect(value(first, 'par_http_request_duration_seconds_count{route="graphql"}')).toBe(2);
  expect(value(first, 'par_graphql_request_duration_seconds_bucket{le="0.001",operation="cached"}')).toBe(1);
  expect(value(first, 'par_graphql_request_duration_seconds_bucket{le="0.005",operation="cached"}')).toBe(2);
  expect(value(first, 'par_graphql_request_duration_seconds_sum{operation="cached"}')).toBeCloseTo(0.0034, 10);

  // Read again: nothing counted twice; a later hit is added once, to every reader (text and JSON alike).
  expect(value(await m.registry.metrics(), 'par_response_cache_hits_total')).toBe(2);
  m.cacheHit(0.02);
  const json = await m.cacheHits.get();
  expect(json.values[0].value).toBe(3);
  const third = await m.registry.metrics();
  expect(value(third, 'par_response_cache_hits_total')).toBe(3);
  expect(value(third, 'par_http_requests_total{route="graphql",status="200"}')).toBe(4);
  expect(value(third, 'par_graphql_requests_total{operation="cached",outcome="ok"}')).toBe(3);
});

import { ResponseCache } from '../../src/cache/response-cache';
import { JsonText, stringifyResult } from '../../src/http/rendered-queries';

/** Answers whose data PostgreSQL wrote as JSON text (src/http/rendered-queries.ts), and what reads them as text. */
describe('stringifyResult', () => {
  test('splices rendered data in as it is, before what else the answer carries', () => {
    const data = new JsonText('{"rankings" : {"edges" : [{"score" : 72.70}]}}');
    expect(stringifyResult({ data: data as never })).toBe('{"data":{"rankings" : {"edges" : [{"score" : 72.70}]}}}');
    const withExtensions = stringifyResult({ data: data as never, extensions: { cost: 3 } });
    expect(JSON.parse(withExtensions)).toEqual({ data: { rankings: { edges: [{ score: 72.7 }] } }, extensions: { cost: 3 } });
  });

  test('writes other answers as compact JSON', () => {
    const value = { errors: [{ message: 'no', extensions: { code: 'BAD_USER_INPUT' } }], data: null };
    expect(stringifyResult(value)).toBe(JSON.stringify(value));
  });
});

describe('the response cache reads rendered answers', () => {
  const headers = { 'cache-control': 'public, max-age=60' };

  test.each([
    ['{"data":{"rankings" : {"edges" : [{"node" : {"provisional" : true}}]}}}', false],
    ['{"data":{"rankings":{"edges":[{"node":{"provisional":true}}]}}}', false],
    ['{"data":{"rankings" : {"edges" : [{"node" : {"provisional" : false}}]}}}', true],
  ])('%s is stored: %s', (body, stored) => {
    const cache = new ResponseCache(10, 1_000_000);
    cache.get('k', 0); // the miss an answer is offered after
    cache.offer('k', 200, headers, body, null, 0);
    expect(cache.get('k', 1)?.body).toBe(stored ? body : undefined);
  });
});

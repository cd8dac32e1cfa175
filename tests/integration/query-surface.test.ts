import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { Client } from 'pg';
import { loadNationalYear, type NationalYear } from '../../bench/national-year';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { rankingPages } from '../../src/query-plan/rankings';

/**
 * The query surface as a portal, an analyst and an attacker meet it: cost
 * limits before execution, no N+1, caching, persisted queries, errors that
 * leak nothing, the statement timeout.
 */
let t: TestService;
let year: NationalYear;
let analyst: string;

const limits = {
  maxDocumentBytes: 32 * 1024, maxTokens: 5000, maxDepth: 12, maxAliases: 30,
  budgets: { anonymous: 3000, KIOSK: 2000, APPRAISER: 20000, ANALYST: 20000, ADMIN: 50000 },
};

beforeAll(async () => {
  t = await startTestService({
    anonymousRatePerSec: 100000, anonymousBurst: 100000,
    // Per-request limits are tested here, per-caller budgets in hostile-load.test.ts: refusals do not run this IP into debt.
    callerBudgets: { costPerSecAnonymous: 1e9, costPerSecToken: 1e9, dbMsPerSec: 1_000_000, dbSharePercent: 100, maxConcurrent: 10000 },
    recomputeIntervalMs: 60000, dbHealthIntervalMs: 60000, statementTimeoutMs: 1000, queryLimits: limits,
  } as never);
  const client = new Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    year = await loadNationalYear(client, { communes: 300, districts: 12 });
  } finally {
    await client.end();
  }
  const r = await t.ok(`mutation { issueToken(input: {role: ANALYST, name: "analyst"}) }`);
  analyst = r.issueToken;
});
afterAll(async () => { await t?.stop(); });

async function post(body: unknown, headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text), ms: Date.now() - started };
}

const PORTAL = `query Portal($year: Int!, $first: Int!) {
  rankings(year: $year, unitKind: COMMUNE, first: $first) {
    totalCount
    edges { rank score node { unit { code name parent { code name } } domains { code score rank } } }
  }
}`;

describe('cost limits', () => {
  test('the portal page of 100 units with domains and parents is within the anonymous budget', async () => {
    const r = await post({ query: PORTAL, variables: { year: year.year, first: 100 } });
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.rankings.totalCount).toBe(300);
    expect(r.json.data.rankings.edges).toHaveLength(100);
    expect(r.json.data.rankings.edges[0].node.domains).toHaveLength(8);
    expect(r.json.data.rankings.edges[0].node.unit.parent.code).toMatch(/^ND\d{4}$/);
  });

  test('a cost-bomb of aliases over nested lists is refused with its cost and the limit', async () => {
    const inner = 'units(first: 100) { edges { node { children { children { code results { domains { code } } } } } } }';
    const query = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: ${inner}`).join(' ')} }`;
    const r = await post({ query }, { accept: 'application/graphql-response+json' });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'COST', limit: 3000 });
    // Legacy application/json clients read the refusal from a 200 body (GraphQL over HTTP).
    expect((await post({ query }, { accept: 'application/json' })).status).toBe(200);
    expect(r.json.errors[0].message).toMatch(/costs \d+; the limit for anonymous is 3000/);
    expect(r.json.data).toBeUndefined();
  });

  test('a list size beyond the budget is refused before anything runs', async () => {
    // 100 units × 50 children × 50 children: 250,000 objects.
    const r = await post({ query: '{ units(first: 100) { edges { node { children { children { code } } } } } }' });
    expect(r.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(r.json.errors[0].extensions.cost).toBeGreaterThan(200000);
  });

  test('budgets are per role: an analyst may ask what anonymous may not', async () => {
    // rankings(first: 100) × (node + unit + parent + children(50)) ≈ 5,400: over 3,000, under 20,000.
    const q = `{ rankings(year: ${year.year}, unitKind: COMMUNE, first: 100) { edges { node { unit { parent { children { code } } } } } } }`;
    const anon = await post({ query: q });
    expect(anon.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 3000 });
    const mine = await post({ query: q }, { authorization: `Bearer ${analyst}` });
    expect(mine.json.errors).toBeUndefined();
    expect(mine.json.data.rankings.edges).toHaveLength(100);
  });

  test('a depth-bomb is refused with the depth and the limit', async () => {
    const query = `{ unit(code: "NC00001") { ${'parent { '.repeat(30)}code${' }'.repeat(30)} } }`;
    const r = await post({ query });
    expect(r.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'TOO_DEEP', depth: 32, limit: 12 });
  });

  test('aliases beyond the limit are refused', async () => {
    const query = `{ ${Array.from({ length: 40 }, (_, i) => `u${i}: unit(code: "NC00001") { code }`).join(' ')} }`;
    const r = await post({ query });
    expect(r.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'TOO_MANY_ALIASES', aliases: 40, limit: 30 });
  });

  test('fragments are expanded: spreading a fragment many times costs as much as writing it out', async () => {
    // Each level spreads the next twice under two aliases: 2^10 copies of a unit's children.
    const levels = 10;
    const frags = Array.from({ length: levels }, (_, i) => i === levels - 1
      ? `fragment F${i} on Unit { code }`
      : `fragment F${i} on Unit { a: parent { ...F${i + 1} } b: parent { ...F${i + 1} } }`).join('\n');
    const r = await post({ query: `{ unit(code: "NC00001") { ...F0 } } ${frags}` });
    expect(r.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(r.json.data).toBeUndefined();
    // And nested fragments over lists multiply like inline selections.
    const nested = `{ units(first: 100) { edges { node { ...A } } } }
      fragment A on Unit { children { ...B } } fragment B on Unit { children { ...C } } fragment C on Unit { code }`;
    const r2 = await post({ query: nested });
    expect(r2.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'COST' });
  });

  test('a fragment cycle is refused', async () => {
    const r = await post({ query: '{ unit(code: "X") { ...A } } fragment A on Unit { parent { ...B } } fragment B on Unit { parent { ...A } }' });
    expect(r.json.errors[0].extensions.code).toMatch(/BAD_USER_INPUT|QUERY_TOO_COMPLEX/);
    expect(r.json.data).toBeUndefined();
  });

  test('a batch of operations in one request is refused', async () => {
    const r = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(r.status).toBe(400);
    expect(r.text).not.toContain('"data"');
  });

  test('a 1 MB document is refused quickly with its size and the limit', async () => {
    const query = `{ ${'__typename '.repeat(100_000)}}`;
    const r = await post({ query });
    expect(r.status).toBe(413);
    expect(r.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'DOCUMENT_TOO_LARGE', limit: 32768 });
    expect(r.ms).toBeLessThan(2000);
  });

  test('a document with too many tokens is refused before it is built', async () => {
    const query = `{ ${'a '.repeat(8000)}}`; // 16 kB, 8,000 tokens
    const r = await post({ query });
    expect(r.json.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'TOO_MANY_TOKENS', limit: 5000 });
  });

  test('introspection stays available to anonymous readers (the IDE needs it)', async () => {
    const r = await post({ query: getIntrospectionQuery() });
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.__schema.queryType.name).toBe('Query');
  });

  test('bombs are refused quickly while the server keeps answering others', async () => {
    const costBomb = `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: units(first: 100) { edges { node { children { children { children { code } } } } } }`).join(' ')} }`;
    const depthBomb = `{ unit(code: "NC00001") { ${'parent { '.repeat(200)}code${' }'.repeat(200)} } }`;
    const huge = `{ ${'__typename '.repeat(100_000)}}`;
    const started = Date.now();
    const bombs = Array.from({ length: 10 }, () => [costBomb, depthBomb, huge]).flat().map((query) => post({ query }));
    // Others: another caller (a token), since each refusal also costs the bombing IP its budget.
    const portal = Array.from({ length: 10 }, () => post({ query: PORTAL, variables: { year: year.year, first: 20 } }, { authorization: `Bearer ${ADMIN_TOKEN}` }));
    const [b, p] = await Promise.all([Promise.all(bombs), Promise.all(portal)]);
    // Each bomb is refused: over a limit, or, once its IP is in debt for the refusals, at the door.
    for (const r of b) {
      const x = r.json.errors[0].extensions;
      expect(x.code === 'QUERY_TOO_COMPLEX' || (x.code === 'RATE_LIMITED' && x.reason === 'COST_RATE')).toBe(true);
    }
    expect(b.filter((r) => r.json.errors[0].extensions.code === 'QUERY_TOO_COMPLEX').length).toBeGreaterThan(0);
    for (const r of p) expect(r.json.data.rankings.edges).toHaveLength(20);
    expect(Date.now() - started).toBeLessThan(5000);
    const health = await fetch(t.url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(200);
  });
});

describe('no N+1', () => {
  /**
   * Counts the SQL statements the service sends on behalf of the HTTP
   * requests made while `fn` runs (background pollers and the readiness
   * probe run on their own clocks and are not counted).
   */
  async function countStatements(fn: () => Promise<unknown>): Promise<number> {
    const inRequest = new AsyncLocalStorage<true>();
    const server = t.service.app.server;
    const emit = server.emit as (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
    server.emit = function (this: unknown, event: string | symbol, ...args: unknown[]) {
      return event === 'request' ? inRequest.run(true, () => emit.call(this, event, ...args)) : emit.call(this, event, ...args);
    } as typeof server.emit;
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    let count = 0;
    proto.query = function (this: unknown, ...args: unknown[]) {
      if (inRequest.getStore()) count++;
      return original.apply(this, args);
    };
    try {
      await fn();
    } finally {
      proto.query = original;
      server.emit = emit as typeof server.emit;
    }
    return count;
  }

  test('a rankings page costs the same number of statements for 10 and for 100 units with their domains and parents', async () => {
    const page = (first: number) => async () => {
      // As the analyst: results never come from the response cache for authenticated roles.
      const r = await post({ query: PORTAL, variables: { year: year.year, first } }, { authorization: `Bearer ${analyst}` });
      expect(r.json.data.rankings.edges).toHaveLength(first);
    };
    const ten = await countStatements(page(10));
    const hundred = await countStatements(page(100));
    expect(hundred).toBe(ten);
    expect(hundred).toBeGreaterThanOrEqual(3);
    expect(hundred).toBeLessThanOrEqual(12);
  });

  test('unit history with domains across units batches too', async () => {
    const q = (first: number) => async () => {
      const r = await post({ query: `{ units(kind: COMMUNE, first: ${first}) { edges { node { code results { year domains { code score } } } } } }` },
        { authorization: `Bearer ${analyst}` });
      expect(r.json.data.units.edges).toHaveLength(first);
    };
    expect(await countStatements(q(100))).toBe(await countStatements(q(5)));
  });
});

describe('caching', () => {
  test('published answers to anonymous readers are public with a max age, and repeats come from the cache', async () => {
    const body = { query: PORTAL, variables: { year: year.year, first: 20 } };
    const first = await post(body);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    const again = await post(body);
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.headers.get('cache-control')).toBe('public, max-age=60');
    expect(again.json).toEqual(first.json);
  });

  test('roles never share entries, and results are not cached for authenticated roles', async () => {
    const body = { query: PORTAL, variables: { year: year.year, first: 5 } };
    await post(body);
    const a1 = await post(body, { authorization: `Bearer ${analyst}` });
    const a2 = await post(body, { authorization: `Bearer ${analyst}` });
    expect(a1.headers.get('cache-control')).toBe('no-store');
    expect(a2.headers.get('x-cache')).toBeNull();
    // Reference data may be cached privately, per role.
    const units = { query: '{ units(kind: DISTRICT, first: 3) { edges { node { code } } } }' };
    const u1 = await post(units, { authorization: `Bearer ${analyst}` });
    expect(u1.headers.get('cache-control')).toBe('private, max-age=60');
    expect((await post(units, { authorization: `Bearer ${analyst}` })).headers.get('x-cache')).toBe('HIT');
    expect((await post(units, { authorization: `Bearer ${ADMIN_TOKEN}` })).headers.get('x-cache')).toBeNull();
  });

  test('provisional results are never cached for anonymous readers, and a mutation clears the cache', async () => {
    const q = { query: `{ rankings(year: 2030, unitKind: COMMUNE) { totalCount } }` };
    const before = await post(q);
    expect(before.json.data.rankings.totalCount).toBe(0);
    expect((await post(q)).headers.get('x-cache')).toBe('HIT');
    await t.ok(`mutation { createUnit(input: {code: "NEWDEPT", name: "Sở mới", kind: DEPARTMENT}) { code } }`);
    expect((await post(q)).headers.get('x-cache')).toBeNull();
    const mutation = await post({ query: 'mutation { createUnit(input: {code: "NEWDEPT2", name: "Sở mới 2", kind: DEPARTMENT}) { code } }' },
      { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(mutation.headers.get('cache-control')).toBe('no-store');
  });

  test('automatic persisted queries work over POST and over GET', async () => {
    const query = `{ rankings(year: ${year.year}, unitKind: COMMUNE, first: 3) { edges { rank node { unit { code } } } } }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const miss = await post({ extensions });
    // Apollo Client's persisted-query link retries with the full query on this message.
    expect(miss.json.errors[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { reason: 'PERSISTED_QUERY_NOT_FOUND' } });
    const registered = await post({ query, extensions });
    expect(registered.json.data.rankings.edges).toHaveLength(3);
    const url = `${t.url}?extensions=${encodeURIComponent(JSON.stringify(extensions))}`;
    const get = await fetch(url, { headers: { accept: 'application/graphql-response+json' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('public, max-age=60');
    expect(((await get.json()) as any).data).toEqual(registered.json.data);
  });
});

describe('errors and timeouts', () => {
  test('an unexpected failure answers INTERNAL_SERVER_ERROR without SQL, stack or paths', async () => {
    const rankings = rankingPages(t.service.services.rankings);
    const original = { rankings: rankings.rankings, rankingsJson: rankings.rankingsJson };
    const failure = async () => {
      const e = new Error('relation "index_result" does not exist: SELECT * FROM index_result at /work/main/src/results/ranking.service.ts:42');
      throw Object.assign(e, { query: 'SELECT secret FROM index_result', code: '42P01' });
    };
    // Both ways of answering a ranking fail (the rendered one first, then the resolvers).
    rankings.rankings = failure;
    rankings.rankingsJson = failure;
    try {
      const r = await post({ query: `{ rankings(year: ${year.year}, unitKind: COMMUNE, first: 1) { totalCount } }` }, { authorization: `Bearer ${analyst}` });
      expect(r.json.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
      expect(r.text).not.toMatch(/SELECT|index_result|\/work\/|\.ts:|stack|at /i);
    } finally {
      Object.assign(rankings, original);
    }
  });

  test('every statement of the service runs under the statement timeout', async () => {
    await expect(t.service.db.query('SELECT pg_sleep(3)')).rejects.toMatchObject({ driverError: { code: '57014' } });
    const [{ statement_timeout }] = await t.service.db.query('SHOW statement_timeout');
    expect(statement_timeout).toBe('1s');
  });
});

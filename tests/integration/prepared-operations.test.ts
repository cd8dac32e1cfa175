import { Client } from 'pg';
import { loadNationalYear } from '../../bench/national-year';
import { loadConfig } from '../../src/config/config';
import { executionStats } from '../../src/http/jit-executor';
import { startTestService, type TestService } from '../support/test-service';
import { issue } from './results-fixture';
import { registerKiosk } from './survey-fixtures';

/**
 * A query Apollo has answered whole in SQL is answered again without
 * Apollo's pipeline (src/http/prepared-operations.ts). Whichever path
 * answers, the answer is the same: status, body and headers (but the
 * request id and the date), for every caller and Accept header; and what
 * the prepared path does not answer itself (refusals, bad variables,
 * kiosks, batches, unknown Accept headers) Apollo answers as before.
 *
 * Each comparison asks the prepared document (`ask`) and the same document
 * as a text never seen (`fresh`, so Apollo answers it).
 */
let t: TestService;
let analyst: string;
let kiosk: string;

beforeAll(async () => {
  t = await startTestService({
    anonymousRatePerSec: 100000, anonymousBurst: 100000,
    // Cache-Control as deployed (public, max-age), but no response cache in front: every request runs.
    cacheMaxAgeSeconds: 30, responseCacheMaxEntries: 0,
    recomputeIntervalMs: 60000, tallyIntervalMs: 60000,
    // Both paths' refusals are compared here, each from this IP: they must not run it into debt (the budgets on
    // both paths are compared below, on a service of their own).
    callerBudgets: { costPerSecAnonymous: 1e9, costPerSecToken: 1e9, dbMsPerSec: 1_000_000, dbSharePercent: 100, maxConcurrent: 10000 },
  });
  await nationalYear(t.databaseUrl, 40, 3);
  analyst = await issue(t, 'ANALYST', 'Analyst');
  kiosk = (await registerKiosk(t, 'NC00001', 'Quầy 1')).token;
}, 120000);
afterAll(async () => {
  await t?.stop();
});

/** The national year 2024 of `communes` communes (bench/national-year.ts), written on the service's database. */
async function nationalYear(databaseUrl: string, communes: number, districts: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await loadNationalYear(client, { year: 2024, communes, districts });
  } finally {
    await client.end();
  }
}

interface Answer { status: number; headers: Record<string, string>; body: string; prepared: boolean }

let nonce = 0;

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const before = executionStats.preparedRuns;
  const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  const out: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (key !== 'x-request-id' && key !== 'date') out[key] = value;
  });
  return { status: res.status, headers: out, body: text, prepared: executionStats.preparedRuns > before };
}

const auth = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** The document as sent again and again (prepared from its second request on). */
function ask(query: string, variables: unknown, token: string | null = null, accept?: string, operationName?: string) {
  return post({ query, variables, ...(operationName ? { operationName } : {}) }, { ...auth(token), ...(accept ? { accept } : {}) });
}

/**
 * The same document as a text never seen (blanks of its own inside, before its first brace: a comment would not do, nor
 * blanks ending a line, see below): Apollo's answer.
 */
const unseen = (query: string) => query.replace('{', `${' '.repeat(++nonce)}{`);
function fresh(query: string, variables: unknown, token: string | null = null, accept?: string, operationName?: string) {
  return ask(unseen(query), variables, token, accept, operationName);
}

const UNIT_PAGE = `query UnitPage($code: String!) { unit(code: $code) { code name results { year score rank band { code } domains { code score } } } }`;
const PORTAL = `query Portal($year: Int!, $first: Int!) {
  rankings(year: $year, unitKind: COMMUNE, first: $first) { edges { rank score node { unit { code name } domains { code score } } } }
}`;
const DOMAIN = `query Domain($year: Int!) { rankings(year: $year, unitKind: COMMUNE, domainCode: "LV3", first: 5) { edges { rank score node { unit { code } } } } }`;

test('from its second request on, a rendered query is answered without Apollo, with the same status, headers and body', async () => {
  const cases: [string, Record<string, unknown>][] = [
    [UNIT_PAGE, { code: 'NC00007' }], [UNIT_PAGE, { code: 'NC00012' }], [UNIT_PAGE, { code: 'NO-SUCH-UNIT' }],
    [PORTAL, { year: 2024, first: 10 }], [PORTAL, { year: 2024, first: 3 }], [DOMAIN, { year: 2024 }],
  ];
  for (const token of [null, analyst]) {
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json', '*/*', 'application/graphql-response+json, application/json;q=0.9']) {
      for (const [query, variables] of cases) {
        const first = await ask(query, variables, token, accept);
        const second = await ask(query, variables, token, accept);
        const apollo = await fresh(query, variables, token, accept);
        expect(apollo.prepared).toBe(false);
        expect(second.prepared).toBe(true);
        expect(JSON.parse(second.body).errors).toBeUndefined();
        for (const answer of [first, second]) expect({ status: answer.status, headers: answer.headers, body: answer.body }).toEqual({ status: apollo.status, headers: apollo.headers, body: apollo.body });
      }
    }
  }
  // What the cache policy says, on both paths: public for anonymous readers, no-store for a token reading results.
  expect((await ask(PORTAL, { year: 2024, first: 3 })).headers['cache-control']).toBe('public, max-age=30');
  expect((await ask(PORTAL, { year: 2024, first: 3 }, analyst)).headers['cache-control']).toBe('no-store');
  expect((await ask(PORTAL, { year: 2024, first: 3 }, null, 'application/graphql-response+json')).headers['content-type'])
    .toBe('application/graphql-response+json; charset=utf-8');
});

test('a document sent with a comment of its own each time (a #nonce against caches) is the same prepared document', async () => {
  await ask(UNIT_PAGE, { code: 'NC00005' }); // prepared, whichever tests ran before
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await ask(`${UNIT_PAGE}\n# nonce ${Math.random()}`, { code: 'NC00005' }));
  expect(answers.map((a) => a.prepared)).toEqual([true, true, true]);
  const apollo = await fresh(UNIT_PAGE, { code: 'NC00005' });
  for (const a of answers) expect({ status: a.status, headers: a.headers, body: a.body }).toEqual({ status: apollo.status, headers: apollo.headers, body: apollo.body });
  // A # in a string is no comment: another argument, another answer.
  const query = `query S { units(search: $$, first: 5) { edges { node { code } } } }`;
  const plain = await ask(query.replace('$$', '"xa 1"'), {});
  const hashed = await ask(query.replace('$$', '"xa #1"'), {});
  expect(JSON.parse(plain.body).data.units.edges.length).toBeGreaterThan(0);
  expect(JSON.parse(hashed.body).data.units.edges).toEqual([]);
});

test('a comment inside the document, of any length, is set aside too: Apollo prepares it with its comments blanked, later texts find it', async () => {
  const commented = (note: string) => `query Noted($code: String!) { # ${note}\n  unit(code: $code) { code name # the unit\n results { year score } } }`;
  const first = await ask(commented('first sight'), { code: 'NC00007' });
  expect(first.prepared).toBe(false);
  const answers = [];
  for (const note of ['x', 'a much longer comment than the first', '#']) answers.push(await ask(commented(note), { code: 'NC00007' }));
  expect(answers.map((a) => a.prepared)).toEqual([true, true, true]);
  for (const a of answers) expect({ status: a.status, body: a.body }).toEqual({ status: first.status, body: first.body });
});

test('what the prepared path does not answer, Apollo answers as before', async () => {
  /** The prepared document with other variables: the answer is Apollo's (and, but for `rendered`, Apollo gives it). */
  const same = async (query: string, variables: unknown, rendered = false) => {
    await ask(query, { year: 2024, first: 2 }); // the portal's document prepared
    const again = await ask(query, variables);
    const apollo = await fresh(query, variables);
    expect(again.prepared).toBe(rendered);
    expect({ status: again.status, headers: again.headers, body: again.body }).toEqual({ status: apollo.status, headers: apollo.headers, body: apollo.body });
    return again;
  };
  // Variables that do not coerce, a missing one, an unknown year (refused by its renderer, stated by the resolvers).
  expect((await same(PORTAL, { year: 'two thousand', first: 2 })).body).toMatch(/BAD_USER_INPUT/);
  expect((await same(PORTAL, { year: 2024 })).body).toMatch(/BAD_USER_INPUT/);
  await same(PORTAL, { year: 1999, first: 2 }, JSON.parse((await fresh(PORTAL, { year: 1999, first: 2 })).body).errors === undefined);
  // Over the limits: refused with the figure and the limit, each time.
  const tooMany = await same(PORTAL, { year: 2024, first: 100000 });
  expect(tooMany.body).toMatch(/BAD_USER_INPUT|QUERY_TOO_COMPLEX/);
  // A kiosk's token reads nothing: FORBIDDEN, whether or not the document was prepared for others.
  const forbidden = await ask(PORTAL, { year: 2024, first: 2 }, kiosk);
  expect(forbidden.prepared).toBe(false);
  expect(forbidden.body).toMatch(/FORBIDDEN/);
  // An Accept header Apollo cannot answer: 406, never learned as a type to answer with.
  for (let i = 0; i < 2; i++) {
    const refused = await ask(PORTAL, { year: 2024, first: 2 }, null, 'text/plain');
    expect(refused.status).toBe(406);
    expect(refused.prepared).toBe(false);
  }
  // A batch, and a body with extensions (persisted queries), go through Apollo.
  const batch = await post([{ query: PORTAL, variables: { year: 2024, first: 2 } }]);
  expect(batch.prepared).toBe(false);
  const withExtensions = await post({ query: PORTAL, variables: { year: 2024, first: 2 }, extensions: {} });
  expect(withExtensions.prepared).toBe(false);
  expect(JSON.parse(withExtensions.body).data.rankings.edges).toHaveLength(2);
  // A document of two operations: each prepared under its own name, the name chosen answering.
  const two = `query A { rankings(year: 2024, unitKind: COMMUNE, first: 1) { edges { rank } } } query B { unit(code: "NC00003") { code } }`;
  for (let i = 0; i < 2; i++) {
    const a = await ask(two, {}, null, undefined, 'A');
    const b = await ask(two, {}, null, undefined, 'B');
    expect(JSON.parse(a.body)).toEqual({ data: { rankings: { edges: [{ rank: 1 }] } } });
    expect(JSON.parse(b.body)).toEqual({ data: { unit: { code: 'NC00003' } } });
    expect([a.prepared, b.prepared]).toEqual([i === 1, i === 1]);
  }
});

test("a prepared answer spends its caller's cost budget as Apollo's does, once", async () => {
  // A service whose anonymous callers may spend 250 a second, 500 at once (the most one operation may cost):
  // a few unit pages in a row, then COST_RATE refusals.
  const limits = loadConfig({}).queryLimits;
  const tight = await startTestService({
    anonymousRatePerSec: 100000, anonymousBurst: 100000, cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0,
    recomputeIntervalMs: 60000, tallyIntervalMs: 60000,
    queryLimits: { ...limits, budgets: { ...limits.budgets, anonymous: 500 } },
    callerBudgets: { costPerSecAnonymous: 250, costPerSecToken: 100000, dbMsPerSec: 1_000_000, dbSharePercent: 100, maxConcurrent: 100 },
  });
  try {
    await nationalYear(tight.databaseUrl, 10, 1);
    const run = async (prepared: boolean) => {
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        const query = prepared ? UNIT_PAGE : unseen(UNIT_PAGE);
        const res = await fetch(tight.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { code: 'NC00001' } }) });
        const body = await res.json() as { errors?: { extensions: { code: string; reason?: string } }[] };
        outcomes.push(body.errors ? `${res.status} ${body.errors[0].extensions.code} ${body.errors[0].extensions.reason}` : String(res.status));
      }
      return outcomes;
    };
    // Each path from a full bucket (its refill while it runs is a quarter of a unit a millisecond: compared within one request).
    await new Promise((r) => setTimeout(r, 2500));
    const before = executionStats.preparedRuns;
    const viaPrepared = await run(true);
    expect(executionStats.preparedRuns - before).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2500));
    const viaApollo = await run(false);
    const served = (o: string[]) => o.filter((x) => x === '200').length;
    expect(Math.abs(served(viaPrepared) - served(viaApollo))).toBeLessThanOrEqual(1);
    for (const outcomes of [viaPrepared, viaApollo]) {
      expect(served(outcomes)).toBeGreaterThanOrEqual(2);
      expect(new Set(outcomes.filter((x) => x !== '200'))).toEqual(new Set(['429 RATE_LIMITED COST_RATE']));
    }
  } finally {
    await tight.stop();
  }
}, 60000);

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import { loadNationalYear, type NationalYear } from '../../bench/national-year';
import { startService, type RunningService } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';
import { executionStats } from '../../src/http/jit-executor';
import { renderStats } from '../../src/http/rendered-queries';
import { encodeCursor } from '../../src/util/cursor';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince, type Tokens } from './results-fixture';
import { rankingPages } from '../../src/query-plan/rankings';
import { requestStatements } from '../support/request-statements';

/**
 * Rankings answered with the JSON PostgreSQL writes (src/http/rendered-queries.ts)
 * must be the answers of the resolvers, whatever is selected, aliased,
 * fragmented, filtered or refused. Two services share one database: one
 * renders what it can, the other (SQL_RENDERED_QUERIES=false) resolves
 * every field; every answer is compared as JSON, key order included.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60) * 3;

let t: TestService;
let resolving: RunningService;
let tokens: Tokens;
let national: NationalYear;
let district: string;

beforeAll(async () => {
  // No response cache (every request runs), no background ticks after the first (statements are counted).
  const quiet = {
    anonymousRatePerSec: 100000, anonymousBurst: 100000, cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0,
    recomputeIntervalMs: 60000, tallyIntervalMs: 60000, dbHealthIntervalMs: 60000,
  };
  t = await startTestService(quiet);
  tokens = await buildProvince(t);
  const client = new Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    national = await loadNationalYear(client, { year: 2024, communes: 60, districts: 4 });
  } finally {
    await client.end();
  }
  district = (await t.sql(`SELECT code FROM unit WHERE kind = 'DISTRICT' ORDER BY code LIMIT 1`))[0].code;
  resolving = await startService({
    ...loadConfig({}), ...quiet, port: 0, databaseUrl: t.databaseUrl, adminToken: ADMIN_TOKEN, seedDemo: false, poolSize: 3,
    sqlRenderedQueries: false,
  }, createLogger('error'));
  // The data stay as built: background recomputation and roll-ups stop (their first ticks would run among counted statements).
  for (const services of [t.service.services, resolving.services]) {
    await services.recompute.stop();
    await services.tallies.stop();
  }
}, 120000);
afterAll(async () => {
  await resolving?.stop();
  await t?.stop();
});

interface Answer { status: number; text: string; json: any; rendered: boolean }

async function ask(url: string, query: string, variables: Record<string, unknown>, token: string | null): Promise<Answer> {
  const before = executionStats.renderedRuns;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text), rendered: executionStats.renderedRuns > before };
}

/** The same request to both services: the rendering one's answer, checked equal to the resolving one's. */
async function both(query: string, variables: Record<string, unknown> = {}, token: string | null = null): Promise<Answer> {
  const rendered = await ask(t.url, query, variables, token);
  const resolved = await ask(resolving.url, query, variables, token);
  expect(resolved.rendered).toBe(false);
  expect({ status: rendered.status, body: JSON.stringify(rendered.json) }).toEqual({ status: resolved.status, body: JSON.stringify(resolved.json) });
  return rendered;
}

/**
 * Random documents asked of both services (`both`): how many ran, how many
 * were rendered (each of those without errors), and the unexpected
 * rendering failures since the tally began.
 */
function renderTally() {
  const failuresBefore = renderStats.failures;
  const tally = {
    runs: 0,
    rendered: 0,
    async ask(query: string, variables: Record<string, unknown>, token: string | null): Promise<Answer> {
      const answer = await both(query, variables, token);
      tally.runs++;
      if (answer.rendered) {
        tally.rendered++;
        expect(answer.json.errors).toBeUndefined();
      }
      return answer;
    },
    failures: () => renderStats.failures - failuresBefore,
  };
  return tally;
}

const PORTAL = `query Portal($year: Int!, $first: Int!) {
  rankings(year: $year, unitKind: COMMUNE, first: $first) { edges { rank score node { unit { code name } domains { code score } } } }
}`;

test("the portal's page is one statement, the stored figures in ranking order, and the resolvers' answer", async () => {
  // The request's own statements (background work landing at the same moment is not the page's).
  const { result: answer, statements } = await requestStatements(() => ask(t.url, PORTAL, { year: 2024, first: 5 }, null));
  expect(statements).toHaveLength(1);
  expect(answer.rendered).toBe(true);
  const stored = await t.sql(`
    SELECT ir.rank, ir.score::text AS score, u.code, u.name,
           (SELECT array_agg(d.code || '=' || dr.score::text ORDER BY d.position)
              FROM domain_result dr JOIN criterion d ON d.id = dr.domain_id WHERE dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id) AS domains
      FROM index_result ir JOIN unit u ON u.id = ir.unit_id WHERE ir.cycle_id = $1 ORDER BY ir.position LIMIT 5`, [national.cycleId]);
  expect(answer.json.data.rankings.edges.map((e: any) => ({
    rank: e.rank, score: e.score, code: e.node.unit.code, name: e.node.unit.name,
    domains: e.node.domains.map((d: any) => `${d.code}=${d.score}`),
  }))).toEqual(stored.map((r) => ({
    rank: r.rank, score: Number(r.score), code: r.code, name: r.name,
    domains: r.domains.map((d: string) => d.replace(/=(.*)$/, (_, v: string) => `=${Number(v)}`)),
  })));
  expect(answer.json.data.rankings.edges[0].node.domains.map((d: any) => d.code)).toEqual(national.domains);
  // Numbers written as graphql-js writes them: no trailing zeros (72.7, not 72.70).
  for (const e of answer.json.data.rankings.edges) {
    for (const score of [e.score, ...e.node.domains.map((d: any) => d.score)]) {
      expect(answer.text).toMatch(new RegExp(`"score" : ${String(score).replace('.', '\\.')}[,}]`));
    }
  }
  expect(answer.text).not.toMatch(/"score" : \d+\.\d*0[,}]/);
  await both(PORTAL, { year: 2024, first: 5 });
  // `first` left out: its default, 20.
  const byDefault = await both(`{ rankings(year: 2024, unitKind: COMMUNE) { edges { rank } pageInfo { hasNextPage } } }`);
  expect(byDefault.rendered).toBe(true);
  expect(byDefault.json.data.rankings.edges).toHaveLength(20);
  expect(byDefault.json.data.rankings.pageInfo.hasNextPage).toBe(true);
});

test("a published year's domain ranking reads its framework, count and summary once, then the page alone", async () => {
  const query = `{ rankings(year: 2024, unitKind: COMMUNE, first: 5, domainCode: "LV3", bandCode: "B") { totalCount edges { rank score }
    summary { count average highest { score unit { code } domains { code score } } lowest { __typename rank } bands { band { code label minScore } count } } } }`;
  const count = async () => {
    const { result: answer, statements } = await requestStatements(() => ask(t.url, query, {}, null));
    expect(answer.rendered).toBe(true);
    expect(answer.json.data.rankings.edges).toHaveLength(5);
    return statements.length;
  };
  const first = await count();
  expect(await count()).toBe(1);
  expect(first).toBeLessThanOrEqual(3);
  const answer = await both(query);
  expect(answer.rendered).toBe(true);
  const { summary, totalCount } = answer.json.data.rankings;
  expect(summary.count).toBe(totalCount);
  expect(summary.bands.map((b: any) => [b.band.code, b.count])).toEqual([['A', 0], ['B', totalCount], ['C', 0], ['D', 0]]);
  expect(summary.highest.domains).toHaveLength(8);
  expect(summary.lowest.__typename).toBe('IndexResult');
});

test('aliases, fragments, __typename and a repeated leaf come out in the order asked, as the resolvers write them', async () => {
  const query = `query($after: String) {
    __typename
    top: rankings(year: 2023, unitKind: DEPARTMENT, first: 2, after: $after) {
      n: totalCount ...Page
      list: edges { __typename position: rank rank node { ... on IndexResult { year change: rankChange previousRank } band { code minScore } unit { kind id } } }
    }
    rankings(year: 2024, unitKind: COMMUNE, first: 3, domainCode: "LV3") { edges { score cursor node { score unit { code } } } }
  }
  fragment Page on RankingConnection { pageInfo { endCursor hasNextPage hasPreviousPage startCursor __typename } totalCount }`;
  const first = await both(query, {}, tokens.analyst);
  expect(first.rendered).toBe(true);
  const top = first.json.data.top;
  expect(Object.keys(first.json.data)).toEqual(['__typename', 'top', 'rankings']);
  expect(Object.keys(top)).toEqual(['n', 'pageInfo', 'totalCount', 'list']);
  expect(Object.keys(top.list[0])).toEqual(['__typename', 'position', 'rank', 'node']);
  expect(top).toMatchObject({ n: 5, totalCount: 5, pageInfo: { hasNextPage: true, hasPreviousPage: false, __typename: 'PageInfo' } });
  // By domain: the edge's score is the domain's index, the node's the overall one.
  const byDomain = first.json.data.rankings.edges;
  expect(byDomain[0].score).toBeGreaterThanOrEqual(byDomain[1].score);
  expect(byDomain.some((e: any) => e.score !== e.node.score)).toBe(true);
  // The next page from the cursor, rendered too.
  const next = await both(query, { after: top.pageInfo.endCursor }, tokens.analyst);
  expect(next.rendered).toBe(true);
  expect(next.json.data.top.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  const reference = await t.ok(`{ rankings(year: 2023, unitKind: DEPARTMENT, first: 3) { edges { node { unit { id } } } } }`, {}, tokens.analyst);
  expect(next.json.data.top.list[0].node.unit.id).toBe(reference.rankings.edges[2].node.unit.id);
});

test('what is not rendered (a parent) is resolved, and answers the same', async () => {
  for (const selection of [
    'summary { count average highest { unit { code parent { code } } } } edges { rank }',
    'edges { node { unit { code parent { code } } } }',
  ]) {
    const answer = await both(`{ rankings(year: 2024, unitKind: COMMUNE, first: 2, parentCode: "${district}") { ${selection} } }`, {}, null);
    expect(answer.rendered).toBe(false);
    expect(answer.json.errors).toBeUndefined();
  }
});

test('@skip and @include are decided by the query plan, with their variables, and rendered', async () => {
  const query = `query($with: Boolean!) { rankings(year: 2024, unitKind: COMMUNE, first: 2, parentCode: "${district}") {
    edges { rank node { score @include(if: $with) unit @skip(if: $with) { code } } } } }`;
  const shown = await both(query, { with: true }, null);
  expect(shown.rendered).toBe(true);
  expect(Object.keys(shown.json.data.rankings.edges[0].node)).toEqual(['score']);
  const skipped = await both(query, { with: false }, null);
  expect(skipped.rendered).toBe(true);
  expect(Object.keys(skipped.json.data.rankings.edges[0].node)).toEqual(['unit']);
});

test('refused arguments and unseen years answer as the resolvers do', async () => {
  const query = `query($year: Int!, $kind: UnitKind!, $first: Int!, $domain: String, $band: String, $after: String) {
    rankings(year: $year, unitKind: $kind, first: $first, domainCode: $domain, bandCode: $band, after: $after) { totalCount edges { rank } } }`;
  const cases: [Record<string, unknown>, string | null, string | null][] = [
    [{ year: 2024, kind: 'COMMUNE', first: 0 }, 'BAD_USER_INPUT', 'first'],
    [{ year: 2024, kind: 'COMMUNE', first: 5, domain: 'NOPE' }, 'NOT_FOUND', 'domainCode'],
    [{ year: 2024, kind: 'COMMUNE', first: 5, band: 'Z' }, 'NOT_FOUND', 'bandCode'],
    [{ year: 2024, kind: 'COMMUNE', first: 5, after: 'not-a-cursor' }, 'BAD_USER_INPUT', 'after'],
    [{ year: 2024, kind: 'COMMUNE', first: 5, after: encodeCursor(['x']) }, 'BAD_USER_INPUT', 'after'],
    [{ year: 2024, kind: 'COMMUNE', first: 'five' }, 'BAD_USER_INPUT', null],
  ];
  for (const [variables, code, field] of cases) {
    const answer = await both(query, variables, null);
    expect(answer.rendered).toBe(false);
    expect(answer.json.errors[0].extensions).toMatchObject({ code, ...(field ? { field } : {}) });
  }
  // The open year reads as empty to anonymous readers (rendered), and in full to an analyst.
  const hidden = await both(query, { year: 2023, kind: 'DEPARTMENT', first: 5 }, null);
  expect(hidden.rendered).toBe(true);
  expect(hidden.json.data.rankings).toEqual({ totalCount: 0, edges: [] });
  const shown = await both(query, { year: 2023, kind: 'DEPARTMENT', first: 5 }, tokens.analyst);
  expect(shown.json.data.rankings.totalCount).toBe(5);
  const ranks = shown.json.data.rankings.edges.map((e: any) => e.rank);
  expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
  expect(ranks[0]).toBe(1);
});

test('a rendering that fails unexpectedly is logged and counted, and the resolvers answer', async () => {
  const rankings = rankingPages(t.service.services.rankings);
  const original = rankings.rankingsJson;
  rankings.rankingsJson = async () => { throw new Error('connection reset'); };
  const failures = renderStats.failures;
  try {
    const answer = await both(PORTAL, { year: 2024, first: 3 });
    expect(answer.rendered).toBe(false);
    expect(answer.json.data.rankings.edges).toHaveLength(3);
    expect(renderStats.failures).toBe(failures + 1);
  } finally {
    rankings.rankingsJson = original;
  }
});

test('a code PostgreSQL cannot store (a NUL) is refused as the resolvers refuse it, not logged as a failed rendering', async () => {
  const failures = renderStats.failures;
  for (const query of [`query($code: String!) { unit(code: $code) { name results { year score } } }`,
    `query($code: String!) { units(search: $code, first: 5) { edges { node { code } } } }`]) {
    const answer = await both(query, { code: 'STP\u0000' });
    expect(answer.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CHARACTER' });
  }
  expect(renderStats.failures).toBe(failures);
});

// ---------------------------------------------------------------------------
// Any selection of the ranking's types, with any arguments, by any caller.

/** Fields of each type: null for a leaf, else its type. */
const TYPES: Record<string, [string, string | null][]> = {
  RankingConnection: [['edges', 'RankingEdge'], ['pageInfo', 'PageInfo'], ['totalCount', null], ['summary', 'RankingSummary'], ['__typename', null]],
  RankingSummary: [['count', null], ['average', null], ['highest', 'IndexResult'], ['lowest', 'IndexResult'], ['bands', 'BandCount'], ['__typename', null]],
  BandCount: [['band', 'Band'], ['count', null], ['__typename', null]],
  RankingEdge: [['cursor', null], ['rank', null], ['score', null], ['node', 'IndexResult'], ['__typename', null]],
  PageInfo: [['hasNextPage', null], ['hasPreviousPage', null], ['startCursor', null], ['endCursor', null], ['__typename', null]],
  IndexResult: [
    ['year', null], ['score', null], ['expertScore', null], ['surveyScore', null], ['earnedPoints', null], ['maxPoints', null],
    ['rank', null], ['previousRank', null], ['rankChange', null], ['responses', null], ['surveyInsufficient', null],
    ['provisional', null], ['published', null], ['unit', 'Unit'], ['band', 'Band'], ['domains', 'DomainResult'], ['__typename', null],
  ],
  Unit: [['id', null], ['code', null], ['name', null], ['kind', null], ['firstYear', null], ['lastYear', null], ['__typename', null]],
  Band: [['code', null], ['label', null], ['minScore', null], ['__typename', null]],
  DomainResult: [['code', null], ['name', null], ['score', null], ['earnedPoints', null], ['maxPoints', null], ['rank', null], ['__typename', null]],
};
/** Fields that are never rendered, picked rarely so that most documents are. */
const NOT_RENDERED: Record<string, string> = { IndexResult: 'unit { parent { code } }', Unit: 'parent { code }' };

interface Sel { text: string; fragments: string[] }

/** Below this depth no object field is selected: the unit page's types nest without end (a result's unit has results). */
const MAX_DEPTH = 4;

/**
 * A selection on `type` of `types`; `merging`: sometimes followed by another one on the same type (graphql-js merges
 * fields by key). `depth`: of `type` under the root field.
 */
function selection(type: string, merging = true, types = TYPES, depth = 0): fc.Arbitrary<Sel> {
  const fields: fc.Arbitrary<Sel | null>[] = types[type].filter(([, sub]) => !sub || depth + 1 < MAX_DEPTH).map(([name, sub]) => fc.option(fc.tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('a', 'b') }),
    sub ? selection(sub, true, types, depth + 1) : fc.constant(null),
  ).map(([alias, inner]): Sel => ({
    text: `${alias ? `${alias}_${name}: ` : ''}${name}${inner ? ` { ${inner.text} }` : ''}`,
    fragments: inner?.fragments ?? [],
  })), { nil: null, freq: 2 }));
  if (NOT_RENDERED[type]) {
    const unrendered: Sel = { text: NOT_RENDERED[type], fragments: [] };
    fields.push(fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(unrendered) }));
  }
  const more = merging
    ? fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: selection(type, false, types, depth) })
    : fc.constant(null);
  return fc.tuple(fc.tuple(...fields), fc.constantFrom('plain', 'plain', 'inline', 'typed', 'named', 'repeated'), more).map(([picked, wrap, other]) => {
    const chosen = picked.filter((f): f is Sel => f !== null);
    if (chosen.length === 0) chosen.push({ text: '__typename', fragments: [] });
    const body = [...chosen, ...(other ? [other] : [])].map((c) => c.text).join(' ');
    const fragments = [...chosen, ...(other ? [other] : [])].flatMap((c) => c.fragments);
    switch (wrap) {
      case 'inline': return { text: `... { ${body} }`, fragments };
      case 'typed': return { text: `... on ${type} { ${body} }`, fragments };
      case 'named': {
        const name = `F_${type}_${createHash('sha1').update(body).digest('hex').slice(0, 12)}`;
        return { text: `...${name}`, fragments: [...fragments, `fragment ${name} on ${type} { ${body} }`] };
      }
      case 'repeated': return { text: `${body} ${chosen[0].text}`, fragments };
      default: return { text: body, fragments };
    }
  });
}

test('any selection, arguments and caller: the same answer rendered or resolved', async () => {
  const cursors = [
    ...(await t.ok(`{ rankings(year: 2024, unitKind: COMMUNE, first: 7) { edges { cursor } } }`, {}, null)).rankings.edges.map((e: any) => e.cursor),
    ...(await t.ok(`{ rankings(year: 2023, unitKind: DEPARTMENT, first: 2) { edges { cursor } } }`, {}, tokens.analyst)).rankings.edges.map((e: any) => e.cursor),
    encodeCursor([1.5]), 'garbage', // the last two are refused, like the others outside their own ranking
  ];
  const bands: string[] = (await t.sql('SELECT DISTINCT code FROM band ORDER BY code')).map((b) => b.code);
  // Mostly arguments that hold (else nothing is rendered), some that do not.
  const maybe = <T>(valid: readonly T[], ...invalid: T[]) => fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    ...(valid.length ? [{ weight: 3, arbitrary: fc.constantFrom(...valid) }] : []),
    { weight: 1, arbitrary: fc.constantFrom(...invalid) },
  );
  const args = fc.constantFrom<{ year: number; kind: string; domains: string[]; parents: string[] }>(
    { year: 2024, kind: 'COMMUNE', domains: national.domains, parents: [district] },
    { year: 2023, kind: 'DEPARTMENT', domains: ['D1', 'D2'], parents: [] },
    { year: 2022, kind: 'DEPARTMENT', domains: ['D1'], parents: [] },
    { year: 2031, kind: 'COMMUNE', domains: [], parents: [district] },
    { year: 2024, kind: 'DISTRICT', domains: [], parents: [] },
  ).chain((scope) => fc.record({
    year: fc.constant(scope.year),
    kind: fc.constant(scope.kind),
    first: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 2, 3, 20, 100) }, { weight: 1, arbitrary: fc.constant(0) }),
    domain: maybe(scope.domains, 'NOPE'),
    parent: scope.parents.length ? maybe(scope.parents, 'NOPE') : fc.constant(undefined),
    band: maybe(bands, 'Z'),
    // A cursor holds only for the ranking (year, kind, filters) that made it: rarer, so that most documents still render.
    after: fc.oneof(
      { weight: 16, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom(...cursors.slice(0, -2)) },
      { weight: 1, arbitrary: fc.constantFrom(...cursors.slice(-2)) },
    ),
  }));
  const tally = renderTally();
  await fc.assert(fc.asyncProperty(
    selection('RankingConnection'), args, fc.boolean(), fc.constantFrom(null, 'analyst'), fc.boolean(),
    async (sel, a, twoRoots, caller, rootTypename) => {
      // A second root field always valid: when two fail, which error graphql-js reports is a race.
      const query = `query Q($year: Int!, $kind: UnitKind!, $first: Int!, $domain: String, $parent: String, $band: String, $after: String) {
        ${rootTypename ? '__typename ' : ''}rankings(year: $year, unitKind: $kind, first: $first, domainCode: $domain, parentCode: $parent, bandCode: $band, after: $after) { ${sel.text} }
        ${twoRoots ? `other: rankings(year: 2024, unitKind: COMMUNE, first: 2, domainCode: "LV2") { ${sel.text} }` : ''} }
        ${[...new Set(sel.fragments)].join('\n')}`;
      await tally.ask(query, a, caller === 'analyst' ? tokens.analyst : null);
    }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
  // Most documents are rendered (arguments refused and unrendered fields aside); none failed.
  expect(tally.rendered).toBeGreaterThan(tally.runs / 4);
  expect(tally.failures()).toBe(0);
}, 300000);

// ---------------------------------------------------------------------------
// A unit's page: unit(code) with its results, as UnitResolver.unit and ResultsResolver.results answer it.

/** The unit page's types: a Unit's own fields and results; a result's unitName, version and stale too. */
const UNIT_PAGE_TYPES: Record<string, [string, string | null][]> = {
  ...TYPES,
  Unit: [...TYPES.Unit, ['results', 'IndexResult']],
  IndexResult: [...TYPES.IndexResult, ['unitName', null], ['version', null], ['stale', null]],
};

const issueUnitToken = async (unitCode: string) => (await t.ok(
  `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role: 'UNIT', name: `Cán bộ ${unitCode}`, unitCode } })).issueToken as string;

const UNIT_PAGE = `query UnitPage($code: String!) { unit(code: $code) {
  __typename code name kind firstYear lastYear
  results { year version score rank published provisional unitName band { code label } domains { code score rank } } } }`;
/** A page's results as [year, version, published] rows. */
const years = (answer: Answer) => answer.json.data.unit.results.map((r: any) => [r.year, r.version, r.published]);

test("a unit's page is one statement, and its results are those the caller may see, latest year first", async () => {
  const [syt, stp] = [await issueUnitToken('SYT'), await issueUnitToken('STP')];
  // Anonymous: 2022 only (2023 is open). Figures of the fixture: SYT 9 of 10 → 90, 2nd.
  const { result: anonymous, statements } = await requestStatements(() => ask(t.url, UNIT_PAGE, { code: 'SYT' }, null));
  expect(statements).toHaveLength(1);
  expect(anonymous.rendered).toBe(true);
  expect(anonymous.json.data.unit).toMatchObject({ __typename: 'Unit', code: 'SYT', name: 'Sở Y tế', kind: 'DEPARTMENT', lastYear: null });
  expect(anonymous.json.data.unit.results).toEqual([expect.objectContaining({
    year: 2022, version: 1, score: 90, rank: 2, published: true, unitName: 'Sở Y tế', domains: [{ code: 'D1', score: 90, rank: 2 }],
  })]);
  for (const [token, code, expected] of [
    [null, 'SYT', [[2022, 1, true]]],
    [ADMIN_TOKEN, 'SYT', [[2023, 1, false], [2022, 1, true]]],
    [tokens.analyst, 'SYT', [[2023, 1, false], [2022, 1, true]]],
    // A UNIT token sees its own unit's provisional results, not another's.
    [syt, 'SYT', [[2023, 1, false], [2022, 1, true]]],
    [stp, 'SYT', [[2022, 1, true]]],
    [stp, 'STP', [[2023, 1, false], [2022, 1, true]]],
  ] as [string | null, string, unknown[]][]) {
    const answer = await both(UNIT_PAGE, { code }, token);
    expect(answer.rendered).toBe(true);
    expect(years(answer)).toEqual(expected);
  }
  // The code as UnitService.findByCode reads it (trimmed); none: null, without an error, rendered too.
  expect((await both(UNIT_PAGE, { code: ' SYT ' }, null)).json.data.unit.code).toBe('SYT');
  for (const code of ['NOPE', 'syt']) {
    const none = await both(UNIT_PAGE, { code }, null);
    expect(none.rendered).toBe(true);
    expect(none.json).toEqual({ data: { unit: null } });
  }
  // A commune of the national year: its eight domains in framework order (the analysts' query of bench:query).
  const [commune] = await t.sql(`SELECT code FROM unit WHERE kind = 'COMMUNE' ORDER BY code LIMIT 1`);
  const page = await both(`query UnitPage($code: String!) { unit(code: $code) { name results { year score rank band { code } domains { code score } } } }`,
    { code: commune.code }, null);
  expect(page.rendered).toBe(true);
  expect(page.json.data.unit.results).toHaveLength(1);
  expect(page.json.data.unit.results[0].domains.map((d: any) => d.code)).toEqual(national.domains);
  // A district's last year is 2024 at the latest (lastYearOf).
  const districtPage = await both(`{ unit(code: "${district}") { kind lastYear results { year } } }`, {}, null);
  expect(districtPage.rendered).toBe(true);
  expect(districtPage.json.data.unit).toMatchObject({ kind: 'DISTRICT', lastYear: 2024 });
});

test("fields a root does not write are resolved: a ranking's units have no rendered results, a unit's parent and result(year:) are resolved", async () => {
  for (const query of [
    `{ rankings(year: 2022, unitKind: DEPARTMENT, first: 2) { edges { node { unit { code results { year score } } } } } }`,
    `{ rankings(year: 2022, unitKind: DEPARTMENT, first: 2) { edges { node { unit { code names { name } } } } } }`,
    `{ unit(code: "SYT") { code parent { code } results { year } } }`,
    `{ unit(code: "SYT") { code result(year: 2022) { score } } }`,
    `{ unit(code: "SYT") { results { year } } rankings(year: 2022, unitKind: DEPARTMENT, first: 1) { edges { node { unit { results { year } } } } } }`,
  ]) {
    const answer = await both(query, {}, null);
    expect(answer.rendered).toBe(false);
    expect(answer.json.errors).toBeUndefined();
  }
  // Both roots rendered, each with its own fields.
  const two = await both(`{ unit(code: "SYT") { firstYear results { year } } rankings(year: 2022, unitKind: DEPARTMENT, first: 1) { edges { node { unit { code } } } } }`, {}, null);
  expect(two.rendered).toBe(true);
  expect(two.json.data).toEqual({ unit: { firstYear: 2000, results: [{ year: 2022 }] }, rankings: { edges: [{ node: { unit: { code: 'STP' } } }] } });
});

test("a ranking's units have their years (firstYear, lastYear: a district's ends in 2024), rendered as resolved", async () => {
  // Both paths once answered INTERNAL_SERVER_ERROR here: a ranking read its units without their years.
  const departments = await both(`{ rankings(year: 2022, unitKind: DEPARTMENT, first: 2) { edges { node { unit { code firstYear lastYear } } } } }`, {}, null);
  expect(departments.rendered).toBe(true);
  expect(departments.json.errors).toBeUndefined();
  expect(departments.json.data.rankings.edges.map((e: any) => e.node.unit)).toEqual([
    { code: 'STP', firstYear: 2000, lastYear: null }, expect.objectContaining({ firstYear: 2000, lastYear: null }),
  ]);
  const [district] = await t.sql(`SELECT code FROM unit WHERE kind = 'DISTRICT' ORDER BY code LIMIT 1`);
  if (district) {
    const districts = await both(`{ rankings(year: 2024, unitKind: DISTRICT, first: 50) { edges { node { unit { code lastYear } } } } }`, {}, null);
    expect(districts.json.errors).toBeUndefined();
    for (const e of districts.json.data.rankings.edges) expect(e.node.unit.lastYear).toBeLessThanOrEqual(2024);
  }
});

test("any selection of a unit's page, any code and caller: the same answer rendered or resolved", async () => {
  const [commune] = await t.sql(`SELECT code FROM unit WHERE kind = 'COMMUNE' ORDER BY code LIMIT 1`);
  const callers = [null, ADMIN_TOKEN, tokens.analyst, await issueUnitToken('SYT'), await issueUnitToken('VP')];
  const tally = renderTally();
  await fc.assert(fc.asyncProperty(
    selection('Unit', true, UNIT_PAGE_TYPES), fc.constantFrom('SYT', 'VP', 'STP', commune.code, district, 'NOPE'), fc.constantFrom(...callers), fc.boolean(),
    async (sel, code, caller, twoRoots) => {
      const query = `query Q($code: String!) { unit(code: $code) { ${sel.text} } ${twoRoots ? `other: unit(code: "SNV") { ${sel.text} }` : ''} }
        ${[...new Set(sel.fragments)].join('\n')}`;
      await tally.ask(query, { code }, caller);
    }), { seed: SEED, numRuns: RUNS / 3, endOnFailure: true });
  expect(tally.rendered).toBeGreaterThan(tally.runs / 2);
  expect(tally.failures()).toBe(0);
}, 300000);

// Last: it amends 2022, which the tests above read as published.
test('while a year is amending, its readers read the last published version and its provisional readers the amendment, rendered as resolved', async () => {
  const sngv = await issueUnitToken('SNGV');
  await t.ok(`mutation($input: AmendPublicationInput!) { amendPublication(input: $input) { amending } }`,
    { input: { year: 2022, unitKind: 'DEPARTMENT', reason: 'Chấm lại Sở Ngoại vụ' } });
  // SNGV re-scored 10 of 10 in the amendment (version 2): 100; version 1 keeps 60.
  await t.ok(`mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`, {
    input: { year: 2022, unitCode: 'SNGV', round: 'APPRAISAL', panelist: 'P1', scores: [{ criterionCode: 'C1', points: 10 }] },
  });
  const page = `query($code: String!) { unit(code: $code) { results { year version score rank published domains { code score } } } }`;
  const y2022 = (answer: Answer) => answer.json.data.unit.results.find((r: any) => r.year === 2022);
  for (const [token, code, expected] of [
    [null, 'SNGV', { version: 1, score: 60, published: true }],
    [tokens.analyst, 'SNGV', { version: 2, score: 100 }],
    [sngv, 'SNGV', { version: 2, score: 100 }],
    [sngv, 'STP', { version: 1, score: 100, rank: 1, published: true }],
    [ADMIN_TOKEN, 'SNGV', { version: 2, score: 100, domains: [{ code: 'D1', score: 100 }] }],
  ] as [string | null, string, Record<string, unknown>][]) {
    const answer = await both(page, { code }, token);
    expect(answer.rendered).toBe(true);
    expect(y2022(answer)).toMatchObject(expected);
  }
  const anonymous = await both(page, { code: 'SNGV' }, null);
  expect(anonymous.json.data.unit.results).toEqual([{ year: 2022, version: 1, score: 60, rank: 5, published: true, domains: [{ code: 'D1', score: 60 }] }]);
  // The usual page of a reader who sees no provisional result is one statement of the published years alone; while a
  // year of the unit's kind is amending, that statement says so and the page is read again with the archive: two.
  const { result: amendingPage, statements } = await requestStatements(() => ask(t.url, page, { code: 'SNGV' }, null));
  expect(statements).toHaveLength(2);
  expect(amendingPage.json).toEqual(anonymous.json);

  // A domain ranking selecting only its units reads the domain results alone (src/results/ranking.service.ts, scopeSql):
  // of the version each reader reads, archived or the amendment, its pages followed by their cursors, as resolved.
  const ranking = `query($version: Int, $after: String) {
    rankings(year: 2022, unitKind: DEPARTMENT, domainCode: "D1", first: 2, version: $version, after: $after) {
      totalCount edges { cursor rank score node { unit { code } } } pageInfo { hasNextPage hasPreviousPage } } }`;
  const sngvIn = async (token: string | null, version: number | null) => {
    const edges: any[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 4; pages++) {
      const answer = await both(ranking, { version, after }, token);
      expect(answer.rendered).toBe(true);
      const { edges: page, pageInfo, totalCount } = answer.json.data.rankings;
      expect(totalCount).toBe(5);
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      edges.push(...page);
      if (!pageInfo.hasNextPage) break;
      after = page[page.length - 1].cursor;
    }
    expect(edges).toHaveLength(5);
    return edges.find((e) => e.node.unit.code === 'SNGV');
  };
  expect(await sngvIn(null, null)).toMatchObject({ rank: 5, score: 60 });
  expect(await sngvIn(null, 1)).toMatchObject({ rank: 5, score: 60 });
  expect(await sngvIn(tokens.analyst, null)).toMatchObject({ rank: 1, score: 100 });
  expect(await sngvIn(tokens.analyst, 2)).toMatchObject({ rank: 1, score: 100 });
  expect(await sngvIn(tokens.analyst, 1)).toMatchObject({ rank: 5, score: 60 });
  // The amendment is not the anonymous reader's: an empty ranking, as resolved.
  const unseen = await both(ranking, { version: 2 }, null);
  expect(unseen.json.data.rankings).toMatchObject({ totalCount: 0, edges: [] });
});

// ---------------------------------------------------------------------------
// A search: units(kind, search, first, after), as UnitResolver.units answers it (year and parentCode are resolved).

const UNITS_TYPES: Record<string, [string, string | null][]> = {
  ...UNIT_PAGE_TYPES,
  UnitConnection: [['edges', 'UnitEdge'], ['pageInfo', 'PageInfo'], ['totalCount', null], ['__typename', null]],
  UnitEdge: [['cursor', null], ['node', 'Unit'], ['__typename', null]],
};

const SEARCH = `query Search($q: String, $first: Int, $after: String, $kind: UnitKind) {
  units(search: $q, first: $first, after: $after, kind: $kind) { totalCount edges { cursor node { code name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

test('a search is one statement, in Vietnamese name order, its pages followed by their cursors as the resolver gives them', async () => {
  const { result: answer, statements } = await requestStatements(() => ask(t.url,
    `query Search($q: String!) { units(search: $q, first: 20) { edges { node { code name } } } }`, { q: 'xa 1' }, null));
  expect(statements).toHaveLength(1);
  expect(answer.rendered).toBe(true);
  const stored = await t.sql(`SELECT code, name FROM unit WHERE search_text LIKE '%xa%' AND search_text LIKE '%1%' ORDER BY name COLLATE "vietnamese", code LIMIT 20`);
  expect(stored.length).toBeGreaterThan(1);
  expect(answer.json.data.units.edges.map((e: any) => e.node)).toEqual(stored);
  // Page by page from the end cursor, every page rendered and as resolved.
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const next = await both(SEARCH, { q: 'xa 1', first: 7, after }, null);
    expect(next.rendered).toBe(true);
    const { edges, pageInfo, totalCount } = next.json.data.units;
    expect(totalCount).toBe(Number((await t.sql(`SELECT count(*) FROM unit WHERE search_text LIKE '%xa%' AND search_text LIKE '%1%'`))[0].count));
    expect(pageInfo.hasPreviousPage).toBe(after !== null);
    seen.push(...edges.map((e: any) => e.node.code));
    if (!pageInfo.hasNextPage) break;
    after = pageInfo.endCursor;
  }
  expect(seen).toEqual((await t.sql(`SELECT code FROM unit WHERE search_text LIKE '%xa%' AND search_text LIKE '%1%' ORDER BY name COLLATE "vietnamese", code`)).map((r) => r.code));
  // Diacritics ignored, a kind, LIKE's own characters taken literally, nothing found: rendered, as resolved.
  for (const [variables, codes] of [
    [{ q: 'sở Y', kind: 'DEPARTMENT' }, ['SYT']],
    [{ q: 'so y' }, ['SYT']],
    [{ q: 'x_' }, []],
    [{ q: '%' }, []],
    // "Sở Ngoại vụ" before "Sở Nội vụ": g before ộ.
    [{ q: null, kind: 'DEPARTMENT', first: 2 }, ['SNGV', 'SNV']],
  ] as [Record<string, unknown>, string[]][]) {
    const found = await both(SEARCH, variables, null);
    expect(found.rendered).toBe(true);
    expect(found.json.data.units.edges.map((e: any) => e.node.code)).toEqual(codes);
  }
  // A cursor longer than a line of base64 (76 characters): one piece, as Buffer writes base64url.
  const long = 'Ban Quản lý các khu công nghiệp và khu kinh tế tỉnh Thừa Thiên Huế';
  await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code: 'BQLKKT', name: long, kind: 'DEPARTMENT' } });
  const departments = await both(SEARCH, { kind: 'DEPARTMENT', first: 10 }, null);
  expect(departments.rendered).toBe(true);
  const edge = departments.json.data.units.edges.find((e: any) => e.node.code === 'BQLKKT');
  expect(edge.cursor.length).toBeGreaterThan(76);
  expect(edge.cursor).toBe(encodeCursor([long, 'BQLKKT']));
  // Refused arguments, and those left to the resolver (year, parentCode), answer as resolved.
  for (const [query, variables, code] of [
    [SEARCH, { first: 0 }, 'BAD_USER_INPUT'],
    [SEARCH, { first: 101 }, 'BAD_USER_INPUT'],
    [SEARCH, { after: 'garbage' }, 'BAD_USER_INPUT'],
    [SEARCH, { q: 'x'.repeat(201) }, 'BAD_USER_INPUT'],
    [`{ units(year: 2024, search: "xa 1", first: 3) { edges { node { code name } } } }`, {}, null],
    [`{ units(parentCode: "${district}", first: 3) { totalCount edges { node { code } } } }`, {}, null],
    [`{ units(parentCode: "NOPE", first: 3) { totalCount } }`, {}, 'NOT_FOUND'],
  ] as [string, Record<string, unknown>, string | null][]) {
    const refused = await both(query, variables, null);
    expect(refused.rendered).toBe(false);
    if (code) expect(refused.json.errors[0].extensions.code).toBe(code);
    else expect(refused.json.errors).toBeUndefined();
  }
});

test('any selection of a search, any arguments and caller: the same answer rendered or resolved', async () => {
  const cursors = [
    ...(await t.ok(`{ units(search: "xa", first: 3) { edges { cursor } } }`, {}, null)).units.edges.map((e: any) => e.cursor),
    (await t.ok(`{ units(kind: DEPARTMENT, first: 2) { pageInfo { endCursor } } }`, {}, null)).units.pageInfo.endCursor,
    encodeCursor([1.5]), 'garbage',
  ];
  const callers = [null, ADMIN_TOKEN, tokens.analyst, await issueUnitToken('SYT')];
  const maybe = <T>(valid: readonly T[], ...invalid: T[]) => fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...valid) },
    ...(invalid.length ? [{ weight: 1, arbitrary: fc.constantFrom(...invalid) }] : []),
  );
  const args = fc.record({
    search: maybe(['xa', 'xa 1', 'Xã 12', 'sở', 'so y', 'ngoai', '  ', 'z'], 'x'.repeat(201)),
    kind: maybe(['COMMUNE', 'DEPARTMENT', 'DISTRICT']),
    first: maybe([1, 2, 3, 20, 100], 0, 101),
    after: maybe(cursors.slice(0, -2), ...cursors.slice(-2)),
    year: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(2024) }),
  });
  const tally = renderTally();
  await fc.assert(fc.asyncProperty(selection('UnitConnection', true, UNITS_TYPES), args, fc.constantFrom(...callers),
    async (sel, a, caller) => {
      const query = `query Q($search: String, $kind: UnitKind, $first: Int, $after: String, $year: Int) {
        units(search: $search, kind: $kind, first: $first, after: $after, year: $year) { ${sel.text} } }
        ${[...new Set(sel.fragments)].join('\n')}`;
      await tally.ask(query, a, caller);
    }), { seed: SEED, numRuns: RUNS / 3, endOnFailure: true });
  expect(tally.rendered).toBeGreaterThan(tally.runs / 3);
  expect(tally.failures()).toBe(0);
}, 300000);

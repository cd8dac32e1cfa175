import { executionStats } from '../../src/http/jit-executor';
import { startTestService, type TestService } from '../support/test-service';

/*
 * Issue 11: an introspection flood costs the service its parsing, not an
 * execution each. Introspection-only operations are executed once per
 * selection and answered from the kept JSON after, whatever comment or
 * layout dresses their text; the limits still apply to every one.
 */

let t: TestService;
beforeAll(async () => {
  // What is kept and executed, not the budgets (each __schema is charged, hostile-load.test.ts): six from one IP at once.
  t = await startTestService({ anonymousRatePerSec: 1_000_000, anonymousBurst: 1_000_000, callerBudgets: { costPerSecAnonymous: 1e9, costPerSecToken: 1e9, dbMsPerSec: 1_000_000, dbSharePercent: 100, maxConcurrent: 10000 } });
});
afterAll(async () => { await t?.stop(); });

async function post(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, text: await res.text() };
}

const DEEP = `{ __schema { queryType { name } types { ...T } directives { name locations args { name type { ...R } } } } }
fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
fragment T on __Type { kind name description fields(includeDeprecated: true) { name args { name type { ...R } } type { ...R } } enumValues { name } }`;

test('a deep introspection dressed differently each time is executed once; every answer is the same', async () => {
  const first = await post(`# nonce 0\n${DEEP}`);
  expect(first.status).toBe(200);
  const body = JSON.parse(first.text);
  expect(body.errors).toBeUndefined();
  expect(body.data.__schema.queryType.name).toBe('Query');
  expect(body.data.__schema.types.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['Unit', 'IndexResult', 'Query', 'Mutation']));

  const hits = executionStats.introspectionHits;
  for (let i = 1; i <= 5; i++) {
    // Another comment, other whitespace: another text (the response cache misses), the same selection.
    const again = await post(`# nonce ${i}\n${DEEP.replace(/ \{ /g, i % 2 ? '{\n  ' : ' {  ')}`);
    expect(again).toEqual(first);
  }
  expect(executionStats.introspectionHits - hits).toBe(5);
});

test('the selection and the variables are the key: __type of two names answers each its own', async () => {
  const q = 'query($n: String!) { __type(name: $n) { name kind fields { name } } }';
  const unit = JSON.parse((await post(q, { n: 'Unit' })).text).data.__type;
  const band = JSON.parse((await post(q, { n: 'Band' })).text).data.__type;
  expect(unit.name).toBe('Unit');
  expect(band.name).toBe('Band');
  expect(unit.fields.map((f: { name: string }) => f.name)).toContain('code');
  const hits = executionStats.introspectionHits;
  expect(JSON.parse((await post(`#again\n${q}`, { n: 'Unit' })).text).data.__type).toEqual(unit);
  expect(JSON.parse((await post(`#again\n${q}`, { n: 'Band' })).text).data.__type).toEqual(band);
  expect(executionStats.introspectionHits - hits).toBe(2);
  // Another selection of the same type is not the kept answer.
  const names = JSON.parse((await post('{ __type(name: "Unit") { name } }')).text).data.__type;
  expect(names).toEqual({ name: 'Unit' });
});

test('an operation that reads data besides introspection is not kept; the limits refuse what they refused', async () => {
  const hits = executionStats.introspectionHits;
  for (let i = 0; i < 2; i++) {
    const mixed = JSON.parse((await post(`#${i}\n{ __schema { queryType { name } } units { totalCount } }`)).text);
    expect(mixed.data).toEqual({ __schema: { queryType: { name: 'Query' } }, units: { totalCount: 0 } });
  }
  expect(executionStats.introspectionHits).toBe(hits);

  await post(DEEP); // kept
  const twice = JSON.parse((await post(`{ a: __schema { queryType { name } } b: __schema { queryType { name } } }`)).text);
  expect(twice.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'TOO_MUCH_INTROSPECTION' });
});

describe('a document sent with a comment of its own each time (src/http/comments.ts)', () => {
  async function validatedCount(): Promise<number> {
    const text = await (await fetch(new URL('/metrics', t.url))).text();
    const line = text.split('\n').find((l) => l.startsWith('par_graphql_documents_validated_total '));
    return Number(line?.split(' ')[1]);
  }
  const nonce = (i: number) => `#nonce-${String(i).padStart(4, '0')}\n`;

  test('is parsed and validated at its first two sights only, when the comments have one length', async () => {
    const q = 'query Q($y: Int!) { questionnaire(year: $y) { code text } }';
    const before = await validatedCount();
    const answers: { status: number; text: string }[] = [];
    for (let i = 0; i < 6; i++) answers.push(await post(nonce(i) + q, { y: 2024 }));
    expect(answers.every((a) => a.status === 200 && a.text === answers[0].text)).toBe(true);
    expect(JSON.parse(answers[0].text).errors).toBeUndefined();
    // First sight: parsed, validated, not kept; second: kept; the other four found in the store.
    expect(await validatedCount() - before).toBe(2);
    // A comment of another length is another text: parsed and validated again.
    await post(`#x\n${q}`, { y: 2024 });
    expect(await validatedCount() - before).toBe(3);
  });

  test('a GET request\'s document is blanked alike: same answers, validated at its first two sights only', async () => {
    const q = 'query Q($y: Int!) { questionnaire(year: $y) { code } }';
    const get = async (i: number) => {
      const url = new URL(t.url);
      url.searchParams.set('query', nonce(i) + q);
      url.searchParams.set('variables', JSON.stringify({ y: 2023 }));
      const res = await fetch(url);
      return { status: res.status, text: await res.text() };
    };
    const before = await validatedCount();
    const answers: { status: number; text: string }[] = [];
    for (let i = 0; i < 4; i++) answers.push(await get(i));
    expect(answers[0].status).toBe(200);
    expect(JSON.parse(answers[0].text)).toEqual({ data: { questionnaire: expect.any(Array) } });
    expect(answers.every((a) => a.status === 200 && a.text === answers[0].text)).toBe(true);
    expect(await validatedCount() - before).toBe(2);
  });

  test('errors point where they did in the text sent, comments and all', async () => {
    // Validation: the unknown field is on line 3, column 3 of the text sent.
    const invalid = `# a comment, then a line\n#another\n{ nope }`;
    const refused = JSON.parse((await post(invalid)).text);
    expect(refused.errors[0].message).toMatch(/nope/);
    expect(refused.errors[0].locations).toEqual([{ line: 3, column: 3 }]);
    // Execution, on a document found in the store (third sight): the refused argument's field, line 3 column 5.
    const q = '{\n    rankings(year: 1800, unitKind: COMMUNE) { totalCount }\n}';
    const answers: { errors?: { locations?: unknown }[] }[] = [];
    for (let i = 0; i < 3; i++) answers.push(JSON.parse((await post(`${nonce(i)}${q} # and a trailing one ${i}`)).text));
    for (const a of answers) {
      expect(a.errors?.[0]?.locations).toEqual([{ line: 3, column: 5 }]);
      expect(a).toEqual(answers[0]);
    }
  });
});

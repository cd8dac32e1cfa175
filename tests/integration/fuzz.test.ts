import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { vietnamDate } from '../../src/survey/vietnam-time';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/**
 * Property-based fuzzing over HTTP (issue 6, "Hostile input"). Every
 * mutation of API.md and the main queries get malformed variables: wrong
 * types, out-of-range and non-finite numbers, three-decimal points, unicode
 * garbage and control characters, 1 MB strings, 10,000-element lists,
 * criteria trees 50 deep, unknown enum values, SQL metacharacters. Every
 * answer must be JSON; every error must carry one of API.md's codes (never
 * INTERNAL_SERVER_ERROR, never none); a success is accepted only where the
 * input may legitimately be valid; a refused write leaves no row behind;
 * the server keeps answering after each batch.
 *
 * Deterministic: FUZZ_SEED (default below) and FUZZ_RUNS runs per property.
 * On a failure fast-check prints the seed, path and the shrunk counterexample.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const params = (runs = RUNS): fc.Parameters<unknown> => ({ seed: SEED, numRuns: runs, endOnFailure: true });

const CONTRACT_CODES = new Set([
  'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE',
]);
const YEAR = vietnamDate(new Date()).year;
const PUBLISHED_YEAR = 2022;

// ---------------------------------------------------------------------------
// Transport: JSON cannot carry NaN, Infinity or -0, but a raw body can hold
// 1e400 (JSON.parse makes it Infinity) and -0. Such numbers are sent as
// placeholders and written verbatim into the body.

const RAW = '\u0000raw:';
const rawNumber = (text: string) => `${RAW}${text}`;
const INFINITY = rawNumber('1e400');
const NEG_INFINITY = rawNumber('-1e400');
const NEG_ZERO = rawNumber('-0');

function encode(body: unknown): string {
  return JSON.stringify(body).replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

interface Answer {
  status: number;
  text: string;
  json?: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

let t: TestService;

async function post(body: string, token: string | null, contentType = 'application/json'): Promise<Answer> {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  let json: Answer['json'];
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json };
}

function send(query: string, variables: unknown, token: string | null): Promise<Answer> {
  return post(encode({ query, variables }), token);
}

function describe_(a: Answer): string {
  return `HTTP ${a.status}: ${a.text.slice(0, 600)}`;
}

/** Throws unless the answer is JSON and every error carries a contract code. Returns whether it was refused. */
function judge(a: Answer): { refused: boolean; codes: string[] } {
  if (!a.json || typeof a.json !== 'object') throw new Error(`answer is not a JSON object: ${describe_(a)}`);
  const errors = a.json.errors ?? [];
  if (!Array.isArray(errors)) throw new Error(`errors is not a list: ${describe_(a)}`);
  const codes = errors.map((e) => e?.extensions?.code as string);
  for (const code of codes) {
    if (!code || !CONTRACT_CODES.has(code)) throw new Error(`error code ${code ?? '(none)'} is not one of API.md's refusals: ${describe_(a)}`);
  }
  if (errors.length === 0 && (a.json.data === undefined || a.json.data === null)) throw new Error(`neither data nor errors: ${describe_(a)}`);
  if (a.status >= 500 && !codes.includes('SERVICE_UNAVAILABLE')) throw new Error(`HTTP ${a.status}: ${describe_(a)}`);
  return { refused: errors.length > 0, codes };
}

// ---------------------------------------------------------------------------
// Rows: every table but TypeORM's own and the derived ones that background
// jobs write on their own schedule (results and their version token by the recompute scheduler, the
// survey tallies rolled up from stored responses): a refused request must
// leave every other table as it was.

let countSql = '';
async function counts(): Promise<Record<string, number>> {
  const rows = await t.sql<{ name: string; n: string }>(countSql);
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}
function diff(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const k of Object.keys(after)) if (after[k] !== before[k]) d[k] = after[k] - (before[k] ?? 0);
  return d;
}

// ---------------------------------------------------------------------------
// Arbitraries.

const BIG = 'x'.repeat(1_000_000);
const BIG_CODE = 'A'.repeat(1_000_000);
const BIG_VI = 'Sở Tư pháp '.repeat(70_000); // ~0.8 M characters, ~1 MB of UTF-8
const SQL_META = [
  "' OR '1'='1", "'; DROP TABLE unit; --", '%', '_', '%%', '\\', '\\%', "'", '"', '--', '/*', '*/', ';', '$1', '$$', "E'\\x00'",
  "' UNION SELECT token_hash FROM api_token --", 'STP%', 'S_P', '[a-z]*', '.*', '(?:', '\\\\', 'ILIKE', "1; SELECT pg_sleep(5)",
];
const CONTROL = fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 });
const WEIRD_STRINGS = [
  '', ' ', '\u0000', 'STP\u0000', '\u0000STP', '\t', '\n\r', '\u007f', '\u200b', '\ufeff', '\ud800', '\udfff', 'a\ud800b', '\u202e',
  'Ṩ̴̢̛̛̯̮̙ơ̷̧̛̤ ̵̡̢̛T̶̗̍ư̷ ̵p̷h̷á̷p̷', '🏛️👨‍👩‍👧', 'Đ', 'đ', 'ĐĐĐ', 'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ', '𝓢𝓣𝓟', 'null', 'undefined', 'NaN', 'Infinity',
  '-Infinity', '1e308', '-0', '0x10', '1,5', '7.255', 'true', '{}', '[]', '__proto__', 'constructor', '../../etc/passwd', '<script>',
];

const garbageString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: CONTROL },
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...SQL_META) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('STP', 'Q1', 'C1'), CONTROL).map(([a, b]) => a + b) },
);
const bigString = fc.constantFrom(BIG, BIG_CODE, BIG_VI);

const HUGE_NUMBERS = [
  1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 31, -(2 ** 31) - 1, 2 ** 31 - 1, -(2 ** 31),
  2 ** 53 + 2, -(2 ** 53) - 2, 1e21, 1e-7, -1, 0, INFINITY, NEG_INFINITY, NEG_ZERO,
];
const threeDecimals = fc.integer({ min: -100_000, max: 100_000 }).filter((n) => n % 10 !== 0).map((n) => n / 1000);
const junkNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HUGE_NUMBERS),
  threeDecimals,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e308', '-0', '5', '7.5', '', ' 5', '0x1F', '1_000'),
);
const wrongType: fc.Arbitrary<unknown> = fc.constantFrom(
  null, true, false, {}, [], { a: 1 }, [1, 2], [null], 'x', 0, 1.5, { __proto__: 1 }, [[[]]], { value: 'STP' },
);
const anyJunk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: garbageString },
  { weight: 3, arbitrary: junkNumber },
  { weight: 3, arbitrary: wrongType },
  { weight: 1, arbitrary: bigString },
);
const junkEnum: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('FOO', 'department', 'Department', 'DEPARTMENT ', ' DEPARTMENT', 'DEPARTMENT\u0000', 'ĐEPARTMENT', '', 'null',
    'ADMIN; DROP', 'KIOSK\n', 'MEAN|MEDIAN', '__typename', 'SELF_ASSESSMENT ', 'PUBLISHED'),
  anyJunk,
);

/**
 * Arbitraries built here remember their all-valid variant (`valid`), so
 * that a record can be wholly valid often enough for the success paths
 * (storing, idempotency) to be exercised too, not only the refusals.
 */
type Arb = fc.Arbitrary<unknown> & { valid?: fc.Arbitrary<unknown> };
const validOf = (a: Arb): fc.Arbitrary<unknown> => a.valid ?? a;
function withValid(a: fc.Arbitrary<unknown>, valid: fc.Arbitrary<unknown>): Arb {
  return Object.assign(a, { valid });
}

/** The valid value most of the time, some junk otherwise. */
function slot<T>(valid: fc.Arbitrary<T>, junk: fc.Arbitrary<unknown> = anyJunk, validWeight = 3): Arb {
  return withValid(fc.oneof({ weight: validWeight, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: junk }), validOf(valid));
}
const enumSlot = (...values: string[]) => slot(fc.constantFrom(...values), junkEnum);
const intSlot = (min: number, max: number) => slot(fc.integer({ min, max }), junkNumber);
const floatSlot = (min: number, max: number) => slot(
  fc.oneof(fc.integer({ min: min * 100, max: max * 100 }).map((n) => n / 100), fc.integer({ min, max })), junkNumber);
const codeSlot = (...known: string[]) => slot(fc.oneof(fc.constantFrom(...known), fc.stringMatching(/^[A-Z][A-Z0-9_.-]{0,8}$/)),
  fc.oneof(anyJunk, fc.constantFrom(...known).map((c) => c.toLowerCase()), fc.constantFrom(...known).map((c) => ` ${c}\u0000`)));
const textSlot = slot(fc.oneof(fc.constantFrom('Sở Tư pháp', 'Phường Phú Hội', 'Câu hỏi?', 'Kiosk 1'), fc.string({ minLength: 1, maxLength: 30 })),
  anyJunk);

/**
 * A list: usually short, sometimes empty, sometimes 10,000 elements (made by
 * `huge` from the index: small elements, so that the body stays under the limit).
 */
function listOf<T>(item: fc.Arbitrary<T>, opts: { maxLength?: number; huge?: (i: number) => unknown } = {}): fc.Arbitrary<unknown> {
  const huge = opts.huge ?? ((i: number) => `X${i}`);
  const tenThousand = fc.constant(null).map(() => Array.from({ length: 10_000 }, (_, i) => huge(i)));
  return withValid(fc.oneof(
    { weight: 8, arbitrary: fc.array(item, { minLength: 0, maxLength: opts.maxLength ?? 4 }) as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: tenThousand },
    { weight: 1, arbitrary: anyJunk },
  ), fc.array(validOf(item), { minLength: 1, maxLength: opts.maxLength ?? 4 }));
}

/** A record whose fields are arbitraries; sometimes a key is dropped, an unknown one added, or the whole thing is junk. */
function record(model: Record<string, Arb>): Arb {
  const keys = Object.keys(model);
  const base = fc.record(model);
  const valid = fc.record(Object.fromEntries(keys.map((k) => [k, validOf(model[k])])));
  return withValid(fc.oneof(
    { weight: 6, arbitrary: valid as fc.Arbitrary<unknown> },
    { weight: 10, arbitrary: base as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: fc.tuple(base, fc.constantFrom(...keys)).map(([r, k]) => { const c = { ...r } as Record<string, unknown>; delete c[k]; return c; }) },
    { weight: 1, arbitrary: fc.tuple(base, fc.constantFrom('extra', '__proto__', 'id', 'constructor'), anyJunk).map(([r, k, v]) => ({ ...r, [k]: v })) },
    { weight: 1, arbitrary: anyJunk },
  ), valid);
}

/** Surely-bad predicates: when one holds, a success is a bug. */
const isNum = (v: unknown): v is number => typeof v === 'number';
const nonFinite = (v: unknown) => v === INFINITY || v === NEG_INFINITY;
const moreThanTwoDecimals = (v: unknown) => isNum(v) && Number.isFinite(v) && !/^-?\d+(\.\d{1,2})?$/.test(String(v)) && !/e/.test(String(v));
const hasControl = (v: unknown) => typeof v === 'string' && /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v);
const badCode = (v: unknown) => typeof v === 'string' && !/^[A-Z0-9_.-]{1,64}$/.test(v.normalize('NFC').trim());
const obj = (v: unknown): Record<string, any> => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, any> : {});
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

// ---------------------------------------------------------------------------
// The service under fuzz and its fixture.

const tokens: Record<string, string> = {};
let victimKioskId = '';
let mainKioskId = '';

type Caller = 'admin' | 'appraiser' | 'analyst' | 'kiosk' | 'anonymous' | 'garbage' | 'unknownKiosk' | 'revokedKiosk';
const GOOD_CALLERS: Record<string, Caller[]> = {
  admin: ['admin'], appraiser: ['admin', 'appraiser'], kiosk: ['kiosk'],
  reader: ['admin', 'appraiser', 'analyst', 'anonymous'],
};
function tokenOf(c: Caller): string | null {
  switch (c) {
    case 'anonymous': return null;
    case 'garbage': return 'not-a-token\u00e9';
    case 'unknownKiosk': return 'par_k_0000000000000000000000000000';
    default: return tokens[c];
  }
}
function callers(main: Caller): fc.Arbitrary<Caller> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(main) },
    { weight: 1, arbitrary: fc.constantFrom<Caller>('admin', 'appraiser', 'analyst', 'kiosk', 'anonymous', 'garbage', 'unknownKiosk', 'revokedKiosk') },
  );
}

interface Op {
  name: string;
  document: string;
  vars: fc.Arbitrary<unknown>;
  caller: Caller;
  /** Callers who may succeed. */
  allowed: Caller[];
  /** A reason a success would be a bug, or null if the input may be valid. */
  surelyBad?: (v: Record<string, any>) => string | null;
  /** Checks on the rows a successful answer stored. */
  onSuccess?: (v: Record<string, any>, data: any, delta: Record<string, number>) => void | Promise<void>;
  write: boolean;
  runs?: number;
}

/** fc.assert with a report that stays readable when the counterexample holds 1 MB strings or 10,000-element lists. */
async function check<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, runs = RUNS): Promise<void> {
  const out = await fc.check(property, params(runs) as fc.Parameters<Ts>);
  if (!out.failed) return;
  const shown = fc.stringify(out.counterexample);
  const example = shown.length > 3000 ? `${shown.slice(0, 1500)} …(${shown.length} characters)… ${shown.slice(-1500)}` : shown;
  const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  throw new Error(`Property failed after ${out.numRuns} runs (seed ${out.seed}, path "${out.counterexamplePath}"; rerun with FUZZ_SEED=${out.seed}).\n`
    + `Counterexample: ${example}\nCause: ${cause.length > 3000 ? `${cause.slice(0, 3000)}…` : cause}`);
}

async function runOp(op: Op): Promise<void> {
  let refusals = 0;
  let successes = 0;
  const codes = new Map<string, number>();
  await check(
    fc.asyncProperty(op.vars, callers(op.caller), async (vars, caller) => {
      const before = op.write ? await counts() : {};
      const answer = await send(op.document, vars, tokenOf(caller));
      const verdict = judge(answer);
      const delta = op.write ? diff(before, await counts()) : {};
      if (verdict.refused) {
        refusals++;
        for (const c of verdict.codes) codes.set(c, (codes.get(c) ?? 0) + 1);
        if (Object.keys(delta).length) throw new Error(`refused ${op.name} left rows behind: ${JSON.stringify(delta)}; ${describe_(answer)}`);
        return;
      }
      successes++;
      if (!op.allowed.includes(caller)) throw new Error(`${op.name} succeeded for caller ${caller}: ${describe_(answer)}`);
      const why = op.surelyBad?.(obj(vars));
      if (why) throw new Error(`${op.name} accepted input that is surely invalid (${why}): ${describe_(answer)}`);
      await op.onSuccess?.(obj(vars), answer.json!.data, delta);
    }),
    op.runs,
  );
  // The server keeps answering.
  const alive = await send('{ __typename }', {}, ADMIN_TOKEN);
  expect(alive.json?.data).toEqual({ __typename: 'Query' });
  const health = await fetch(t.url.replace('/graphql', '/healthz'));
  expect(health.status).toBe(200);
  // eslint-disable-next-line no-console
  if (process.env.FUZZ_VERBOSE) console.log(op.name, { successes, refusals, codes: Object.fromEntries(codes) });
}

beforeAll(async () => {
  // Robustness, not the budgets (hostile-load.test.ts): the fuzzer's refused documents, each charged to this IP, must not
  // run it into debt.
  t = await startTestService({
    anonymousRatePerSec: 100000, anonymousBurst: 100000, kioskRatePerSecond: 1_000_000, kioskRateBurst: 10_000_000,
    callerBudgets: { costPerSecAnonymous: 1e9, costPerSecToken: 1e9, dbMsPerSec: 1_000_000, dbSharePercent: 100, maxConcurrent: 10000 },
  });
  const tables = await t.sql<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        AND table_name NOT IN ('migrations', 'typeorm_metadata', 'index_result', 'domain_result', 'result_state') AND table_name NOT LIKE '%tally%'
        -- Written by background work, whoever's request stored the rows they read: the roll-up's tallies, the kiosk alerts.
        AND table_name NOT LIKE 'kiosk_alert%'
      ORDER BY 1`);
  countSql = tables.map((r) => `SELECT '${r.table_name}' AS name, count(*) AS n FROM "${r.table_name}"`).join(' UNION ALL ');

  for (const [code, name, kind, parentCode] of [
    ['STP', 'Sở Tư pháp', 'DEPARTMENT', null], ['SNV', 'Sở Nội vụ', 'DEPARTMENT', null],
    ['H1', 'Huyện Phong Điền', 'DISTRICT', null], ['X1', 'Xã Phong An', 'COMMUNE', 'H1'],
  ]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind, parentCode } });
  }
  const issue = async (role: string, name: string) =>
    (await t.ok(`mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name } })).issueToken as string;
  tokens.admin = ADMIN_TOKEN;
  tokens.appraiser = await issue('APPRAISER', 'Thẩm định viên');
  tokens.analyst = await issue('ANALYST', 'Nhà phân tích');

  const framework = (year: number) => ({
    year, unitKind: 'DEPARTMENT', minResponses: 1, maxBonus: 2, maxPenalty: 3,
    bands: [{ code: 'A', label: 'Tốt', minScore: 80 }, { code: 'B', label: 'Khá', minScore: 50 }],
    domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
      { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
      { code: 'C2', name: 'Kiểm tra', children: [{ code: 'C2.1', name: 'Kiểm tra nội bộ', maxPoints: 5.5, source: 'EXPERT' }] },
      ...(year === YEAR ? [{ code: 'S1', name: 'Hài lòng', maxPoints: 10, source: 'SURVEY', questionCodes: ['Q1', 'Q2'] }] : []),
    ] }],
  });
  // A published year for rankings and publishCycle conflicts.
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(PUBLISHED_YEAR) });
  await t.ok(`mutation { openCycle(year: ${PUBLISHED_YEAR}, unitKind: DEPARTMENT) { status } }`);
  for (const [unitCode, points] of [['STP', 9.5], ['SNV', 7]] as const) {
    await t.ok(`mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`, {
      input: { year: PUBLISHED_YEAR, unitCode, round: 'APPRAISAL', scores: [{ criterionCode: 'C1', points }, { criterionCode: 'C2.1', points: 5 }] },
    }, tokens.appraiser);
  }
  await t.ok(`mutation { publishCycle(year: ${PUBLISHED_YEAR}, unitKind: DEPARTMENT) { status } }`);
  // The current year, open: what kiosks and appraisers work on.
  await t.ok(`mutation($q: [QuestionInput!]!) { defineQuestionnaire(year: ${YEAR}, questions: $q) { code } }`, { q: [
    { code: 'Q1', text: 'Anh/Chị hài lòng với việc tiếp cận dịch vụ?', element: 'ACCESS', scaleMax: 5 },
    { code: 'Q2', text: 'Công chức có hướng dẫn tận tình?', element: 'CIVIL_SERVANT', scaleMax: 3 },
    { code: 'Q3', text: 'Kết quả đúng hẹn?', element: 'RESULT', scaleMax: 5, satisfiedMin: 4 },
  ] });
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(YEAR) });
  await t.ok(`mutation { openCycle(year: ${YEAR}, unitKind: DEPARTMENT) { status } }`);

  const register = async (unitCode: string, label: string) =>
    (await t.ok(`mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { kiosk { id } token } }`, { input: { unitCode, label } })).registerKiosk;
  const main = await register('STP', 'Quầy 1');
  tokens.kiosk = main.token;
  mainKioskId = main.kiosk.id;
  victimKioskId = (await register('SNV', 'Quầy để thu hồi')).kiosk.id;
  const revoked = await register('SNV', 'Quầy đã thu hồi');
  tokens.revokedKiosk = revoked.token;
  await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { active } }`, { id: revoked.kiosk.id });
}, 60_000);

afterAll(async () => { await t?.stop(); });

// ---------------------------------------------------------------------------
// Queries (anonymous readers mostly; they are rate limited per IP, lifted here).

const kindSlot = enumSlot('DEPARTMENT', 'DISTRICT', 'COMMUNE');
const yearSlot = slot(fc.oneof(fc.constantFrom(YEAR, PUBLISHED_YEAR), fc.integer({ min: 1990, max: 2110 })), junkNumber);
const searchSlot = slot(fc.oneof(fc.constantFrom('sở', 'Phong', 'tu phap', 'ĐIỀN', 'S'), fc.string({ maxLength: 12 })),
  fc.oneof(fc.constantFrom(...SQL_META), anyJunk), 1);
/** Cursors the service never made, shaped like its own: huge or fractional positions, NULs, another list's or ranking's key. */
const craftedCursors = ['[1e300,"0123456789ab"]', '[99999999999,"0123456789ab"]', '[1e300]', '[99999999999]', '[-1,"x"]', '[1.5,"x"]',
  '[1,"0123456789ab"]', '["\\u0000","A"]', '["Sở Tư pháp","STP"]', '[1,2]', '[null,"x"]', '[1e309,"x"]']
  .map((key) => Buffer.from(key, 'utf8').toString('base64url'));
const cursorSlot = slot(fc.constant(null), fc.oneof(anyJunk, fc.base64String({ maxLength: 40 }), fc.constantFrom(...craftedCursors),
  fc.constantFrom('eyJ4IjoxfQ==', Buffer.from('{"name":"\'; DROP TABLE unit;--","id":1}').toString('base64'), 'bnVsbA==', 'W10=', 'eyJpZCI6MWUzMDh9')));
const readerOp = (name: string, document: string, vars: Record<string, Arb>): Op => ({
  name, document, vars: record(vars), caller: 'anonymous', allowed: GOOD_CALLERS.reader, write: false,
});

const queries: Op[] = [
  readerOp('unit', `query($code: String!) { unit(code: $code) { id code name kind parent { code } children { code } result(year: ${PUBLISHED_YEAR}) { score rank } } }`,
    { code: codeSlot('STP', 'H1', 'X1') }),
  readerOp('units', `query($kind: UnitKind, $parentCode: String, $search: String, $first: Int, $after: String) {
      units(kind: $kind, parentCode: $parentCode, search: $search, first: $first, after: $after) {
        totalCount edges { cursor node { code name } } pageInfo { hasNextPage endCursor } } }`,
    { kind: slot(fc.constant(null), kindSlot, 1), parentCode: slot(fc.constantFrom(null, 'H1'), codeSlot('H1', 'STP'), 1),
      search: searchSlot, first: intSlot(1, 100), after: cursorSlot }),
  readerOp('cycle', `query($year: Int!, $unitKind: UnitKind!) { cycle(year: $year, unitKind: $unitKind) {
      year status maxPoints domains { code criteria { code maxPoints children { code } } } bands { code minScore } } }`,
    { year: yearSlot, unitKind: kindSlot }),
  readerOp('questionnaire', `query($year: Int!) { questionnaire(year: $year) { code text element scaleMax satisfiedMin } }`, { year: yearSlot }),
  readerOp('rankings', `query($year: Int!, $unitKind: UnitKind!, $domainCode: String, $parentCode: String, $bandCode: String, $first: Int, $after: String) {
      rankings(year: $year, unitKind: $unitKind, domainCode: $domainCode, parentCode: $parentCode, bandCode: $bandCode, first: $first, after: $after) {
        totalCount edges { cursor rank score node { unit { code } band { code } domains { code rank } } }
        pageInfo { hasNextPage endCursor } summary { count average highest { score } bands { band { code } count } } } }`,
    { year: yearSlot, unitKind: kindSlot, domainCode: slot(fc.constantFrom(null, 'D1'), codeSlot('D1'), 1),
      parentCode: slot(fc.constantFrom(null, 'H1'), codeSlot('H1'), 1), bandCode: slot(fc.constantFrom(null, 'A', 'B'), codeSlot('A'), 1),
      first: intSlot(1, 100), after: cursorSlot }),
  readerOp('satisfaction', `query($year: Int!, $unitCode: String, $unitKind: UnitKind, $groupBy: SatisfactionGrouping) {
      satisfaction(year: $year, unitCode: $unitCode, unitKind: $unitKind, groupBy: $groupBy) { key responses answers satisfied rate rateLow rateHigh mean } }`,
    { year: yearSlot, unitCode: slot(fc.constantFrom(null, 'STP'), codeSlot('STP'), 1), unitKind: slot(fc.constant(null), kindSlot, 1),
      groupBy: enumSlot('QUESTION', 'ELEMENT', 'MONTH', 'KIOSK', 'PROCEDURE') }),
];
// Readers with tokens too: provisional results take other paths.
for (const q of queries) q.runs = RUNS;
queries.push({ ...queries[4], name: 'rankings (analyst)', caller: 'analyst' }, { ...queries[5], name: 'satisfaction (analyst)', caller: 'analyst' });

// ---------------------------------------------------------------------------
// Mutations.

const uuidSlot = slot(fc.uuid(), fc.oneof(anyJunk, fc.uuid().map((u) => u.toUpperCase() + ' '), fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.constantFrom('00000000-0000-0000-0000-00000000000g', '{00000000-0000-0000-0000-000000000000}')), 4);
const submittedAtSlot = slot(fc.integer({ min: 0, max: 30 * 24 * 3600 }).map((s) => new Date(Date.now() - s * 1000).toISOString()),
  fc.oneof(anyJunk, fc.constantFrom('2026-13-45T00:00:00Z', '1899-12-31T23:59:59Z', '9999-12-31T23:59:59Z', '275760-09-13T00:00:00Z',
    '2024-02-30T10:00:00+07:00', '2024-01-01', '00:00', 'now', '2024-01-01T00:00:00+99:00'),
  fc.integer({ min: 10 * 60, max: 1e8 }).map((s) => new Date(Date.now() + s * 1000).toISOString())), 4);
const answerArb = record({ questionCode: codeSlot('Q1', 'Q2', 'Q3'), value: slot(fc.integer({ min: 1, max: 5 }), junkNumber, 4) });
/** Answers a valid response may hold: distinct questions, values on their scales. */
const validAnswers = fc.subarray(['Q1', 'Q2', 'Q3'], { minLength: 1 })
  .chain((codes) => fc.tuple(...codes.map((c) => fc.integer({ min: 1, max: c === 'Q2' ? 3 : 5 }).map((value) => ({ questionCode: c, value })))));
const surveyInput = record({
  clientId: uuidSlot,
  submittedAt: submittedAtSlot,
  answers: withValid(listOf(answerArb, { maxLength: 4, huge: (i) => ({ questionCode: `Q${(i % 3) + 1}`, value: 1 }) }), validAnswers),
  procedureCode: slot(fc.constantFrom(null, 'TTHC-01', 'GPLX.2'), codeSlot('TTHC-01'), 1),
  comment: slot(fc.constantFrom(null, 'Rất hài lòng', ''), anyJunk, 1),
});
const scaleOf: Record<string, number> = { Q1: 5, Q2: 3, Q3: 5 };
function surveyBad(v: Record<string, any>): string | null {
  if (typeof v.clientId !== 'string' && typeof v.clientId !== 'number') return 'clientId';
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(v.clientId))) return 'clientId not a UUID';
  const answers = arr(v.answers);
  if (answers.length < 1 || answers.length > 50) return 'answer count';
  const seen = new Set<string>();
  for (const a of answers) {
    const code = typeof a?.questionCode === 'string' ? a.questionCode.normalize('NFC').trim() : '';
    if (!(code in scaleOf)) return `unknown question ${JSON.stringify(a?.questionCode)}`;
    if (seen.has(code)) return 'question answered twice';
    seen.add(code);
    if (!Number.isInteger(a.value) || a.value < 1 || a.value > scaleOf[code]) return `value ${a.value} off the scale of ${code}`;
  }
  if (typeof v.submittedAt !== 'string' || Number.isNaN(Date.parse(v.submittedAt))) return 'submittedAt';
  if (Date.parse(v.submittedAt) > Date.now() + 5 * 60_000) return 'submittedAt in the future';
  if (hasControl(v.comment)) return 'control characters in comment';
  if (typeof v.comment === 'string' && [...v.comment.normalize('NFC').trim()].length > 1000) return 'comment too long';
  if (typeof v.procedureCode === 'string' && v.procedureCode.trim() !== '' && badCode(v.procedureCode)) return 'procedureCode';
  return null;
}

const leafArb = record({
  code: codeSlot('C9', 'C1'), name: textSlot, maxPoints: floatSlot(0, 100), source: enumSlot('EXPERT', 'SURVEY'),
  questionCodes: slot(fc.constantFrom(null, ['Q1'], ['Q3', 'Q2']), listOf(codeSlot('Q1', 'QX')), 1),
});
/** Criteria nested `depth` deep: inner nodes with one child each, a leaf at the bottom. */
function deepCriterion(depth: number, leaf: Record<string, unknown> = { maxPoints: 1, source: 'EXPERT' }): Record<string, unknown> {
  let node: Record<string, unknown> = { code: `L${depth}`, name: `Mức ${depth}`, ...leaf };
  for (let d = depth - 1; d >= 1; d--) node = { code: `L${d}`, name: `Mức ${d}`, children: [node] };
  return node;
}
const criterionArb: Arb = withValid(fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: leafArb },
    { weight: 2, arbitrary: record({ code: codeSlot('C8'), name: textSlot, children: listOf(tie('node'), { maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.constantFrom(50, 51, 200).map((d) => deepCriterion(d)) },
    { weight: 1, arbitrary: fc.constantFrom(deepCriterion(50, { maxPoints: 1.005, source: 'EXPERT' }), deepCriterion(50, { maxPoints: 1, source: 'SURVEY', questionCodes: ['Q9'] })) },
  ),
})).node, validOf(leafArb));
const domainArb = record({
  code: codeSlot('D1', 'D2'), name: textSlot,
  criteria: listOf(criterionArb, { maxLength: 3, huge: (i) => ({ code: `C${i}`, name: `Tiêu chí ${i}`, maxPoints: 0.01, source: 'EXPERT' }) }),
});
function frameworkBad(v: Record<string, any>): string | null {
  if (!Number.isInteger(v.year) || v.year < 2000 || v.year > 2100) return 'year';
  const walk = (c: any): string | null => {
    if (badCode(c?.code)) return 'criterion code';
    if (hasControl(c?.name)) return 'control characters in a name';
    if (nonFinite(c?.maxPoints) || moreThanTwoDecimals(c?.maxPoints)) return `maxPoints ${c?.maxPoints}`;
    if (isNum(c?.maxPoints) && c.maxPoints < 0) return 'negative maxPoints';
    for (const k of arr(c?.children)) { const w = walk(k); if (w) return w; }
    return null;
  };
  for (const d of arr(v.domains)) {
    if (badCode(d?.code)) return 'domain code';
    if (hasControl(d?.name)) return 'control characters in a domain name';
    for (const c of arr(d?.criteria)) { const w = walk(c); if (w) return w; }
  }
  for (const k of ['maxBonus', 'maxPenalty']) if (nonFinite(v[k]) || moreThanTwoDecimals(v[k]) || (isNum(v[k]) && v[k] < 0)) return k;
  for (const b of arr(v.bands)) if (nonFinite(b?.minScore) || moreThanTwoDecimals(b?.minScore) || badCode(b?.code)) return 'band';
  return null;
}

const questionArb = record({
  code: codeSlot('Q1', 'Q7'), text: textSlot, element: enumSlot('ACCESS', 'PROCEDURE', 'CIVIL_SERVANT', 'RESULT', 'FEEDBACK'),
  scaleMax: intSlot(2, 5), satisfiedMin: slot(fc.constantFrom(null, 2, 3, 4), junkNumber, 1),
});

const scoreArb = record({
  criterionCode: withValid(codeSlot('C1', 'C2.1', 'C2', 'S1', 'D1'), fc.constantFrom('C1', 'C2.1')),
  points: withValid(slot(fc.oneof(fc.integer({ min: 0, max: 1000 }).map((n) => n / 100), fc.constantFrom(null, 0, 5.5, 10)), junkNumber),
    fc.integer({ min: 0, max: 550 }).map((n) => n / 100)),
  notApplicable: slot(fc.constantFrom(null, false, true), wrongType, 4),
  note: slot(fc.constantFrom(null, 'Đạt', ''), anyJunk, 2),
});
function scoresBad(v: Record<string, any>): string | null {
  if (!Number.isInteger(v.year) || v.year < 2000 || v.year > 2100) return 'year';
  if (!['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'].includes(v.round)) return 'round';
  const max: Record<string, number> = { C1: 10, 'C2.1': 5.5 };
  for (const s of arr(v.scores)) {
    const p = s?.points;
    if (nonFinite(p) || moreThanTwoDecimals(p)) return `points ${p}`;
    if (isNum(p) && (p < 0 || (s.criterionCode in max && p > max[s.criterionCode]))) return `points ${p} out of range`;
    if (!(s?.criterionCode in max) && !(typeof s?.criterionCode === 'string' && s.criterionCode.trim() in max)) return `criterion ${s?.criterionCode}`;
    if (hasControl(s?.note)) return 'control characters in a note';
  }
  for (const k of ['bonus', 'penalty']) if (nonFinite(v[k]) || moreThanTwoDecimals(v[k]) || (isNum(v[k]) && (v[k] < 0 || v[k] > 3))) return k;
  if (hasControl(v.panelist)) return 'control characters in panelist';
  return null;
}

const countAccepted = (subs: { status: string }[]) => subs.filter((s) => s.status === 'ACCEPTED').length;

const mutations: Op[] = [
  {
    name: 'submitSurveyResponse', caller: 'kiosk', allowed: GOOD_CALLERS.kiosk, write: true, runs: RUNS * 2,
    document: `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { clientId status responseId error { code field } } }`,
    vars: record({ input: surveyInput }),
    surelyBad: (v) => surveyBad(obj(v.input)),
    onSuccess: async (v, data, delta) => {
      const s = data.submitSurveyResponse;
      expect(['ACCEPTED', 'DUPLICATE']).toContain(s.status);
      expect(delta.survey_response ?? 0).toBe(s.status === 'ACCEPTED' ? 1 : 0);
      // Idempotent on clientId: the same request again is a DUPLICATE of the first and stores nothing.
      const before = await counts();
      const again = await send(`mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status responseId } }`, v, tokens.kiosk);
      expect(again.json?.data?.submitSurveyResponse).toEqual({ status: 'DUPLICATE', responseId: s.responseId });
      expect(diff(before, await counts())).toEqual({});
    },
  },
  {
    name: 'submitSurveyResponses', caller: 'kiosk', allowed: GOOD_CALLERS.kiosk, write: true, runs: RUNS * 2,
    document: `mutation($inputs: [SubmitSurveyResponseInput!]!) { submitSurveyResponses(inputs: $inputs) { clientId status responseId error { code message field } } }`,
    vars: record({ inputs: listOf(surveyInput, { maxLength: 5, huge: (i) => ({
      clientId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, submittedAt: new Date().toISOString(), answers: [{ questionCode: 'Q1', value: 1 }],
    }) }) }),
    surelyBad: (v) => (arr(v.inputs).length > 500 ? 'more than 500 responses' : null),
    onSuccess: (v, data, delta) => {
      const subs = data.submitSurveyResponses as { status: string; error: { code: string } | null }[];
      expect(subs).toHaveLength(arr(v.inputs).length);
      subs.forEach((s, i) => {
        if (s.status === 'REJECTED') expect(CONTRACT_CODES.has(s.error!.code)).toBe(true);
        else if (surveyBad(obj(arr(v.inputs)[i]))) throw new Error(`inputs[${i}] was ${s.status} though ${surveyBad(obj(arr(v.inputs)[i]))}`);
      });
      expect(delta.survey_response ?? 0).toBe(countAccepted(subs));
    },
  },
  {
    name: 'submitExpertScores', caller: 'appraiser', allowed: GOOD_CALLERS.appraiser, write: true, runs: RUNS * 2,
    document: `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score earnedPoints rank provisional domains { code score } } }`,
    vars: record({ input: record({
      year: withValid(slot(fc.constantFrom(YEAR, PUBLISHED_YEAR), junkNumber, 4), fc.constant(YEAR)),
      unitCode: withValid(codeSlot('STP', 'SNV', 'H1'), fc.constantFrom('STP', 'SNV')),
      round: enumSlot('SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'), panelist: slot(fc.constantFrom(null, 'P1', 'Chuyên gia A'), anyJunk, 1),
      scores: listOf(scoreArb, { maxLength: 3, huge: (i) => ({ criterionCode: i % 2 ? 'C1' : 'C2.1', points: 1 }) }),
      bonus: slot(fc.constantFrom(null, 0, 1, 1.5), junkNumber, 1), penalty: slot(fc.constantFrom(null, 0, 2.25), junkNumber, 1),
    }) }),
    surelyBad: (v) => scoresBad(obj(v.input)),
  },
  {
    name: 'createUnit', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id code name kind parent { code } } }`,
    vars: record({ input: record({ code: codeSlot('STP', 'NEW'), name: textSlot, kind: kindSlot, parentCode: slot(fc.constantFrom(null, 'H1', 'STP'), codeSlot('H1'), 1) }) }),
    surelyBad: (v) => {
      const i = obj(v.input);
      if (badCode(i.code)) return 'code';
      if (hasControl(i.name) || (typeof i.name === 'string' && i.name.trim() === '')) return 'name';
      if (!['DEPARTMENT', 'DISTRICT', 'COMMUNE'].includes(i.kind)) return 'kind';
      return null;
    },
    // A unit starts its history: its name and parent from its first year.
    onSuccess: (_v, _d, delta) => expect(delta).toEqual({ unit: 1, unit_name: 1, unit_parent: 1, audit_entry: 1 }),
  },
  {
    name: 'defineQuestionnaire', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code scaleMax satisfiedMin } }`,
    vars: record({
      year: slot(fc.constantFrom(YEAR, PUBLISHED_YEAR, 2030), junkNumber, 4),
      questions: listOf(questionArb, { maxLength: 4, huge: (i) => ({ code: `Q${i}`, text: `Câu ${i}`, element: 'ACCESS', scaleMax: 5 }) }),
    }),
    surelyBad: (v) => {
      if (!Number.isInteger(v.year) || v.year < 2000 || v.year > 2100) return 'year';
      for (const q of arr(v.questions)) {
        if (badCode(q?.code) || hasControl(q?.text)) return 'question';
        if (!Number.isInteger(q?.scaleMax) || q.scaleMax < 2 || q.scaleMax > 5) return `scaleMax ${q?.scaleMax}`;
      }
      return null;
    },
  },
  {
    name: 'defineCycle', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year status maxPoints domains { code maxPoints } } }`,
    vars: record({ input: record({
      year: slot(fc.constantFrom(2030, YEAR, PUBLISHED_YEAR), junkNumber, 4), unitKind: kindSlot,
      domains: listOf(domainArb, { maxLength: 3, huge: (i) => ({ code: `D${i}`, name: `Lĩnh vực ${i}`, criteria: [{ code: `C${i}`, name: 'x', maxPoints: 1, source: 'EXPERT' }] }) }),
      bands: slot(fc.constant(null), listOf(record({ code: codeSlot('A', 'B'), label: textSlot, minScore: floatSlot(0, 100) })), 1),
      minResponses: slot(fc.constantFrom(null, 1, 30), junkNumber, 1), panelAggregation: slot(fc.constantFrom(null, 'MEAN', 'MEDIAN'), junkEnum, 1),
      maxBonus: slot(fc.constantFrom(null, 0, 2.5), junkNumber, 1), maxPenalty: slot(fc.constantFrom(null, 0, 3), junkNumber, 1),
    }) }),
    surelyBad: (v) => frameworkBad(obj(v.input)),
  },
  {
    name: 'openCycle', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($year: Int!, $unitKind: UnitKind!) { openCycle(year: $year, unitKind: $unitKind) { year status } }`,
    vars: record({ year: slot(fc.constantFrom(2030, YEAR, PUBLISHED_YEAR), junkNumber, 2), unitKind: kindSlot }),
    surelyBad: (v) => (v.year === PUBLISHED_YEAR && v.unitKind === 'DEPARTMENT' ? 'published' : null),
  },
  {
    name: 'registerKiosk', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { kiosk { id label active unit { code } } token } }`,
    vars: record({ input: record({ unitCode: codeSlot('STP', 'X1'), label: textSlot }) }),
    surelyBad: (v) => (hasControl(obj(v.input).label) ? 'control characters in label' : null),
    // A kiosk starts serving its unit: one assignment from today.
    onSuccess: (_v, _d, delta) => expect(delta).toEqual({ kiosk: 1, kiosk_assignment: 1, audit_entry: 1 }),
  },
  {
    name: 'issueToken', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`,
    vars: record({ input: record({ role: enumSlot('ADMIN', 'APPRAISER', 'ANALYST', 'KIOSK'), name: textSlot }) }),
    surelyBad: (v) => {
      const i = obj(v.input);
      if (!['ADMIN', 'APPRAISER', 'ANALYST'].includes(i.role)) return `role ${i.role}`;
      if (hasControl(i.name) || (typeof i.name === 'string' && i.name.trim() === '')) return 'name';
      return null;
    },
    onSuccess: (_v, _d, delta) => expect(delta).toEqual({ api_token: 1, audit_entry: 1 }),
  },
  {
    name: 'revokeKiosk', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($id: ID!) { revokeKiosk(id: $id) { id active } }`,
    vars: record({ id: slot(fc.oneof(fc.constant('VICTIM'), fc.integer({ min: 1000, max: 2 ** 31 - 1 }).map(String)),
      fc.oneof(anyJunk, fc.constantFrom('-1', '0', '1.5', '1e3', ' 1', '9223372036854775808', '99999999999999999999', '0x1'))) })
      .map((v) => {
        const o = obj(v);
        if (o.id === 'VICTIM') return { ...o, id: victimKioskId };
        // Never revoke the fuzzing kiosk itself.
        if (String(o.id).trim() === mainKioskId || Number(o.id) === Number(mainKioskId)) return { ...o, id: '2147483647' };
        return v;
      }),
  },
  {
    name: 'publishCycle', caller: 'admin', allowed: GOOD_CALLERS.admin, write: true,
    document: `mutation($year: Int!, $unitKind: UnitKind!) { publishCycle(year: $year, unitKind: $unitKind) { year status } }`,
    vars: record({ year: slot(fc.constantFrom(2030, PUBLISHED_YEAR, 2031), junkNumber, 2), unitKind: kindSlot }),
    surelyBad: (v) => (v.year === PUBLISHED_YEAR && v.unitKind === 'DEPARTMENT' ? 'already published' : null),
  },
];

// ---------------------------------------------------------------------------

describe('hostile values, one by one', () => {
  const DEFINE = `mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year domains { maxPoints } } }`;
  const SCORE = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score } }`;

  async function refusedWithoutRows(document: string, variables: unknown, token: string | null = ADMIN_TOKEN, codes = ['BAD_USER_INPUT']) {
    const before = await counts();
    const a = await send(document, variables, token);
    const verdict = judge(a);
    expect({ refused: verdict.refused, body: a.text.slice(0, 300) }).toMatchObject({ refused: true });
    for (const c of verdict.codes) expect(codes).toContain(c);
    expect(diff(before, await counts())).toEqual({});
  }

  test.each([50, 51, 200, 1000])('a criteria tree %i deep is answered with a contract code and no partial framework', async (depth) => {
    const before = await counts();
    const a = await send(DEFINE, { input: { year: 2040, unitKind: 'COMMUNE', domains: [{ code: 'D1', name: 'Sâu', criteria: [deepCriterion(depth)] }] } }, ADMIN_TOKEN);
    const verdict = judge(a);
    if (verdict.refused) expect(diff(before, await counts())).toEqual({});
  });

  test.each([
    ['three decimals', 7.255], ['1e400 (Infinity)', INFINITY], ['-1e400', NEG_INFINITY], ['1e308', 1e308], ['a string', '7'],
    ['"NaN"', 'NaN'], ['negative', -0.01], ['above the leaf maximum', 10.01], ['a list', [5]], ['an object', { value: 5 }],
  ])('expert points %s are refused with BAD_USER_INPUT and store nothing', async (_name, points) => {
    await refusedWithoutRows(SCORE, { input: { year: YEAR, unitCode: 'STP', round: 'APPRAISAL', scores: [{ criterionCode: 'C1', points }] } }, tokens.appraiser);
  });

  test.each([['-0', NEG_ZERO], ['1e400', INFINITY], ['2^31', 2 ** 31], ['1.5', 1.5], ['"2024"', '2024'], ['1e308', 1e308]])(
    'year %s is refused', async (_name, year) => {
      await refusedWithoutRows(`query($y: Int!) { questionnaire(year: $y) { code } }`, { y: year }, null);
      await refusedWithoutRows(`mutation($y: Int!) { openCycle(year: $y, unitKind: DEPARTMENT) { status } }`, { y: year });
    });

  test('SQL metacharacters in a search are searched for, not run', async () => {
    for (const search of SQL_META) {
      const a = await send(`query($s: String) { units(search: $s) { totalCount edges { node { code } } } }`, { s: search }, null);
      expect({ search, errors: a.json?.errors }).toEqual({ search, errors: undefined });
      // No unit's name holds any of these characters: nothing may match (no wildcard, no injection).
      expect({ search, count: a.json?.data?.units.totalCount }).toEqual({ search, count: 0 });
    }
    expect((await t.sql(`SELECT count(*)::int AS n FROM unit`))[0].n).toBeGreaterThanOrEqual(4);
  });

  test('a 1 MB string and a 10,000-element list in a survey response are refused, nothing stored', async () => {
    const base = { clientId: '6f1c2a52-8d1e-4c3b-9a57-0f3e5a6b7c8d', submittedAt: new Date().toISOString(), answers: [{ questionCode: 'Q1', value: 5 }] };
    const doc = `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`;
    await refusedWithoutRows(doc, { input: { ...base, comment: BIG } }, tokens.kiosk);
    await refusedWithoutRows(doc, { input: { ...base, procedureCode: BIG_CODE } }, tokens.kiosk);
    await refusedWithoutRows(doc, { input: { ...base, answers: Array.from({ length: 10_000 }, (_, i) => ({ questionCode: `Q${(i % 3) + 1}`, value: 1 })) } },
      tokens.kiosk, ['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX']);
    await refusedWithoutRows(doc, { input: { ...base, comment: 'ổn\u0000' } }, tokens.kiosk);
  });
});

describe('fuzz: queries', () => {
  for (const op of queries) test(op.name, () => runOp(op));
});

describe('fuzz: mutations', () => {
  for (const op of mutations) test(op.name, () => runOp(op));

  test('a mutation refused as a whole by a kiosk token stores nothing', async () => {
    // Kiosk tokens may run survey mutations only: any other one is FORBIDDEN and writes nothing.
    for (const op of mutations.filter((m) => m.caller !== 'kiosk')) {
      const before = await counts();
      const [vars] = fc.sample(op.vars, { seed: SEED, numRuns: 1 });
      const verdict = judge(await send(op.document, vars, tokens.kiosk));
      expect(verdict.codes).toEqual(['FORBIDDEN']);
      expect(diff(before, await counts())).toEqual({});
    }
  });
});

describe('fuzz: documents and bodies', () => {
  const deepSelection = (n: number) => `{ unit(code: "X1") ${'{ parent '.repeat(n)}{ code }${' }'.repeat(n)} }`;
  const literalDocs = [
    `{ rankings(year: 1e308, unitKind: DEPARTMENT) { totalCount } }`,
    `{ rankings(year: ${YEAR}, unitKind: FOO) { totalCount } }`,
    `{ rankings(year: ${YEAR}, unitKind: DEPARTMENT, first: 2147483648) { totalCount } }`,
    `{ rankings(year: ${YEAR}, unitKind: DEPARTMENT, first: -1) { totalCount } }`,
    `{ rankings(year: ${YEAR}, unitKind: DEPARTMENT, first: 0) { totalCount } }`,
    `{ units(first: 1000000) { totalCount } }`,
    `{ units(search: "\\u0000") { totalCount } }`,
    `{ units(search: "%' OR 1=1 --") { totalCount } }`,
    `{ unit(code: "\\u0000") { id } }`,
    `{ questionnaire(year: -2147483648) { code } }`,
    `{ cycle(year: 2.5, unitKind: DEPARTMENT) { year } }`,
    `{ satisfaction(year: ${YEAR}, groupBy: SIDEWAYS) { key } }`,
    `mutation { submitExpertScores(input: {year: ${YEAR}, unitCode: "STP", round: APPRAISAL, scores: [{criterionCode: "C1", points: 7.255}]}) { score } }`,
    `mutation { submitExpertScores(input: {year: ${YEAR}, unitCode: "STP", round: APPRAISAL, scores: [{criterionCode: "C1", points: 1e400}]}) { score } }`,
    `mutation { createUnit(input: {code: "Z", name: "Z", kind: department}) { id } }`,
    `mutation { createUnit(input: {code: "Z", name: "Z", kind: "DEPARTMENT"}) { id } }`,
    `mutation { defineQuestionnaire(year: ${YEAR}, questions: [{code: "Q1", text: "x", element: ACCESS, scaleMax: 99999999999}]) { code } }`,
    `mutation { createUnit(input: {code: "Z1", name: "Z", kind: DEPARTMENT}) { id } createUnit(input: {code: "Z1", name: "Z", kind: DEPARTMENT}) { id } }`,
    deepSelection(50), deepSelection(300),
    `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: unit(code: "STP") { code }`).join(' ')} }`,
    `{ unit(code: "STP") { ${'children { '.repeat(40)}code${' }'.repeat(40)} } }`,
    `{ __schema { types { name fields { name args { name type { name ofType { name ofType { name } } } } } } } }`,
    `query Q($a: Int = 1e400) { questionnaire(year: $a) { code } }`,
    `query Q($year: Int!) { questionnaire(year: $year) { code } } query R { __typename }`,
    `subscription { x }`, `{`, `}`, ``, `#`, `{ unit(code: "STP") { ...F } } fragment F on Unit { ...F }`,
    `{ unit(code: "STP") { nope } }`, `mutation { nope }`, '\u0000', '{ unit(code: "STP") @skip(if: 1) { id } }',
  ];
  const bodies: [string, string?][] = [
    ['{'], ['[]'], ['null'], ['5'], ['"query"'], ['{}'], ['{"query": 5}'], ['{"query": null}'], ['{"query": ["{ __typename }"]}'],
    ['{"query": "{ __typename }", "variables": "x"}'], ['{"query": "{ __typename }", "variables": [1]}'],
    ['{"query": "{ __typename }", "operationName": 5}'], ['{"query": "{ __typename }", "extensions": "x"}'],
    ['[{"query": "{ __typename }"}, {"query": "{ __typename }"}]'], ['{"query": "{ __typename }"}', 'text/plain'],
    ['{"query": "{ __typename }"}', 'application/x-www-form-urlencoded'], ['query={__typename}', 'application/x-www-form-urlencoded'],
    ['{"query": "{ __typename }"}', 'multipart/form-data; boundary=x'], ['\u0000\u0001\u0002'], ['{"query": "{ __typename }"'],
    [`{"query": "${'{'.repeat(10000)}"}`], [`{"query": "{ __typename }", "variables": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
    [`{"query": "query($y: Int!) { questionnaire(year: $y) { code } }", "variables": {"y": 1e400}}`],
    [`{"query": "query($y: Int!) { questionnaire(year: $y) { code } }", "variables": {"y": -0}}`],
    ['{"query": "{ __typename }", "__proto__": {"polluted": 1}}'], [Buffer.from([0xff, 0xfe, 0x00]).toString('latin1')],
  ];

  test('literal documents with bad values, deep nesting and garbage', async () => {
    for (const doc of literalDocs) {
      for (const token of [null, ADMIN_TOKEN]) {
        const before = await counts();
        const a = await send(doc, {}, token);
        const verdict = judge(a);
        if (verdict.refused && doc.startsWith('mutation')) expect(diff(before, await counts())).toEqual({});
      }
    }
  });

  test('deep nesting in GET parameters', async () => {
    const deep = JSON.stringify({ input: { year: 2040, unitKind: 'COMMUNE', domains: [{ code: 'D1', name: 'x', criteria: [deepCriterion(1000)] }] } });
    const literal = JSON.stringify(deepCriterion(300)).replace(/"(\w+)":/g, '$1:').replace(/"(EXPERT)"/g, '$1');
    const requests = [
      `query=${encodeURIComponent('query($y: Int!) { questionnaire(year: $y) { code } }')}&variables=${encodeURIComponent(`{"y": ${'['.repeat(3000)}${']'.repeat(3000)}}`)}`,
      `query=${encodeURIComponent('mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }')}&variables=${encodeURIComponent(deep)}`,
      `query=${encodeURIComponent(`mutation { defineCycle(input: {year: 2040, unitKind: COMMUNE, domains: [{code: "D1", name: "x", criteria: [${literal}]}]}) { year } }`)}`,
    ];
    for (const search of requests) {
      for (const token of [null, ADMIN_TOKEN]) {
        const res = await fetch(`${t.url}?${search}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const text = await res.text();
        let json: Answer['json'];
        try { json = JSON.parse(text); } catch { json = undefined; }
        judge({ status: res.status, text, json });
      }
    }
    // The literal document through POST too.
    judge(await send(`mutation { defineCycle(input: {year: 2040, unitKind: COMMUNE, domains: [{code: "D1", name: "x", criteria: [${literal}]}]}) { year } }`, {}, ADMIN_TOKEN));
  });

  test('malformed request bodies', async () => {
    for (const [body, contentType] of bodies) {
      for (const token of [null, ADMIN_TOKEN]) {
        const a = await post(body, token, contentType);
        try { judge(a); } catch (e) { throw new Error(`body ${JSON.stringify(body.slice(0, 80))} (${contentType ?? 'json'}): ${(e as Error).message}`); }
      }
    }
  });

  test('random documents', async () => {
    const fragments = ['{', '}', '(', ')', ':', '$', '!', '[', ']', '...', '@', '"', '#', ',', 'query', 'mutation', 'unit', 'units', 'code',
      'rankings', 'createUnit', 'input', 'STP', '1e308', '-0', 'null', 'true', 'DEPARTMENT', '"\\u0000"', '"\\ud800"', 'on', 'fragment', '\n'];
    await check(fc.asyncProperty(
      fc.oneof(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((a) => a.join(' ')), garbageString),
      fc.constantFrom(null, ADMIN_TOKEN),
      async (doc, token) => { judge(await send(doc, { input: null }, token)); },
    ), RUNS * 2);
  });

  test('the server still answers', async () => {
    const r = await t.gql(`{ unit(code: "STP") { code } }`, {}, null);
    expect(r.data).toEqual({ unit: { code: 'STP' } });
  });
});

// ---------------------------------------------------------------------------
// Batches mixing good and bad responses (issue 10, item 10): one bad response never blocks the others.

describe('fuzz: survey batches mixing good and bad responses', () => {
  const BATCH = `mutation($inputs: [SubmitSurveyResponseInput!]!) {
    submitSurveyResponses(inputs: $inputs) { clientId status responseId error { code message field } } }`;
  const recent = () => new Date(Date.now() - 60_000).toISOString();
  type Entry = { kind: string; input: Record<string, unknown>; field?: RegExp };
  /** A response that passes every rule: distinct questions of the year, values on their scales. */
  // A fresh clientId each time (fast-check's uuids repeat across properties with one seed, and a repeat is a DUPLICATE).
  const good: fc.Arbitrary<Entry> = fc.tuple(validAnswers, fc.constantFrom(null, 'TTHC-01'), fc.constantFrom(null, 'Rất hài lòng'))
    .map(([answers, procedureCode, comment]) => ({ kind: 'good', input: { clientId: randomUUID(), submittedAt: recent(), answers, procedureCode, comment } }));
  /** A response that breaks one rule, and the field its refusal must name (after `inputs[i]`). */
  const bad: fc.Arbitrary<Entry> = fc.tuple(good, fc.constantFrom(
    'unknown question', 'off the scale', 'zero', 'question twice', 'future', 'not a uuid', 'no answers', 'too many answers',
    'control character', 'bad procedure', 'long comment', 'year without questionnaire',
  )).map(([{ input }, kind]) => {
    const answers = input.answers as { questionCode: string; value: number }[];
    switch (kind) {
      case 'unknown question': return { kind, input: { ...input, answers: [...answers, { questionCode: 'QX', value: 1 }] }, field: /\.answers\[\d+\]\.questionCode$/ };
      case 'off the scale': return { kind, input: { ...input, answers: [{ questionCode: 'Q2', value: 4 }] }, field: /\.answers\[0\]\.value$/ };
      case 'zero': return { kind, input: { ...input, answers: [{ questionCode: 'Q1', value: 0 }] }, field: /\.answers\[0\]\.value$/ };
      case 'question twice': return { kind, input: { ...input, answers: [{ questionCode: 'Q3', value: 1 }, { questionCode: 'Q3', value: 2 }] }, field: /\.answers\[1\]\.questionCode$/ };
      case 'future': return { kind, input: { ...input, submittedAt: new Date(Date.now() + 3_600_000).toISOString() }, field: /\.submittedAt$/ };
      case 'not a uuid': return { kind, input: { ...input, clientId: String(input.clientId).replace(/-/g, '') }, field: /\.clientId$/ };
      case 'no answers': return { kind, input: { ...input, answers: [] }, field: /\.answers$/ };
      case 'too many answers': return { kind, input: { ...input, answers: Array.from({ length: 51 }, () => ({ questionCode: 'Q1', value: 1 })) }, field: /\.answers$/ };
      case 'control character': return { kind, input: { ...input, comment: 'ổn\u0000' }, field: /\.comment$/ };
      case 'bad procedure': return { kind, input: { ...input, procedureCode: 'thủ tục 1' }, field: /\.procedureCode$/ };
      case 'long comment': return { kind, input: { ...input, comment: 'ý'.repeat(1001) }, field: /\.comment$/ };
      default: return { kind, input: { ...input, submittedAt: '2010-06-01T03:00:00Z' }, field: /\.submittedAt$/ };
    }
  });
  /** A batch: good and bad responses in any order, sometimes a good one repeated later in the same call. */
  const batch = fc.tuple(fc.array(fc.oneof(good, bad), { minLength: 1, maxLength: 12 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([entries, repeat]) => {
      const goods = entries.filter((e) => e.kind === 'good');
      if (repeat === undefined || goods.length === 0) return entries;
      return [...entries, { kind: 'repeat', input: { ...goods[repeat % goods.length].input } }];
    });

  async function storedOf(clientIds: string[]) {
    const rows = await t.sql<{ client: string; procedure: string | null; comment: string | null; answers: string[] }>(
      `SELECT r.client_id::text AS client, r.procedure_code AS procedure, r.comment,
              array_agg(q.code || ':' || a.value ORDER BY q.code) AS answers
         FROM survey_response r JOIN survey_answer a ON a.response_id = r.id JOIN question q ON q.id = a.question_id
        WHERE r.client_id = ANY($1::uuid[]) GROUP BY 1, 2, 3`, [clientIds]);
    return new Map(rows.map((r) => [r.client, r]));
  }
  const uuid = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

  test('each good response is ACCEPTED and stored whole, each bad one REJECTED naming its field, nothing of it stored', async () => {
    await check(fc.asyncProperty(batch, async (entries) => {
      const before = await counts();
      const a = await send(BATCH, { inputs: entries.map((e) => e.input) }, tokens.kiosk);
      const verdict = judge(a);
      expect({ refused: verdict.refused, body: a.text.slice(0, 300) }).toMatchObject({ refused: false });
      const subs = a.json!.data.submitSurveyResponses as { clientId: string; status: string; responseId: string | null; error: { code: string; field: string } | null }[];
      expect(subs).toHaveLength(entries.length);
      const firstOf = new Map<string, number>();
      let accepted = 0, answers = 0;
      entries.forEach((e, i) => {
        const s = subs[i];
        const where = `inputs[${i}] (${e.kind}): ${JSON.stringify(s)}`;
        if (e.kind === 'good') {
          expect({ where, status: s.status, error: s.error }).toEqual({ where, status: 'ACCEPTED', error: null });
          expect(s.responseId).toEqual(expect.any(String));
          firstOf.set(String(e.input.clientId).toLowerCase(), i);
          accepted++;
          answers += (e.input.answers as unknown[]).length;
        } else if (e.kind === 'repeat') {
          const first = subs[firstOf.get(String(e.input.clientId).toLowerCase())!];
          expect({ where, status: s.status, responseId: s.responseId }).toEqual({ where, status: 'DUPLICATE', responseId: first.responseId });
        } else {
          expect({ where, status: s.status, code: s.error?.code }).toEqual({ where, status: 'REJECTED', code: 'BAD_USER_INPUT' });
          expect({ where, field: s.error!.field.startsWith(`inputs[${i}].`) && e.field!.test(s.error!.field) }).toEqual({ where, field: true });
          expect(s.responseId).toBeNull();
        }
      });
      // Exactly the good ones' rows, each whole; nothing of any refused one.
      expect(diff(before, await counts())).toEqual({
        ...(accepted > 0 ? { survey_response: accepted, survey_answer: answers } : {}),
      });
      const stored = await storedOf(entries.filter((e) => uuid(e.input.clientId)).map((e) => String(e.input.clientId)));
      for (const e of entries) {
        const row = stored.get(String(e.input.clientId).toLowerCase());
        if (e.kind === 'good') {
          const sent = (e.input.answers as { questionCode: string; value: number }[]).map((x) => `${x.questionCode}:${x.value}`).sort();
          expect(row).toEqual({ client: String(e.input.clientId).toLowerCase(), procedure: e.input.procedureCode, comment: e.input.comment, answers: sent });
        } else if (e.kind !== 'repeat' && uuid(e.input.clientId)) {
          expect({ kind: e.kind, row }).toEqual({ kind: e.kind, row: undefined });
        }
      }
    }), Math.max(10, Math.round(RUNS / 2)));
  });

  test('a resent batch is all DUPLICATE for what was accepted and REJECTED again for the rest, storing nothing', async () => {
    const [entries] = fc.sample(batch.filter((es) => es.some((e) => e.kind === 'good') && es.some((e) => e.kind !== 'good' && e.kind !== 'repeat')),
      { seed: SEED, numRuns: 1 });
    const inputs = entries.map((e) => e.input);
    const first = (await t.ok(BATCH, { inputs }, tokens.kiosk)).submitSurveyResponses;
    const before = await counts();
    const again = (await t.ok(BATCH, { inputs }, tokens.kiosk)).submitSurveyResponses;
    expect(diff(before, await counts())).toEqual({});
    again.forEach((s: { status: string; responseId: string | null }, i: number) => {
      if (first[i].status === 'REJECTED') expect(s.status).toBe('REJECTED');
      else expect(s).toMatchObject({ status: 'DUPLICATE', responseId: first[i].responseId });
    });
  });
});

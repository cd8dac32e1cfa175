import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince as buildResultsProvince } from './results-fixture';
import { buildProvince, registerKiosk, response, SUBMIT } from './survey-fixtures';

/*
 * Issue 11, items 3 and 4: only a mutation that changed data empties the
 * response cache, and only the answers it can affect; a kiosk revoked
 * while its token is being looked up stays revoked.
 */

let t: TestService;
beforeAll(async () => {
  // The race trials read anonymously faster than the per-IP limit (50/s, burst 200) allows now that
  // units(kind:) is one statement; this file tests the cache's rules, not that limit (http-limits.test.ts does).
  t = await startTestService({ anonymousRatePerSec: 1_000_000, anonymousBurst: 1_000_000 });
  await buildProvince(t);
});
afterAll(async () => { await t?.stop(); });

async function post(query: string, variables: Record<string, unknown> = {}, token: string | null = null) {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, cache: res.headers.get('x-cache'), body: (await res.json()) as { data?: any; errors?: any[] } };
}

const UNITS = '{ units(kind: DEPARTMENT) { totalCount edges { node { code } } } }';
const Q2023 = '{ questionnaire(year: 2023) { code text } }';
const Q2024 = '{ questionnaire(year: 2024) { code text } }';
const Q2022 = 'query($y: Int!) { questionnaire(year: $y) { code text } }';
const ALL_YEARS = '{ units(kind: DEPARTMENT) { edges { node { code results { year } } } } }';
const DEFINE = `mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code } }`;
const CREATE = 'mutation($input: CreateUnitInput!) { createUnit(input: $input) { id code } }';

/** Reads each query twice: the second is a HIT. */
async function warm(...queries: [string, Record<string, unknown>?][]): Promise<void> {
  for (const [q, v] of queries) {
    await post(q, v);
    expect((await post(q, v)).cache).toBe('HIT');
  }
}

describe('the response cache after a mutation', () => {
  test('a refused mutation, one asking only __typename, or one with errors clears nothing', async () => {
    await warm([UNITS]);
    const refusals: [string, Record<string, unknown>, string | null][] = [
      ['mutation { __typename }', {}, null],
      ['mutation { a: __typename b: __typename }', {}, ADMIN_TOKEN],
      // Anonymous: UNAUTHENTICATED at the field.
      [CREATE, { input: { code: 'NEW1', name: 'Sở Mới', kind: 'DEPARTMENT' } }, null],
      ['mutation { publishCycle(year: 2024, unitKind: DEPARTMENT) { year } }', {}, null],
      // ADMIN, refused input: BAD_USER_INPUT and CONFLICT.
      [CREATE, { input: { code: 'bad code', name: 'Sở Mới', kind: 'DEPARTMENT' } }, ADMIN_TOKEN],
      [CREATE, { input: { code: 'STP', name: 'Sở Tư pháp', kind: 'DEPARTMENT' } }, ADMIN_TOKEN],
      // Variables that do not coerce: nothing runs.
      [CREATE, { input: { code: 'NEW1' } }, ADMIN_TOKEN],
      // Refused before execution: not valid GraphQL.
      ['mutation { createUnit }', {}, ADMIN_TOKEN],
    ];
    for (const [query, variables, token] of refusals) {
      const res = await post(query, variables, token);
      expect(res.body.data?.createUnit ?? null).toBeNull();
      expect({ query, cache: (await post(UNITS)).cache }).toEqual({ query, cache: 'HIT' });
    }
    expect(await t.sql(`SELECT count(*)::int AS n FROM unit WHERE code = 'NEW1'`)).toEqual([{ n: 0 }]);
  });

  test('an accepted mutation clears what it changed: the next read shows the change', async () => {
    await warm([UNITS]);
    const before = (await post(UNITS)).body.data.units.totalCount;
    await t.ok(CREATE, { input: { code: 'NEW2', name: 'Sở Xây dựng', kind: 'DEPARTMENT' } });
    const after = await post(UNITS);
    expect(after.cache).toBeNull();
    expect(after.body.data.units.totalCount).toBe(before + 1);
  });

  test("a change to one year's data drops that year's answers (and the next year's, which show its ranks), not other years' nor year-free ones", async () => {
    await t.ok(DEFINE, { year: 2022, questions: [{ code: 'Q1', text: 'Cũ', element: 'ACCESS', scaleMax: 5 }] });
    await warm([UNITS], [Q2022, { y: 2022 }], [Q2023], [Q2024], [ALL_YEARS]);
    await t.ok(DEFINE, { year: 2022, questions: [{ code: 'Q1', text: 'Mới', element: 'ACCESS', scaleMax: 5 }] });

    const q2022 = await post(Q2022, { y: 2022 });
    expect(q2022.cache).toBeNull();
    expect(q2022.body.data.questionnaire).toEqual([{ code: 'Q1', text: 'Mới' }]);
    expect((await post(Q2023)).cache).toBeNull();
    expect((await post(ALL_YEARS)).cache).toBeNull();
    expect((await post(Q2024)).cache).toBe('HIT');
    expect((await post(UNITS)).cache).toBe('HIT');
  });

  test('an answer read before a change and finished after it is not stored (many trials)', async () => {
    const count = async () => (await t.sql(`SELECT count(*)::int AS n FROM unit WHERE kind = 'DEPARTMENT'`))[0].n;
    for (let trial = 0; trial < 25; trial++) {
      // A new text each trial, so that every trial starts with a miss.
      const q = `{ units(kind: DEPARTMENT, first: 100) { totalCount } } # ${trial}`;
      const readers = Array.from({ length: 8 }, () => post(q));
      await t.ok(CREATE, { input: { code: `RACE${trial}`, name: `Sở Thử ${trial}`, kind: 'DEPARTMENT' } });
      await Promise.all(readers);
      const after = await post(q);
      expect(after.body.errors).toBeUndefined();
      expect({ trial, totalCount: after.body.data.units.totalCount }).toEqual({ trial, totalCount: await count() });
    }
  });
});

describe('publishing a year and the response cache', () => {
  let r: TestService;
  beforeAll(async () => {
    r = await startTestService();
    await buildResultsProvince(r);
  });
  afterAll(async () => { await r?.stop(); });

  async function read(year: number) {
    const res = await fetch(r.url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ rankings(year: ${year}, unitKind: DEPARTMENT) { totalCount edges { node { unit { code } score } } } }` }),
    });
    return { cache: res.headers.get('x-cache'), data: ((await res.json()) as { data: any }).data };
  }

  test("publishCycle drops the year's answers (anonymous readers see it at once), and keeps an earlier year's", async () => {
    for (const year of [2022, 2023]) {
      await read(year);
      expect((await read(year)).cache).toBe('HIT');
    }
    // Unpublished: empty to anonymous readers, and cached so.
    expect((await read(2023)).data.rankings.totalCount).toBe(0);
    await r.ok('mutation { publishCycle(year: 2023, unitKind: DEPARTMENT) { status } }');
    const after = await read(2023);
    expect(after.cache).toBeNull();
    expect(after.data.rankings.totalCount).toBe(5);
    expect((await read(2022)).cache).toBe('HIT');
  });
});

describe('revoking a kiosk while its token is being looked up', () => {
  /**
   * Kiosk lookups made slow, as under load: the row is read, then the
   * answer waits `lag` ms before AuthService sees it, so the revocation
   * commits and empties the token cache while lookups are in flight.
   */
  function slowKioskLookups(lag: () => number): () => void {
    const auth = t.service.services.auth as unknown as { db: { getRepository: (e: unknown) => any } };
    const db = auth.db;
    auth.db = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'getRepository') return Reflect.get(target, prop, receiver);
        return (entity: { name?: string }) => {
          const repo = target.getRepository(entity);
          if (entity?.name !== 'Kiosk') return repo;
          return new Proxy(repo, {
            get(r, p, rr) {
              if (p !== 'findOne') return Reflect.get(r, p, rr);
              return async (...args: unknown[]) => {
                const row = await r.findOne(...args);
                await new Promise((resolve) => setTimeout(resolve, lag()));
                return row;
              };
            },
          });
        };
      },
    }) as typeof db;
    return () => { auth.db = db; };
  }

  test('after revokeKiosk answers, no later submission of the kiosk is accepted (many trials)', async () => {
    const accepted: { trial: number; status: string }[] = [];
    const restore = slowKioskLookups(() => Math.floor(Math.random() * 60));
    try {
      for (let trial = 0; trial < 40; trial++) {
        const kiosk = await registerKiosk(t, 'STP', `Quầy thử ${trial}`);
        // A burst of first requests: every one looks the token up, and the revocation lands among them.
        const burst = Array.from({ length: 8 }, () => t.gql(SUBMIT, { input: response() }, kiosk.token));
        await new Promise((r) => setTimeout(r, trial % 20));
        await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { active } }`, { id: kiosk.id });
        // Every submission sent after the answer is refused, as an unknown token is.
        for (let i = 0; i < 3; i++) {
          const later = await t.gql(SUBMIT, { input: response() }, kiosk.token);
          if (later.data?.submitSurveyResponse?.status) accepted.push({ trial, status: later.data.submitSurveyResponse.status });
          else {
            expect(later.status).toBe(401);
            expect(later.errors?.[0]).toMatchObject({ message: 'The token is not valid', extensions: { code: 'UNAUTHENTICATED' } });
          }
        }
        await Promise.all(burst);
        // ... and after the burst's lookups have all come back.
        const last = await t.gql(SUBMIT, { input: response() }, kiosk.token);
        if (last.data?.submitSurveyResponse?.status) accepted.push({ trial, status: last.data.submitSurveyResponse.status });
      }
    } finally {
      restore();
    }
    expect(accepted).toEqual([]);
  });
});

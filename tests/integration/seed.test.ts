import { startService } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';
import { DEMO_COMMUNES, DEMO_DEPARTMENTS, DEMO_DISTRICTS, DEMO_UNITS, DEMO_YEARS, demoFramework, demoLeaves } from '../../src/seed/demo-data';
import { seedDemoIfEmpty } from '../../src/seed/demo.seed';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/** The demo province: seeded through the services into an empty database, once. */

let t: TestService;
beforeAll(async () => { t = await startTestService({ seedDemo: true }); });
afterAll(async () => { await t?.stop(); });

const logger = createLogger('error');

async function snapshot(s: TestService = t) {
  const [row] = await s.sql(`SELECT (SELECT count(*) FROM unit)::int AS units, (SELECT count(*) FROM question)::int AS questions,
    (SELECT count(*) FROM cycle)::int AS cycles, (SELECT count(*) FROM criterion)::int AS criteria, (SELECT max(id) FROM unit) AS max_unit_id`);
  return row;
}

test('seeds at least 20 departments, the 9 districts and communes of Phong Điền, as anonymous readers see them', async () => {
  expect(DEMO_DEPARTMENTS.length).toBeGreaterThanOrEqual(20);
  const r = await t.ok(`{
    departments: units(kind: DEPARTMENT) { totalCount }
    districts: units(kind: DISTRICT, first: 100) { totalCount edges { node { code name } } }
    communes: units(kind: COMMUNE) { totalCount }
    phongDien: unit(code: "PHONG_DIEN") { name children { name } }
    stp: units(search: "so tu phap") { edges { node { code name } } }
  }`, {}, null);
  expect(r.departments.totalCount).toBe(DEMO_DEPARTMENTS.length);
  expect(r.districts.totalCount).toBe(9);
  expect(r.districts.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([
    'UBND huyện A Lưới', 'UBND huyện Nam Đông', 'UBND huyện Phong Điền', 'UBND huyện Phú Lộc', 'UBND huyện Phú Vang',
    'UBND huyện Quảng Điền', 'UBND thành phố Huế', 'UBND thị xã Hương Thủy', 'UBND thị xã Hương Trà',
  ]);
  expect(r.communes.totalCount).toBe(DEMO_COMMUNES.length);
  expect(r.phongDien.name).toBe('UBND huyện Phong Điền');
  expect(r.phongDien.children.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['UBND xã Phong An', 'UBND xã Phong Hiền', 'UBND thị trấn Phong Điền']));
  expect(r.stp.edges).toEqual([{ node: { code: 'STP', name: 'Sở Tư pháp' } }]);
  const names = (await t.sql<{ name: string }>('SELECT name FROM unit')).map((u) => u.name);
  for (const name of names) expect(name).toBe(name.normalize('NFC'));
  expect(names).toEqual(expect.arrayContaining(['Sở Tư pháp', 'Sở Nội vụ', 'Văn phòng UBND tỉnh', 'Sở Ngoại vụ', 'Sở Nông nghiệp và Phát triển nông thôn']));
  expect(DEMO_DISTRICTS).toHaveLength(9);
});

test.each(DEMO_YEARS.flatMap((year) => ['DEPARTMENT', 'DISTRICT'].map((kind) => [year, kind] as const)))(
  'the %d %s framework is OPEN, worth 100 = 70 expert + 30 survey over 8 domains, default bands',
  async (year, unitKind) => {
    const r = await t.ok(`query($year: Int!, $unitKind: UnitKind!) { cycle(year: $year, unitKind: $unitKind) {
      status maxPoints expertMaxPoints surveyMaxPoints minResponses bands { code minScore }
      domains { code name maxPoints criteria { code maxPoints source questionCodes children { code maxPoints source questionCodes } } } } }`,
    { year, unitKind }, null);
    const c = r.cycle;
    expect(c).toMatchObject({ status: 'OPEN', maxPoints: 100, expertMaxPoints: 70, surveyMaxPoints: 30, minResponses: 30 });
    expect(c.domains).toHaveLength(8);
    expect(c.domains.map((d: { maxPoints: number }) => d.maxPoints)).toEqual([10, 8, 22, 7, 16, 7, 14, 16]);
    expect(c.bands.map((b: { code: string }) => b.code)).toEqual(['EXCELLENT', 'GOOD', 'FAIR', 'AVERAGE', 'WEAK']);
    expect(c.domains[0].name).toBe('Công tác chỉ đạo, điều hành CCHC');
    // Domains mix sources, and some criteria have sub-criteria.
    const sources = (d: any) => new Set(d.criteria.flatMap((x: any) => (x.children.length ? x.children : [x]).map((l: any) => l.source)));
    expect([...sources(c.domains[2])].sort()).toEqual(['EXPERT', 'SURVEY']);
    expect(c.domains.filter((d: any) => d.criteria.some((x: any) => x.children.length > 0)).length).toBeGreaterThanOrEqual(3);
    // Every SURVEY leaf draws on questions of the year's questionnaire.
    const q = await t.ok(`query($year: Int!) { questionnaire(year: $year) { code } }`, { year }, null);
    const codes = new Set(q.questionnaire.map((x: { code: string }) => x.code));
    const leaves = c.domains.flatMap((d: any) => d.criteria.flatMap((x: any) => (x.children.length ? x.children : [x])));
    for (const leaf of leaves.filter((l: any) => l.source === 'SURVEY')) {
      expect(leaf.questionCodes.length).toBeGreaterThan(0);
      for (const code of leaf.questionCodes) expect(codes.has(code)).toBe(true);
    }
    expect(leaves).toHaveLength(demoLeaves(demoFramework(year, unitKind as never)).length);
  },
);

test('each year has a questionnaire of 3- and 5-level questions over the five service elements', async () => {
  for (const year of DEMO_YEARS) {
    const r = await t.ok(`query($year: Int!) { questionnaire(year: $year) { code element scaleMax satisfiedMin } }`, { year }, null);
    const qs = r.questionnaire as { element: string; scaleMax: number; satisfiedMin: number }[];
    expect(qs.length).toBeGreaterThanOrEqual(10);
    expect(new Set(qs.map((x) => x.element))).toEqual(new Set(['ACCESS', 'PROCEDURE', 'CIVIL_SERVANT', 'RESULT', 'FEEDBACK']));
    expect(new Set(qs.map((x) => x.scaleMax))).toEqual(new Set([3, 5]));
    for (const x of qs) expect(x.satisfiedMin).toBeLessThanOrEqual(x.scaleMax);
  }
});

test('a second start on the same database does not seed again', async () => {
  const before = await snapshot();
  expect(before.units).toBe(DEMO_UNITS.length);
  const again = await startService({ ...loadConfig({}), port: 0, databaseUrl: t.databaseUrl, adminToken: ADMIN_TOKEN, seedDemo: true, poolSize: 3 }, logger);
  try {
    expect(await snapshot()).toEqual(before);
    const r = await fetch(again.url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ units(kind: DEPARTMENT) { totalCount } }' }),
    });
    expect(((await r.json()) as any).data.units.totalCount).toBe(DEMO_DEPARTMENTS.length);
    expect(await seedDemoIfEmpty(again.db, again.services, logger)).toBeNull();
  } finally {
    await again.stop();
  }
  expect(await snapshot()).toEqual(before);
});

describe('on an empty database', () => {
  let e: TestService;
  beforeAll(async () => { e = await startTestService(); });
  afterAll(async () => { await e?.stop(); });

  test('seeds within 5 s, once even when two seeds race', async () => {
    const [a, b] = await Promise.all([
      seedDemoIfEmpty(e.service.db, e.service.services, logger),
      seedDemoIfEmpty(e.service.db, e.service.services, logger),
    ]);
    const done = [a, b].filter((x) => x !== null);
    expect(done).toHaveLength(1);
    expect(done[0]!.ms).toBeLessThan(5000);
    expect(done[0]!.frameworks).toEqual([
      { year: 2023, unitKind: 'DEPARTMENT', status: 'OPEN', maxPoints: '100' },
      { year: 2023, unitKind: 'DISTRICT', status: 'OPEN', maxPoints: '100' },
      { year: 2024, unitKind: 'DEPARTMENT', status: 'OPEN', maxPoints: '100' },
      { year: 2024, unitKind: 'DISTRICT', status: 'OPEN', maxPoints: '100' },
    ]);
    expect((await snapshot(e)).units).toBe(DEMO_UNITS.length);
  });

  test('does not seed a database that already holds a unit of its own', async () => {
    const f = await startTestService();
    try {
      await f.ok(`mutation { createUnit(input: {code: "RIENG", name: "Đơn vị riêng", kind: DEPARTMENT}) { code } }`);
      expect(await seedDemoIfEmpty(f.service.db, f.service.services, logger)).toBeNull();
      expect(await snapshot(f)).toMatchObject({ units: 1, questions: 0, cycles: 0 });
    } finally {
      await f.stop();
    }
  });
});

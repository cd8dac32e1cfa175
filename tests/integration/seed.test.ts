import { startService } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';
import { demoOfficeDays } from '../../src/seed/demo-activity';
import {
  DEMO_COMMUNES, DEMO_DEPARTMENTS, DEMO_DISTRICTS, DEMO_MERGED_UNITS, DEMO_MERGERS, DEMO_UNITS, demoFramework, demoFrameworkKinds, demoLeaves,
} from '../../src/seed/demo-data';
import { seedOnce } from '../../src/bootstrap';
import { seedDemoIfEmpty } from '../../src/seed/demo.seed';
import { DEMO_ALERT_KIOSKS, DEMO_ALERT_RATINGS, seedDemoAlerts } from '../../src/seed/demo-alerts.seed';
import { DEMO_AMENDMENT, seedDemoAmendment } from '../../src/seed/demo-amendment.seed';
import { demoYears } from '../../src/seed/demo-years';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/** The demo province: seeded through the services into an empty database, once. */

// The demo's years follow the date: the current year in Vietnam open, the one before published; on the two-tier
// map (2025 on), 2024 published too, on the three-tier map (years.earlier).
const years = demoYears();
const PUBLISHED = years.published;
const OPEN = years.open;
const YEARS = [PUBLISHED, OPEN];
const ALL_YEARS = years.all.map((y) => y.year);
/** The departments that exist in a year: the three-tier list, less the merged ones and with the units they formed from 2025. */
const departmentsIn = (year: number) => (year >= 2025
  ? [...DEMO_DEPARTMENTS.filter((d) => !DEMO_MERGERS.some((m) => m.codes.includes(d.code))), ...DEMO_MERGED_UNITS.filter((u) => u.kind === 'DEPARTMENT')]
  : DEMO_DEPARTMENTS);
const communesIn = (year: number) => (year >= 2025
  ? [...DEMO_COMMUNES.filter((d) => !DEMO_MERGERS.some((m) => m.codes.includes(d.code))), ...DEMO_MERGED_UNITS.filter((u) => u.kind === 'COMMUNE')]
  : DEMO_COMMUNES);
const unitsOfKind = (year: number, kind: string) => (kind === 'DEPARTMENT' ? departmentsIn(year) : kind === 'COMMUNE' ? communesIn(year) : DEMO_DISTRICTS);
const ALL_UNITS = [...DEMO_UNITS, ...DEMO_MERGED_UNITS];

let t: TestService;
beforeAll(async () => { t = await startTestService({ seedDemo: true }); });
afterAll(async () => { await t?.stop(); });

const logger = createLogger('error');

async function snapshot(s: TestService = t) {
  const [row] = await s.sql(`SELECT (SELECT count(*) FROM unit)::int AS units, (SELECT count(*) FROM question)::int AS questions,
    (SELECT count(*) FROM cycle)::int AS cycles, (SELECT count(*) FROM criterion)::int AS criteria, (SELECT max(id) FROM unit) AS max_unit_id,
    (SELECT count(*) FROM kiosk)::int AS kiosks, (SELECT count(*) FROM expert_score)::int AS expert_scores,
    (SELECT count(*) FROM survey_response)::int AS ratings, (SELECT count(*) FROM index_result)::int AS results`);
  return row;
}

test('seeds at least 20 departments, the 9 districts and communes of Phong Điền, as anonymous readers see them', async () => {
  expect(DEMO_DEPARTMENTS.length).toBeGreaterThanOrEqual(20);
  const r = await t.ok(`{
    departments: units(kind: DEPARTMENT) { totalCount }
    departmentsNow: units(kind: DEPARTMENT, year: ${OPEN}) { totalCount }
    districtsNow: units(kind: DISTRICT, year: ${OPEN}) { totalCount }
    communesNow: units(kind: COMMUNE, year: ${OPEN}) { edges { node { code parent { code } } } }
    ward: unit(code: "PHONG_DIEN_P") { firstYear predecessors { code lastYear } history { year unitName unit { code } } }
    districts: units(kind: DISTRICT, first: 100) { totalCount edges { node { code name } } }
    communes: units(kind: COMMUNE) { totalCount }
    phongDien: unit(code: "PHONG_DIEN") { name children { name } }
    stp: units(search: "so tu phap") { edges { node { code name } } }
  }`, {}, null);
  // Every department that ever was; this year's map: the merged departments once each, no district, communes under the province.
  expect(r.departments.totalCount).toBe(DEMO_DEPARTMENTS.length + 3);
  expect(r.departmentsNow.totalCount).toBe(DEMO_DEPARTMENTS.length - 3);
  expect(r.districtsNow.totalCount).toBe(0);
  expect(r.communesNow.edges.map((e: any) => [e.node.code, e.node.parent])).toEqual(expect.arrayContaining([['PHONG_DIEN_P', null], ['PHONG_DIEN.PHONG_AN', null]]));
  // The merged ward: its predecessors end in 2024 and its history shows theirs, under their own names.
  expect(r.ward.firstYear).toBe(2025);
  expect(r.ward.predecessors.map((p: any) => [p.code, p.lastYear])).toEqual([
    ['PHONG_DIEN.TT_PHONG_DIEN', 2024], ['PHONG_DIEN.PHONG_HIEN', 2024], ['PHONG_DIEN.PHONG_THU', 2024],
  ]);
  expect(r.ward.history.filter((h: any) => h.year === 2024).map((h: any) => h.unitName)).toEqual([
    'UBND thị trấn Phong Điền', 'UBND xã Phong Hiền', 'UBND xã Phong Thu',
  ]);
  expect(r.ward.history.filter((h: any) => h.year === PUBLISHED).map((h: any) => h.unit.code)).toEqual(['PHONG_DIEN_P']);
  expect(r.districts.totalCount).toBe(9);
  expect(r.districts.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([
    'UBND huyện A Lưới', 'UBND huyện Nam Đông', 'UBND huyện Phong Điền', 'UBND huyện Phú Lộc', 'UBND huyện Phú Vang',
    'UBND huyện Quảng Điền', 'UBND thành phố Huế', 'UBND thị xã Hương Thủy', 'UBND thị xã Hương Trà',
  ]);
  expect(r.communes.totalCount).toBe(DEMO_COMMUNES.length + 1);
  expect(r.phongDien.name).toBe('UBND huyện Phong Điền');
  expect(r.phongDien.children.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['UBND xã Phong An', 'UBND xã Phong Hiền', 'UBND thị trấn Phong Điền']));
  expect(r.stp.edges).toEqual([{ node: { code: 'STP', name: 'Sở Tư pháp' } }]);
  const names = (await t.sql<{ name: string }>('SELECT name FROM unit')).map((u) => u.name);
  for (const name of names) expect(name).toBe(name.normalize('NFC'));
  expect(names).toEqual(expect.arrayContaining(['Sở Tư pháp', 'Sở Nội vụ', 'Văn phòng UBND tỉnh', 'Sở Ngoại vụ', 'Sở Nông nghiệp và Phát triển nông thôn']));
  expect(DEMO_DISTRICTS).toHaveLength(9);
});

test.each(ALL_YEARS.flatMap((year) => demoFrameworkKinds(year).map((kind) => [year, kind as string] as const)))(
  `the %d %s framework (${OPEN} OPEN, the others PUBLISHED) is worth 100 = 70 expert + 30 survey over 8 domains, default bands`,
  async (year, unitKind) => {
    const r = await t.ok(`query($year: Int!, $unitKind: UnitKind!) { cycle(year: $year, unitKind: $unitKind) {
      status maxPoints expertMaxPoints surveyMaxPoints minResponses panelAggregation maxBonus maxPenalty bands { code minScore }
      domains { code name maxPoints criteria { code maxPoints source questionCodes children { code maxPoints source questionCodes } } } } }`,
    { year, unitKind }, null);
    const c = r.cycle;
    expect(c).toMatchObject({
      status: year === OPEN ? 'OPEN' : 'PUBLISHED', maxPoints: 100, expertMaxPoints: 70, surveyMaxPoints: 30, minResponses: 30,
      panelAggregation: 'MEAN', maxBonus: 2, maxPenalty: 2,
    });
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
  for (const year of YEARS) {
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
  expect(before.units).toBe(ALL_UNITS.length);
  const again = await startService({ ...loadConfig({}), port: 0, databaseUrl: t.databaseUrl, adminToken: ADMIN_TOKEN, seedDemo: true, poolSize: 3 }, logger);
  try {
    expect(await snapshot()).toEqual(before);
    const r = await fetch(again.url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ units(kind: DEPARTMENT) { totalCount } }' }),
    });
    expect(((await r.json()) as any).data.units.totalCount).toBe(DEMO_DEPARTMENTS.length + 3);
    expect(await seedDemoIfEmpty(again.db, again.services, logger)).toBeNull();
  } finally {
    await again.stop();
  }
  expect(await snapshot()).toEqual(before);
});

/** The demo's two years of activity: scores, kiosks, ratings, results, as readers see them over GraphQL. */
describe('the demo years', () => {
  const BANDS = ['EXCELLENT', 'GOOD', 'FAIR', 'AVERAGE', 'WEAK'];
  const RANKING = `query($year: Int!, $unitKind: UnitKind!) { rankings(year: $year, unitKind: $unitKind, first: 100) {
    totalCount
    edges { rank score node { unit { code name } score expertScore surveyScore maxPoints rank previousRank rankChange
      band { code } responses surveyInsufficient provisional published } }
    summary { count average highest { unit { code } score } lowest { unit { code } score } bands { band { code } count } } } }`;
  type Edge = { rank: number; score: number; node: any };
  let analyst: string;
  beforeAll(async () => {
    analyst = (await t.ok(`mutation { issueToken(input: { role: ANALYST, name: "Phân tích viên demo" }) }`)).issueToken;
  });
  const ranking = async (year: number, unitKind: string, token: string | null) => (await t.ok(RANKING, { year, unitKind }, token)).rankings;

  const PUBLISHED_YEARS = ALL_YEARS.filter((y) => y !== OPEN);
  const MERGED = new Set(DEMO_MERGED_UNITS.map((u) => u.code));

  test(`the published years (${PUBLISHED_YEARS.join(', ')}) are seen by anonymous readers: each ranks its own map, every band in use across them`, async () => {
    const used = new Set<string>();
    for (const year of PUBLISHED_YEARS) {
      for (const kind of demoFrameworkKinds(year)) {
        const r = await ranking(year, kind, null);
        expect(r.totalCount).toBe(unitsOfKind(year, kind).length);
        expect(r.summary.count).toBe(r.totalCount);
        for (const e of r.edges as Edge[]) {
          expect(e.node).toMatchObject({ published: true, provisional: false });
          // No rank change in the first published year, nor for a unit formed by a merger (its first year).
          if (year === ALL_YEARS[0] || MERGED.has(e.node.unit.code)) expect(e.node).toMatchObject({ previousRank: null, rankChange: null });
          expect(e.score).toBe(e.node.score);
          // Bands follow the rounded index.
          const expected = e.score >= 90 ? 'EXCELLENT' : e.score >= 80 ? 'GOOD' : e.score >= 70 ? 'FAIR' : e.score >= 50 ? 'AVERAGE' : 'WEAK';
          expect(e.node.band.code).toBe(expected);
        }
        expect(r.summary.highest.unit.code).toBe(r.edges[0].node.unit.code);
        expect(r.summary.lowest.unit.code).toBe(r.edges[r.edges.length - 1].node.unit.code);
        const sum = r.summary.bands.reduce((acc: number, b: { count: number }) => acc + b.count, 0);
        expect(sum).toBe(r.totalCount);
        for (const b of r.summary.bands) if (b.count > 0) used.add(b.band.code);
      }
    }
    expect([...used].sort()).toEqual([...BANDS].sort());
    // The top of the province's announcement: Sở Tư pháp first of the departments, Phong Điền of the districts (three-tier years).
    const dep = await ranking(PUBLISHED, 'DEPARTMENT', null);
    expect(dep.edges[0].node.unit.code).toBe('STP');
    expect(dep.edges.slice(0, 4).map((e: Edge) => e.node.band.code)).toEqual(['EXCELLENT', 'EXCELLENT', 'EXCELLENT', 'EXCELLENT']);
    const threeTier = PUBLISHED_YEARS.find((y) => y <= 2024);
    if (threeTier !== undefined) {
      const dis = await ranking(threeTier, 'DISTRICT', null);
      expect(dis.edges[0].node.unit.code).toBe('PHONG_DIEN');
    }
  });

  test('the published department ranking has a tie: two units, one index, one rank, then a rank skipped', async () => {
    const edges: Edge[] = (await ranking(PUBLISHED, 'DEPARTMENT', null)).edges;
    const i = edges.findIndex((e, k) => k > 0 && e.rank === edges[k - 1].rank) - 1;
    expect(i).toBeGreaterThanOrEqual(0);
    expect(edges[i].score).toBe(edges[i + 1].score);
    expect(edges[i].rank).toBe(i + 1);
    // Listed in Vietnamese name order; the next unit takes rank i + 3 (1, 2, 2, 4).
    expect(edges[i].node.unit.name.localeCompare(edges[i + 1].node.unit.name, 'vi')).toBeLessThan(0);
    expect(edges[i + 2].rank).toBe(i + 3);
    expect([edges[i].node.unit.code, edges[i + 1].node.unit.code]).toEqual(PUBLISHED >= 2025 ? ['SGDDT', 'SKHCN25'] : ['SKHDT', 'STC']);
    // Ranks are standard competition ranks over the whole list.
    edges.forEach((e, k) => expect(e.rank).toBe(k === 0 || e.score !== edges[k - 1].score ? k + 1 : edges[k - 1].rank));
  });

  test(`this year (${OPEN}) is open: hidden from anonymous readers, seen by an analyst with rank changes against ${PUBLISHED}`, async () => {
    expect((await ranking(OPEN, 'DEPARTMENT', null)).totalCount).toBe(0);
    expect(await t.gql(`{ satisfaction(year: ${OPEN}, unitCode: "STP") { key } }`, {}, null)).toMatchObject({ data: { satisfaction: [] } });
    const last = new Map<string, number>();
    for (const kind of demoFrameworkKinds(PUBLISHED)) {
      for (const e of (await ranking(PUBLISHED, kind, analyst)).edges as Edge[]) last.set(e.node.unit.code, e.rank);
    }
    let up = 0, down = 0;
    for (const kind of demoFrameworkKinds(OPEN)) {
      const r = await ranking(OPEN, kind, analyst);
      expect(r.totalCount).toBe(unitsOfKind(OPEN, kind).length);
      for (const e of r.edges as Edge[]) {
        expect(e.node.published).toBe(false);
        expect(e.node.previousRank).toBe(last.get(e.node.unit.code) ?? null);
        if (e.node.previousRank !== null) expect(e.node.rankChange).toBe(e.node.previousRank - e.rank);
        if (e.node.rankChange > 0) up++;
        if (e.node.rankChange < 0) down++;
      }
    }
    expect(up).toBeGreaterThanOrEqual(3);
    expect(down).toBeGreaterThanOrEqual(3);
    // Sở Du lịch's appraisal is not finished: its result rests partly on its self-assessment.
    const dep: Edge[] = (await ranking(OPEN, 'DEPARTMENT', analyst)).edges;
    expect(dep.filter((e) => e.node.provisional).map((e) => e.node.unit.code)).toEqual(['SDL']);
  });

  test('the council scored with three panelists, re-appraised some leaves, marked a leaf not applicable and gave bonus and penalty', async () => {
    const [counts] = await t.sql(`SELECT
        (SELECT count(DISTINCT panelist) FROM expert_score WHERE round = 'APPRAISAL')::int AS panelists,
        (SELECT count(DISTINCT unit_id) FROM expert_score WHERE round = 'REAPPRAISAL')::int AS reappraised_units,
        (SELECT count(*) FROM expert_score WHERE round = 'REAPPRAISAL')::int AS reappraisals,
        (SELECT count(DISTINCT unit_id) FROM expert_score WHERE round = 'SELF_ASSESSMENT')::int AS self_assessed,
        (SELECT count(*) FROM expert_score WHERE not_applicable)::int AS not_applicable,
        (SELECT count(*) FROM score_adjustment WHERE bonus > 0)::int AS bonuses,
        (SELECT count(*) FROM score_adjustment WHERE penalty > 0)::int AS penalties`);
    expect(counts.panelists).toBe(3);
    expect(counts.reappraised_units).toBeGreaterThanOrEqual(3);
    expect(counts.reappraisals).toBeGreaterThan(0);
    expect(counts.self_assessed).toBe(ALL_UNITS.length);
    expect(counts.not_applicable).toBeGreaterThan(0);
    expect(counts.bonuses).toBeGreaterThan(0);
    expect(counts.penalties).toBeGreaterThan(0);
    // Ban Dân tộc: LV1.3 (2 points) not applicable, and too few ratings for the survey leaves (30 points): 68 points at stake.
    const r = await t.ok(`{ unit(code: "BDT") { results { year maxPoints surveyScore surveyInsufficient responses
      domains { code maxPoints } } } }`, {}, analyst);
    for (const res of r.unit.results) {
      expect(res).toMatchObject({ maxPoints: 68, surveyScore: null, surveyInsufficient: true });
      expect(res.responses).toBeGreaterThan(0);
      expect(res.responses).toBeLessThan(30);
      expect(res.domains.find((d: { code: string }) => d.code === 'LV1').maxPoints).toBe(8);
    }
  });

  test('exactly one unit is under minResponses and flagged surveyInsufficient; every other one has its survey part', async () => {
    for (const year of ALL_YEARS) {
      for (const kind of demoFrameworkKinds(year)) {
        const edges: Edge[] = (await ranking(year, kind, analyst)).edges;
        const insufficient = edges.filter((e) => e.node.surveyInsufficient).map((e) => e.node.unit.code);
        expect(insufficient).toEqual(kind === 'DEPARTMENT' ? ['BDT'] : []);
        for (const e of edges.filter((x) => !x.node.surveyInsufficient)) {
          expect(e.node.responses).toBeGreaterThanOrEqual(30);
          expect(e.node.surveyScore).not.toBeNull();
        }
      }
    }
  });

  test('kiosks at most units, ratings spread over the months of each year (this year\'s up to now), with procedures and comments', async () => {
    const k = await t.ok(`{ kiosks { unit { code kind } active } }`);
    const withKiosk = new Set(k.kiosks.map((x: { unit: { code: string } }) => x.unit.code));
    expect(withKiosk.size).toBeGreaterThan(DEMO_UNITS.length * 0.8);
    expect(withKiosk.size).toBeLessThan(DEMO_UNITS.length);
    // Kiosks of merged units serve the unit they formed.
    for (const u of [...departmentsIn(OPEN), ...DEMO_DISTRICTS]) expect(withKiosk.has(u.code)).toBe(true);
    const seededAt = new Date();
    for (const year of YEARS) {
      const months = await t.ok(`query($year: Int!) { satisfaction(year: $year, unitCode: "PHONG_DIEN_P", groupBy: MONTH) { key responses } }`, { year }, analyst);
      // The published year: all twelve months. This year: the months whose office hours have begun, up to now
      // (January alone in the first hours of a year, before any office hour is over).
      const monthsSoFar = [...new Set(demoOfficeDays(OPEN, seededAt).map((d) => d.month))];
      const expected = year === PUBLISHED ? Array.from({ length: 12 }, (_, i) => i) : monthsSoFar.length > 0 ? monthsSoFar : [0];
      expect(months.satisfaction.map((m: { key: string }) => m.key)).toEqual(
        expected.map((i) => `${year}-${String(i + 1).padStart(2, '0')}`));
      const kiosks = await t.ok(`query($year: Int!) { satisfaction(year: $year, unitCode: "PHONG_DIEN_P", groupBy: KIOSK) { key responses } }`, { year }, analyst);
      // The merged ward rates on its three predecessors' kiosks.
      expect(kiosks.satisfaction).toHaveLength(3);
      const procedures = await t.ok(`query($year: Int!) { satisfaction(year: $year, unitCode: "STP", groupBy: PROCEDURE) { key responses } }`, { year }, analyst);
      expect(procedures.satisfaction.map((p: { key: string }) => p.key)).toEqual(expect.arrayContaining(['LY_LICH_TU_PHAP', 'CHUNG_THUC']));
    }
    // Every rating falls in its year in Vietnam's time, none in the future, on a weekday in office hours
    // (but in the first hours of a year, before any office hour is over).
    const [spread] = await t.sql(`SELECT count(*)::int AS n,
        count(*) FILTER (WHERE extract(year FROM submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = year AND submitted_at <= now())::int AS in_year,
        count(*) FILTER (WHERE (extract(isodow FROM submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh') <= 5
                           AND extract(hour FROM submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh') BETWEEN 8 AND 16)
                           OR (year = $1 AND $2))::int AS office,
        count(*) FILTER (WHERE procedure_code IS NOT NULL)::int AS with_procedure,
        count(*) FILTER (WHERE comment IS NOT NULL)::int AS with_comment,
        count(*) FILTER (WHERE late OR NOT tallied)::int AS late_or_untallied
      FROM survey_response`, [OPEN, demoOfficeDays(OPEN, seededAt).length === 0]);
    expect(spread.n).toBeGreaterThan(3000);
    expect(spread.in_year).toBe(spread.n);
    expect(spread.office).toBe(spread.n);
    expect(spread.with_procedure).toBeGreaterThan(spread.n / 4);
    expect(spread.with_comment).toBeGreaterThan(50);
    expect(spread.late_or_untallied).toBe(0);
    const comments = (await t.sql<{ comment: string }>('SELECT DISTINCT comment FROM survey_response WHERE comment IS NOT NULL')).map((c) => c.comment);
    expect(comments).toEqual(expect.arrayContaining(['Cán bộ hướng dẫn tận tình, chu đáo.', 'Phải chờ lâu, đề nghị bố trí thêm quầy tiếp nhận.']));
    for (const c of comments) expect(c).toBe(c.normalize('NFC'));
  });

  test('satisfaction differs visibly between units: Sở Tư pháp well above Sở Giao thông vận tải on most questions', async () => {
    const q = `query($unitCode: String!) { satisfaction(year: ${OPEN}, unitCode: $unitCode, groupBy: QUESTION) {
      key responses answers satisfied rate rateLow rateHigh mean } }`;
    const stp = (await t.ok(q, { unitCode: 'STP' }, analyst)).satisfaction;
    const sgtvt = (await t.ok(q, { unitCode: 'SGTVT' }, analyst)).satisfaction;
    expect(stp.map((s: { key: string }) => s.key)).toEqual(['Q01', 'Q02', 'Q03', 'Q04', 'Q05', 'Q06', 'Q07', 'Q08', 'Q09', 'Q10']);
    expect(sgtvt.map((s: { key: string }) => s.key)).toEqual(stp.map((s: { key: string }) => s.key));
    const overall = (stats: { satisfied: number; answers: number }[]) =>
      stats.reduce((a, s) => a + s.satisfied, 0) / stats.reduce((a, s) => a + s.answers, 0);
    expect(overall(stp) - overall(sgtvt)).toBeGreaterThan(0.15);
    let apart = 0;
    stp.forEach((s: any, i: number) => {
      expect(s.rate).toBeCloseTo(s.satisfied / s.answers, 4);
      expect(s.rateLow).toBeLessThan(s.rate);
      expect(s.rateHigh).toBeGreaterThanOrEqual(s.rate);
      // Visibly apart: the two units' 95% intervals do not overlap.
      if (s.rateLow > sgtvt[i].rateHigh) apart++;
    });
    expect(apart).toBeGreaterThanOrEqual(5);
    // Anonymous readers see the published year's figures, and the survey points in the ranking follow them.
    const pub = await t.ok(`{ a: satisfaction(year: ${PUBLISHED}, unitCode: "STP", groupBy: ELEMENT) { key rate }
      b: satisfaction(year: ${PUBLISHED}, unitCode: "SGTVT", groupBy: ELEMENT) { key rate } }`, {}, null);
    expect(pub.a.map((x: { key: string }) => x.key)).toEqual(['ACCESS', 'PROCEDURE', 'CIVIL_SERVANT', 'RESULT', 'FEEDBACK']);
    pub.a.forEach((x: { rate: number }, i: number) => expect(x.rate).toBeGreaterThan(pub.b[i].rate));
  });
});

test(`the ${PUBLISHED} department decision was amended: version 2 (reason, decision reference) read by default, version 1 still readable, one unit re-appraised`, async () => {
  const { cycle } = await t.ok(`{ cycle(year: ${PUBLISHED}, unitKind: DEPARTMENT) { status amending publications { version reason decisionRef } } }`, {}, null);
  expect(cycle).toEqual({
    status: 'PUBLISHED', amending: false,
    publications: [{ version: 1, reason: null, decisionRef: null }, { version: 2, reason: DEMO_AMENDMENT.reason, decisionRef: DEMO_AMENDMENT.decisionRef }],
  });
  const read = async (version: number | null) => (await t.ok(`query($v: Int) { rankings(year: ${PUBLISHED}, unitKind: DEPARTMENT, first: 100, version: $v) {
    edges { node { unit { code } score version } } } }`, { v: version }, null)).rankings.edges.map((e: any) => e.node);
  const [latest, first] = [await read(null), await read(1)];
  expect(new Set(latest.map((n: any) => n.version))).toEqual(new Set([2]));
  expect(new Set(first.map((n: any) => n.version))).toEqual(new Set([1]));
  const v1 = new Map(first.map((n: any) => [n.unit.code, n.score]));
  const changed = latest.filter((n: any) => v1.get(n.unit.code) !== n.score);
  expect(changed).toHaveLength(1);
  expect(changed[0].score).toBeGreaterThan(v1.get(changed[0].unit.code) as number);
  // Its re-appraisal is the council's, signed as the amendment's panel.
  const [row] = await t.sql(`SELECT count(*)::int AS n FROM expert_score s JOIN unit u ON u.id = s.unit_id WHERE u.code = $1 AND s.panelist = $2 AND s.round = 'REAPPRAISAL'`,
    [changed[0].unit.code, DEMO_AMENDMENT.panelist]);
  expect(row.n).toBe(1);
});

describe('on an empty database', () => {
  let e: TestService;
  beforeAll(async () => { e = await startTestService(); });
  afterAll(async () => { await e?.stop(); });

  test('seeds once even when two seeds race (its time is printed by the seed, not asserted: timing is for benchmarks)', async () => {
    // Each on a connection of its own, as two starting processes seed (src/bootstrap.ts, seedOnce).
    const [a, b] = await Promise.all([
      seedOnce(e.databaseUrl, (db) => seedDemoIfEmpty(db, e.service.services, logger)),
      seedOnce(e.databaseUrl, (db) => seedDemoIfEmpty(db, e.service.services, logger)),
    ]);
    const done = [a, b].filter((x) => x !== null);
    expect(done).toHaveLength(1);
    expect(done[0]!.frameworks).toEqual(years.all.flatMap(({ year }) => demoFrameworkKinds(year).map((unitKind) => (
      { year, unitKind, status: year === OPEN ? 'OPEN' : 'PUBLISHED', maxPoints: '100' }))));
    // The same demo as the one seeded at start (bootstrap adds the kiosk alerts' and the amendment's steps): deterministic, whatever the run.
    await seedDemoAlerts(e.service.db, logger);
    await seedDemoAmendment(e.service.db, e.service.services, logger);
    // Both settled before they are compared: every rating rolled up and counted in the open year's results
    // (t's own roll-up and recomputation run in the background, and may not have caught up under load).
    for (const settled of [e, t]) {
      await settled.service.services.tallies.rollUp();
      await settled.service.services.recompute.tick();
    }
    const mine = await snapshot(e);
    const theirs = await snapshot(t);
    for (const key of ['units', 'questions', 'cycles', 'criteria', 'kiosks', 'expert_scores', 'ratings', 'results'] as const) expect(mine[key]).toBe(theirs[key]);
    expect(done[0]).toMatchObject({ kiosks: mine.kiosks - DEMO_ALERT_KIOSKS, ratings: mine.ratings - DEMO_ALERT_RATINGS });
    const scores = `SELECT u.code, c.year, ir.score::text, ir.rank FROM index_result ir JOIN unit u ON u.id = ir.unit_id JOIN cycle c ON c.id = ir.cycle_id ORDER BY 1, 2`;
    expect(await e.sql(scores)).toEqual(await t.sql(scores));
  });

  test('the demo kiosk alerts\' ratings are all before the seed\'s clock, even late on a working morning (11:05 in Hà Nội)', async () => {
    // The latest working day (Monday to Saturday) of the open year whose 11:05 in Hà Nội (04:05 UTC) is past.
    let at: Date | null = null;
    for (let days = 0; days < 14 && !at; days++) {
      const now = new Date();
      const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, 4, 5));
      if (day.getUTCFullYear() === OPEN && day.getUTCDay() !== 0 && day <= now) at = day;
    }
    if (!at) return; // the first days of January: no such morning yet
    const f = await startTestService();
    try {
      await seedDemoIfEmpty(f.service.db, f.service.services, logger);
      expect(await seedDemoAlerts(f.service.db, logger, at)).toBe(true);
      const [{ n, latest }] = await f.sql(`SELECT count(*)::int AS n, max(r.received_at) AS latest FROM survey_response r
        JOIN kiosk k ON k.id = r.kiosk_id WHERE k.label LIKE 'Quầy thử nghiệm%'`);
      expect(n).toBe(DEMO_ALERT_RATINGS);
      expect(new Date(latest).getTime()).toBeLessThanOrEqual(at.getTime());
    } finally {
      await f.stop();
    }
  });

  test('does not seed a database that already holds a unit of its own', async () => {
    const f = await startTestService();
    try {
      await f.ok(`mutation { createUnit(input: {code: "RIENG", name: "Đơn vị riêng", kind: DEPARTMENT}) { code } }`);
      expect(await seedDemoIfEmpty(f.service.db, f.service.services, logger)).toBeNull();
      expect(await snapshot(f)).toMatchObject({ units: 1, questions: 0, cycles: 0, kiosks: 0, expert_scores: 0, ratings: 0, results: 0 });
    } finally {
      await f.stop();
    }
  });
});

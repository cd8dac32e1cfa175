import type ExcelJS from 'exceljs';
import { demoYears } from '../../src/seed/demo-years';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { download, readXlsx, valueOf } from './documents-fixture';

/**
 * The exports read back with exceljs and compared, figure by figure, with
 * what GraphQL answers the same caller (issue 15): the rankings appendix
 * (xlsx and CSV, overall and by domain), the scorecard and satisfaction,
 * under the same visibility (anonymous: published years only). On the demo
 * province, whose years follow the date.
 */
const { published: PUBLISHED, open: OPEN, earlier } = demoYears();
// Districts exist up to 2024 (units over time): the demo's districts are ranked in its three-tier year.
const DISTRICT_YEAR = earlier ?? PUBLISHED;
let t: TestService;

const RANKINGS = `query($year: Int!, $unitKind: UnitKind!, $domainCode: String, $after: String) {
  rankings(year: $year, unitKind: $unitKind, domainCode: $domainCode, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { rank score node { unit { code name } earnedPoints rankChange band { label } domains { code earnedPoints } } } } }`;

async function ranking(year: number, unitKind: string, token: string | null, domainCode: string | null = null) {
  const edges: any[] = [];
  let after: string | null = null;
  do {
    const page: any = (await t.ok(RANKINGS, { year, unitKind, domainCode, after }, token)).rankings;
    edges.push(...page.edges);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return edges;
}

/** The appendix's rows below its three title and header rows, cell values by header. */
function appendixRows(sheet: ExcelJS.Worksheet): Record<string, unknown>[] {
  const headers = (sheet.getRow(3).values as unknown[]).slice(1) as string[];
  const rows: Record<string, unknown>[] = [];
  sheet.eachRow((row, n) => {
    if (n <= 3 || typeof valueOf(row.getCell(1)) !== 'number') return;
    rows.push(Object.fromEntries(headers.map((h, i) => [h, valueOf(row.getCell(i + 1))])));
  });
  return rows;
}

/** What the appendix must show for a GraphQL edge, column by column. */
function expectedRow(edge: any, stt: number, domains: string[], byDomain: string | null): Record<string, unknown> {
  const row: Record<string, unknown> = { STT: stt, 'Mã': edge.node.unit.code, 'Đơn vị': edge.node.unit.name };
  for (const d of domains) row[d] = edge.node.domains.find((x: any) => headerCode(d) === x.code)?.earnedPoints ?? null;
  row['Tổng điểm'] = edge.node.earnedPoints;
  row[byDomain ? `Chỉ số lĩnh vực ${byDomain}` : 'Chỉ số'] = edge.score;
  row['Xếp loại'] = edge.node.band?.label ?? null;
  row[byDomain ? `Xếp hạng lĩnh vực ${byDomain}` : 'Xếp hạng'] = edge.rank;
  row['Thay đổi'] = byDomain ? null : edge.node.rankChange;
  return row;
}
const headerCode = (header: string) => header.split('.')[0];
const BREAKDOWN = ['Điểm thẩm định', 'Điểm khảo sát', 'Điểm thưởng', 'Điểm trừ'];

beforeAll(async () => { t = await startTestService({ seedDemo: true }); }, 120000);
afterAll(async () => { await t?.stop(); });

test.each([
  ['DEPARTMENT', PUBLISHED, null, null],
  ['DISTRICT', DISTRICT_YEAR, null, null],
  ['DEPARTMENT', PUBLISHED, 'LV3', null],
  ['DEPARTMENT', OPEN, null, ADMIN_TOKEN],
])('rankings.xlsx of %s %s (domain %s) holds every figure GraphQL gives the same caller', async (unitKind, year, domainCode, token) => {
  const path = `/export/rankings.xlsx?year=${year}&unitKind=${unitKind}${domainCode ? `&domainCode=${domainCode}` : ''}`;
  const file = await download(t, path, token);
  expect(file.status).toBe(200);
  expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="xep-hang-/);
  const sheet = (await readXlsx(file.body)).getWorksheet('Phụ lục')!;
  const edges = await ranking(year as number, unitKind as string, token, domainCode);
  expect(edges.length).toBeGreaterThan(4);
  expect(file.headers.get('x-row-count')).toBe(String(edges.length));
  const rows = appendixRows(sheet);
  const domains = Object.keys(rows[0]).filter((h) => /^LV\d+\./.test(h));
  expect(domains).toHaveLength(8);
  expect(rows).toHaveLength(edges.length);
  rows.forEach((row, i) => {
    const { [BREAKDOWN[0]]: expert, [BREAKDOWN[1]]: survey, [BREAKDOWN[2]]: bonus, [BREAKDOWN[3]]: penalty, ...shown } = row as Record<string, number>;
    expect(shown).toEqual(expectedRow(edges[i], i + 1, domains, domainCode as string | null));
    // Expert and survey points, bonus and penalty (which GraphQL does not serve) add up to the total, each rounded once.
    expect([expert, survey, bonus, penalty].every((v) => typeof v === 'number')).toBe(true);
    expect(Math.abs(expert + survey + bonus - penalty - (row['Tổng điểm'] as number))).toBeLessThanOrEqual(0.02);
  });
  // Sở Tư pháp's published bonus (the demo gives it one) shows in its own column.
  if (year === PUBLISHED && unitKind === 'DEPARTMENT') expect(rows.some((r) => (r['Điểm thưởng'] as number) > 0)).toBe(true);
  // Looks like the appendix a province signs.
  expect(valueOf(sheet.getCell('A1'))).toBe(`KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM ${year}`);
  expect(String(valueOf(sheet.getCell('A2')))).toContain(year !== OPEN ? 'đã công bố' : 'tạm tính, chưa công bố');
  expect(sheet.views[0]).toMatchObject({ state: 'frozen', xSplit: 3, ySplit: 3 });
  expect(sheet.pageSetup).toMatchObject({ paperSize: 9, orientation: 'landscape', fitToWidth: 1 });
  expect(sheet.getCell('D4').numFmt).toBe('0.00');
  expect(typeof valueOf(sheet.getCell('D4'))).toBe('number');
  const longest = Math.max(...edges.map((e) => e.node.unit.name.length));
  expect(sheet.getColumn(3).width).toBeGreaterThanOrEqual(Math.min(60, longest));
}, 30000);

test('rankings.csv: UTF-8 with a byte order mark, the same rows and figures as the xlsx, two decimals', async () => {
  const csv = await download(t, `/export/rankings.csv?year=${PUBLISHED}&unitKind=DEPARTMENT`, null);
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect([...csv.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = csv.body.toString('utf8').slice(1).trimEnd().split('\r\n');
  expect(lines[0].startsWith('STT,Mã,Đơn vị,"LV1. ')).toBe(true);
  const edges = await ranking(PUBLISHED, 'DEPARTMENT', null);
  expect(lines).toHaveLength(edges.length + 1);
  const first = lines[1].split(',');
  const e = edges[0];
  expect(first.slice(0, 3)).toEqual(['1', e.node.unit.code, e.node.unit.name]);
  expect(first.slice(3, 11)).toEqual(e.node.domains.map((d: any) => d.earnedPoints.toFixed(2)));
  expect(first.slice(15)).toEqual([e.node.earnedPoints.toFixed(2), e.score.toFixed(2), e.node.band.label, String(e.rank), e.node.rankChange === null ? '' : String(e.node.rankChange)]);
  // The same figures as the xlsx, row by row.
  const xlsx = appendixRows((await readXlsx((await download(t, `/export/rankings.xlsx?year=${PUBLISHED}&unitKind=DEPARTMENT`, null)).body)).getWorksheet('Phụ lục')!);
  lines.slice(1).forEach((line, i) => {
    const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, ''));
    // Columns 3–16 are points and indices (two decimals shown), the others as they are.
    expect(cells.slice(0, 20)).toEqual(Object.values(xlsx[i]).map((v, k) => (v === null ? '' : k >= 3 && k <= 16 ? (v as number).toFixed(2) : String(v))));
  });
});

test('visibility: an anonymous reader gets an appendix without rows for the open year, as GraphQL gives an empty ranking', async () => {
  const path = `/export/rankings.xlsx?year=${OPEN}&unitKind=DEPARTMENT`;
  const anonymous = await download(t, path, null);
  expect(anonymous.status).toBe(200);
  expect(anonymous.headers.get('x-row-count')).toBe('0');
  expect(appendixRows((await readXlsx(anonymous.body)).getWorksheet('Phụ lục')!)).toEqual([]);
  expect(await ranking(OPEN, 'DEPARTMENT', null)).toEqual([]);
  const admin = appendixRows((await readXlsx((await download(t, path)).body)).getWorksheet('Phụ lục')!);
  // The departments of the open year's map (three merged pairs are one each from 2025).
  expect(admin).toHaveLength((await t.ok(`{ units(kind: DEPARTMENT, year: ${OPEN}) { totalCount } }`)).units.totalCount);
  // version: only 1 exists (no year was ever amended); it is the published figures.
  const v1 = await download(t, `/export/rankings.xlsx?year=${PUBLISHED}&unitKind=DEPARTMENT&version=1`, null);
  expect(v1.status).toBe(200);
  expect(appendixRows((await readXlsx(v1.body)).getWorksheet('Phụ lục')!)).toHaveLength(
    (await t.ok(`{ units(kind: DEPARTMENT, year: ${PUBLISHED}) { totalCount } }`)).units.totalCount);
  // A unit's scorecard of the open year reads as absent to them; satisfaction as an empty list.
  expect((await download(t, `/export/scorecard.xlsx?year=${OPEN}&unitCode=STP`, null)).status).toBe(404);
  const sat = await readXlsx((await download(t, `/export/satisfaction.xlsx?year=${OPEN}&unitKind=DEPARTMENT`, null)).body);
  expect(sat.getWorksheet('Mức độ hài lòng')!.rowCount).toBe(3);
});

test('scorecard.xlsx: the unit\'s figures and domains as GraphQL gives them; its leaves add up to its total', async () => {
  const file = await download(t, `/export/scorecard.xlsx?year=${PUBLISHED}&unitCode=STP`, null);
  expect(file.status).toBe(200);
  const sheet = (await readXlsx(file.body)).getWorksheet('Phiếu điểm')!;
  const { unit } = await t.ok(`query($y: Int!) { unit(code: "STP") { result(year: $y) { score earnedPoints maxPoints rank rankChange expertScore surveyScore responses band { label } domains { code earnedPoints maxPoints score rank } } } }`, { y: PUBLISHED }, null);
  const r = unit.result;
  const info = Object.fromEntries([4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => [valueOf(sheet.getCell(`A${n}`)), valueOf(sheet.getCell(`B${n}`))]));
  expect(info).toEqual({
    'Chỉ số': r.score, 'Xếp loại': r.band.label, 'Xếp hạng': r.rank, 'Thay đổi': r.rankChange, 'Tổng điểm': r.earnedPoints,
    'Điểm tối đa áp dụng': r.maxPoints, 'Chỉ số thẩm định': r.expertScore, 'Chỉ số khảo sát': r.surveyScore, 'Số phiếu khảo sát': r.responses,
  });
  const rows: unknown[][] = [];
  sheet.eachRow((row, n) => { if (n > 14) rows.push((row.values as unknown[]).slice(1).map((v) => (v && typeof v === 'object' && 'result' in (v as object) ? (v as any).result : v ?? null))); });
  for (const d of r.domains) {
    const row = rows.find((x) => x[0] === d.code)!;
    expect([row[3], row[6], row[7], row[8]]).toEqual([d.maxPoints, d.earnedPoints, d.score, d.rank]);
  }
  // Leaves (rows with a source) add up to the domain totals and, with bonus and penalty, to the unit's total.
  const leaves = rows.filter((x) => x[2] === 'Thẩm định' || x[2] === 'Khảo sát');
  expect(leaves.length).toBeGreaterThan(20);
  const total = (label: string) => rows.find((x) => x[1] === label)![6] as number;
  const leafSum = leaves.reduce((s, x) => s + ((x[6] as number) ?? 0), 0);
  expect(Math.abs(leafSum - total('Điểm thẩm định') - total('Điểm khảo sát'))).toBeLessThan(0.01 * leaves.length);
  expect(total('Tổng điểm')).toBe(r.earnedPoints);
  expect(Math.abs(total('Điểm thẩm định') + total('Điểm khảo sát') + total('Điểm thưởng') - total('Điểm trừ') - r.earnedPoints)).toBeLessThanOrEqual(0.02);
  expect(total('Chỉ số')).toBe(r.score);
});

test.each(['QUESTION', 'ELEMENT', 'MONTH'])('satisfaction.xlsx grouped by %s holds GraphQL\'s statistics, rates as numbers', async (groupBy) => {
  const file = await download(t, `/export/satisfaction.xlsx?year=${PUBLISHED}&unitKind=DEPARTMENT&groupBy=${groupBy}`, null);
  expect(file.status).toBe(200);
  const sheet = (await readXlsx(file.body)).getWorksheet('Mức độ hài lòng')!;
  const { satisfaction } = await t.ok(`query($y: Int!, $g: SatisfactionGrouping) { satisfaction(year: $y, unitKind: DEPARTMENT, groupBy: $g) { key responses answers satisfied rate rateLow rateHigh mean } }`, { y: PUBLISHED, g: groupBy }, null);
  expect(satisfaction.length).toBeGreaterThan(0);
  const rows: unknown[][] = [];
  sheet.eachRow((row, n) => { if (n > 3) rows.push((row.values as unknown[]).slice(1)); });
  expect(rows.map((r) => [r[0], ...r.slice(2, 9)])).toEqual(satisfaction.map((s: any) => [s.key, s.responses, s.answers, s.satisfied, s.rate, s.rateLow, s.rateHigh, s.mean]));
  expect(sheet.getCell('F4').numFmt).toBe('0.00%');
});

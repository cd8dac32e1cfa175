import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Principal } from '../auth/principal';
import type { UnitKind } from '../entities/enums';
import { figure, type BreakdownReader, type CycleBreakdown, type PointsBreakdown } from './breakdown';
import { DocumentError } from './document-error';
import type { RunGraphQL } from './graphql-runner';
import { FORMAT, KIND_TITLE } from './labels';
import { DOCUMENT_LIMITS } from './limits';

/**
 * A ranking as the appendix of a decision (Phụ lục), in xlsx or CSV,
 * streamed: the ranking is read through GraphQL 100 rows at a time as the
 * caller (same figures, same visibility) and each page is written out
 * before the next is read, so memory does not grow with the rows.
 */
export interface RankingExportArgs {
  year: number; unitKind: UnitKind; domainCode: string | null; parentCode: string | null;
  /** A published version (amendments); null: the one the caller reads by default. */
  version: number | null;
}

interface CycleInfo {
  status: string;
  amending: boolean;
  publications: { version: number }[];
  domains: { code: string; name: string; maxPoints: number }[];
}
interface Edge {
  rank: number; score: number;
  node: {
    unit: { code: string };
    /** The unit's name in the ranking's year (units over time). */
    unitName: string;
    score: number; expertScore: number | null; surveyScore: number | null; earnedPoints: number; maxPoints: number;
    rank: number; rankChange: number | null; provisional: boolean; published: boolean;
    band: { code: string; label: string } | null;
    domains: { code: string; earnedPoints: number; maxPoints: number; score: number; rank: number }[];
  };
}
interface Page {
  totalCount?: number;
  summary?: { count: number; average: number | null };
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Edge[];
}

const EDGE_FIELDS = `pageInfo { hasNextPage endCursor }
  edges { rank score node { unit { code } unitName score expertScore surveyScore earnedPoints maxPoints rank rankChange provisional published
    band { code label } domains { code earnedPoints maxPoints score rank } } }`;
const ARGS = '$year: Int!, $unitKind: UnitKind!, $domainCode: String, $parentCode: String, $first: Int, $after: String, $version: Int';
const CALL = 'rankings(year: $year, unitKind: $unitKind, domainCode: $domainCode, parentCode: $parentCode, first: $first, after: $after, version: $version)';
// Two documents, each of fields the service renders in SQL: the first page with the count and summary, the others without.
export const FIRST_PAGE = `query ExportRankingsFirst(${ARGS}) { rankings: ${CALL} { totalCount summary { count average } ${EDGE_FIELDS} } }`;
export const NEXT_PAGE = `query ExportRankingsNext(${ARGS}) { rankings: ${CALL} { ${EDGE_FIELDS} } }`;
export const CYCLE = `query ExportCycle($year: Int!, $unitKind: UnitKind!) {
  cycle(year: $year, unitKind: $unitKind) { status amending publications { version } domains { code name maxPoints } } }`;

/** One column of the appendix: its header, width, number format and value. */
interface Column {
  header: string;
  width: number;
  format?: string;
  center?: boolean;
  value(row: Row): string | number | null;
}
interface Row { stt: number; edge: Edge; points: PointsBreakdown | null }

const domainName = (d: { code: string; name: string }) => `${d.code}. ${d.name}`;
const vnNumber = (n: number) => String(n).replace('.', ',');

function columns(cycle: CycleInfo, args: RankingExportArgs, nameWidth: number): Column[] {
  const byDomain = args.domainCode !== null;
  const pts = (f: (p: PointsBreakdown) => Parameters<typeof figure>[0]) => (r: Row) => (r.points ? figure(f(r.points)) : null);
  return [
    { header: 'STT', width: 6, format: FORMAT.int, center: true, value: (r) => r.stt },
    { header: 'Mã', width: 12, value: (r) => r.edge.node.unit.code },
    { header: 'Đơn vị', width: nameWidth, value: (r) => r.edge.node.unitName },
    ...cycle.domains.map((d): Column => ({
      header: `${domainName(d)} (tối đa ${vnNumber(d.maxPoints)})`, width: 14, format: FORMAT.points,
      value: (r) => r.edge.node.domains.find((x) => x.code === d.code)?.earnedPoints ?? null,
    })),
    { header: 'Điểm thẩm định', width: 11, format: FORMAT.points, value: pts((p) => p.expert) },
    { header: 'Điểm khảo sát', width: 11, format: FORMAT.points, value: pts((p) => p.survey) },
    { header: 'Điểm thưởng', width: 10, format: FORMAT.points, value: pts((p) => p.bonus) },
    { header: 'Điểm trừ', width: 10, format: FORMAT.points, value: pts((p) => p.penalty) },
    { header: 'Tổng điểm', width: 10, format: FORMAT.points, value: (r) => r.edge.node.earnedPoints },
    { header: byDomain ? `Chỉ số lĩnh vực ${args.domainCode}` : 'Chỉ số', width: 10, format: FORMAT.points, value: (r) => r.edge.score },
    { header: 'Xếp loại', width: 12, center: true, value: (r) => r.edge.node.band?.label ?? null },
    { header: byDomain ? `Xếp hạng lĩnh vực ${args.domainCode}` : 'Xếp hạng', width: 10, format: FORMAT.int, center: true, value: (r) => r.edge.rank },
    // The rank change is the overall ranking's; a ranking by domain has none.
    { header: 'Thay đổi', width: 9, format: FORMAT.change, center: true, value: (r) => (byDomain ? null : r.edge.node.rankChange) },
  ];
}

function titles(cycle: CycleInfo, args: RankingExportArgs): [string, string] {
  const domain = args.domainCode ? cycle.domains.find((d) => d.code === args.domainCode) : undefined;
  const scope = [
    KIND_TITLE[args.unitKind],
    domain ? `xếp hạng theo lĩnh vực ${domainName(domain)}` : null,
    args.parentCode ? `thuộc đơn vị ${args.parentCode}` : null,
  ].filter(Boolean).join(' — ');
  const status = cycle.status === 'PUBLISHED' ? 'đã công bố' : 'tạm tính, chưa công bố';
  return [`KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM ${args.year}`, `${scope} (${status})`];
}

/** The rows of a ranking, page by page, as the caller may see them, with what GraphQL does not serve worked out beside them. */
async function* pages(run: RunGraphQL, principal: Principal | null, args: RankingExportArgs, first: Page, breakdown: CycleBreakdown | null) {
  let page: Page | null = first;
  let stt = 0;
  while (page) {
    // The next page is read while this one is worked out and written: two pages in memory at most.
    const after: string | null = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    const next: Promise<{ rankings: Page }> | null = after === null ? null : run<{ rankings: Page }>(principal, NEXT_PAGE, { ...args, first: DOCUMENT_LIMITS.pageSize, after });
    next?.catch(() => undefined);
    const points = breakdown
      ? await breakdown.page(page.edges.map((e) => ({ code: e.node.unit.code, earnedPoints: e.node.earnedPoints, expertScore: e.node.expertScore })))
      : new Map<string, PointsBreakdown | null>();
    yield page.edges.map((edge): Row => ({ stt: ++stt, edge, points: points.get(edge.node.unit.code) ?? null }));
    page = next === null ? null : (await next).rankings;
  }
}

export interface PreparedRankingExport {
  rows: number;
  fileName(ext: 'xlsx' | 'csv'): string;
  writeXlsx(out: Writable): Promise<void>;
  writeCsv(out: Writable): Promise<void>;
}

/**
 * Reads the framework and the first page (so that a refusal is still an
 * HTTP error, before any byte of the file), then returns the writers.
 */
export async function prepareRankingExport(
  run: RunGraphQL, breakdowns: BreakdownReader, principal: Principal | null, args: RankingExportArgs,
): Promise<PreparedRankingExport> {
  const { cycle } = await run<{ cycle: CycleInfo | null }>(principal, CYCLE, { year: args.year, unitKind: args.unitKind });
  if (args.version !== null) {
    // The published versions, and an amendment in progress (which only those who see provisional results read).
    const versions = cycle ? [...cycle.publications.map((p) => p.version), ...(cycle.amending ? [cycle.publications.length + 1] : [])] : [];
    if (!versions.includes(args.version)) {
      throw new DocumentError(404, 'NOT_FOUND', `There is no version ${args.version} of the ${args.year} ${args.unitKind} results${versions.length ? `; its versions are ${versions.join(', ')}` : ''}`, 'version');
    }
  }
  if (!cycle) throw new DocumentError(404, 'NOT_FOUND', `No framework is defined for ${args.year} and ${args.unitKind}`, 'year');
  const first = (await run<{ rankings: Page }>(principal, FIRST_PAGE, { ...args, first: DOCUMENT_LIMITS.pageSize, after: null })).rankings;
  const breakdown = first.edges.length > 0 ? await breakdowns.forCycle(args.year, args.unitKind) : null;
  // Wide enough for the longest name of the first page (Vietnamese names run long), within reason.
  const nameWidth = Math.min(60, Math.max(28, ...first.edges.map((e) => e.node.unitName.length + 2)));
  const cols = columns(cycle, args, nameWidth);
  const [title, subtitle] = titles(cycle, args);
  const base = `xep-hang-${args.year}-${args.unitKind}${args.domainCode ? `-${args.domainCode}` : ''}${args.parentCode ? `-${args.parentCode}` : ''}${args.version ? `-v${args.version}` : ''}`;

  const drain = (out: Writable) => (out.writableNeedDrain ? new Promise<void>((resolve) => out.once('drain', resolve)) : Promise.resolve());

  return {
    rows: first.totalCount ?? 0,
    fileName: (ext) => `${base}.${ext}`,

    async writeXlsx(out) {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
      workbook.creator = 'PAR INDEX';
      const sheet = workbook.addWorksheet('Phụ lục', {
        views: [{ state: 'frozen', xSplit: 3, ySplit: 3, activeCell: 'D4' }],
        pageSetup: {
          paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0,
          horizontalCentered: true, printTitlesRow: '3:3',
          margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
        },
        headerFooter: { oddFooter: `&L${title}&RTrang &P / &N` },
      });
      const thin = { style: 'thin' as const, color: { argb: 'FF999999' } };
      sheet.columns = cols.map((c) => ({
        width: c.width,
        style: { ...(c.format ? { numFmt: c.format } : {}), ...(c.center ? { alignment: { horizontal: 'center' as const } } : {}), border: { left: thin, right: thin, bottom: thin } },
      }));
      const last = cols.length;
      const titleRow = sheet.addRow([title]);
      titleRow.font = { bold: true, size: 14 };
      titleRow.alignment = { horizontal: 'center' };
      sheet.mergeCells(1, 1, 1, last);
      titleRow.commit();
      const subRow = sheet.addRow([subtitle]);
      subRow.font = { italic: true };
      subRow.alignment = { horizontal: 'center' };
      sheet.mergeCells(2, 1, 2, last);
      subRow.commit();
      const header = sheet.addRow(cols.map((c) => c.header));
      header.height = 96;
      header.eachCell((cell) => {
        cell.font = { bold: true };
        cell.alignment = { wrapText: true, vertical: 'middle', horizontal: 'center' };
        cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
        cell.border = { top: { style: 'thin' }, bottom: { style: 'thin' }, left: { style: 'thin' }, right: { style: 'thin' } };
      });
      header.commit();
      for await (const rows of pages(run, principal, args, first, breakdown)) {
        for (const r of rows) sheet.addRow(cols.map((c) => c.value(r))).commit();
        await drain(out);
      }
      if (first.summary && first.summary.count > 0) {
        sheet.addRow([]).commit();
        const avg = sheet.addRow([null, null, `Số đơn vị: ${first.summary.count}; chỉ số trung bình`]);
        if (first.summary.average !== null) avg.getCell(cols.length - 3).value = first.summary.average;
        avg.font = { italic: true };
        avg.commit();
      }
      sheet.commit();
      await workbook.commit();
    },

    async writeCsv(out) {
      const write = async (cells: (string | number | null)[]) => {
        if (!out.write(`${cells.map(csvCell).join(',')}\r\n`)) await drain(out);
      };
      // A byte order mark first: Excel then reads the file as UTF-8 and shows Vietnamese as written.
      out.write('\uFEFF');
      await write(cols.map((c) => c.header));
      for await (const rows of pages(run, principal, args, first, breakdown)) {
        for (const r of rows) await write(cols.map((c) => csvValue(c, r)));
      }
      out.end();
    },
  };
}

/** Figures with two decimals as shown in the sheet (a dot for the decimals: the CSV convention), ranks as integers. */
function csvValue(c: Column, r: Row): string | number | null {
  const v = c.value(r);
  if (typeof v === 'number' && c.format === FORMAT.points) return v.toFixed(2);
  return v;
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  // A text that a spreadsheet would take for a formula is kept as text (OWASP's CSV injection advice).
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type Decimal from 'decimal.js';
import type { Principal } from '../auth/principal';
import { CriterionSource, type UnitKind } from '../entities/enums';
import type { FrameworkNode } from '../services/framework.service';
import { toDecimal } from '../scoring';
import { figure, type BreakdownReader } from './breakdown';
import { DocumentError } from './document-error';
import type { RunGraphQL } from './graphql-runner';
import { FORMAT, KIND_TITLE } from './labels';

/** GET /export/scorecard.xlsx?year=&unitCode=: one unit's result, domain by domain and leaf by leaf. */
export const SCORECARD = `query ExportScorecard($code: String!, $year: Int!, $version: Int) {
  unit(code: $code) { code name kind result(year: $year, version: $version) {
    unitName score expertScore surveyScore earnedPoints maxPoints rank previousRank rankChange provisional published surveyInsufficient responses
    band { label } domains { code name score earnedPoints maxPoints rank } } } }`;

interface ScorecardData {
  unit: {
    code: string; name: string; kind: UnitKind;
    result: {
      unitName: string; score: number; expertScore: number | null; surveyScore: number | null; earnedPoints: number; maxPoints: number;
      rank: number; previousRank: number | null; rankChange: number | null; provisional: boolean; published: boolean;
      surveyInsufficient: boolean; responses: number; band: { label: string } | null;
      domains: { code: string; name: string; score: number; earnedPoints: number; maxPoints: number; rank: number }[];
    } | null;
  } | null;
}

const ROUND_LABEL: Record<string, string> = { SELF_ASSESSMENT: 'Tự đánh giá', APPRAISAL: 'Thẩm định', REAPPRAISAL: 'Thẩm định lại' };
const STATUS_LABEL: Record<string, string> = { SCORED: 'Có', NOT_APPLICABLE: 'Không áp dụng', MISSING: 'Chưa chấm', SURVEY_INSUFFICIENT: 'Không đủ phiếu' };

export async function prepareScorecardExport(
  run: RunGraphQL, breakdowns: BreakdownReader, principal: Principal | null, year: number, unitCode: string, version: number | null = null,
) {
  const { unit } = await run<ScorecardData>(principal, SCORECARD, { code: unitCode, year, version });
  if (!unit) throw new DocumentError(404, 'NOT_FOUND', `No unit has the code ${JSON.stringify(unitCode.slice(0, 64))}`, 'unitCode');
  const result = unit.result;
  // What a caller may not see reads as absent: the same 404 for no result and for a result not yet published.
  if (!result) throw new DocumentError(404, 'NOT_FOUND', `Unit ${unit.code} has no ${year} result that you may read`, 'year');
  const cycle = await breakdowns.forCycle(year, unit.kind);
  if (!cycle) throw new DocumentError(404, 'NOT_FOUND', `No framework is defined for ${year} and ${unit.kind}`, 'year');
  const detail = await cycle.unit(unit.code, result.score);
  const leafById = new Map((detail?.leaves ?? []).map((l) => [l.leafId, l]));

  return {
    fileName: `phieu-diem-${year}-${unit.code}.xlsx`,
    async write(out: Writable) {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
      workbook.creator = 'PAR INDEX';
      const sheet = workbook.addWorksheet('Phiếu điểm', {
        views: [{ state: 'frozen', ySplit: 14 }],
        pageSetup: { paperSize: 9, orientation: 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
      });
      sheet.columns = [{ width: 14 }, { width: 60 }, { width: 12 }, { width: 11, style: { numFmt: FORMAT.points } },
        { width: 15 }, { width: 14 }, { width: 11, style: { numFmt: FORMAT.points } }, { width: 10, style: { numFmt: FORMAT.points } }, { width: 9 }];
      const add = (values: unknown[], style?: Partial<ExcelJS.Row>) => {
        const row = sheet.addRow(values);
        if (style?.font) row.font = style.font;
        row.commit();
      };
      add([`PHIẾU ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM ${year}`], { font: { bold: true, size: 14 } } as Partial<ExcelJS.Row>);
      add([`${result.unitName} (${unit.code}) — ${KIND_TITLE[unit.kind]}`], { font: { bold: true } } as Partial<ExcelJS.Row>);
      add([result.published ? 'Đã công bố' : 'Tạm tính, chưa công bố']);
      add(['Chỉ số', result.score]);
      add(['Xếp loại', result.band?.label ?? null]);
      add(['Xếp hạng', result.rank]);
      add(['Thay đổi', result.rankChange]);
      add(['Tổng điểm', result.earnedPoints]);
      add(['Điểm tối đa áp dụng', result.maxPoints]);
      add(['Chỉ số thẩm định', result.expertScore]);
      add(['Chỉ số khảo sát', result.surveyScore]);
      add(['Số phiếu khảo sát', result.responses]);
      add([]);
      const header = sheet.addRow(['Mã', 'Lĩnh vực / tiêu chí', 'Nguồn', 'Điểm tối đa', 'Áp dụng', 'Vòng chấm', 'Điểm đạt', 'Chỉ số', 'Xếp hạng']);
      header.font = { bold: true };
      header.eachCell((c) => { c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } }; });
      header.commit();

      const earnedOf = (node: FrameworkNode): Decimal | null => {
        if (node.children.length === 0) return leafById.get(String(node.id))?.earned ?? null;
        let sum = toDecimal(0);
        for (const c of node.children) {
          const e = earnedOf(c);
          if (e === null) return null;
          sum = sum.plus(e);
        }
        return sum;
      };
      const walk = (node: FrameworkNode, indent: number) => {
        const leaf = node.children.length === 0 ? leafById.get(String(node.id)) : undefined;
        const earned = earnedOf(node);
        add([node.code, `${'   '.repeat(indent)}${node.name}`,
          node.source === CriterionSource.EXPERT ? 'Thẩm định' : node.source === CriterionSource.SURVEY ? 'Khảo sát' : null,
          Number(node.maxPoints), leaf ? STATUS_LABEL[leaf.status] : null, leaf?.round ? ROUND_LABEL[leaf.round] : null,
          earned === null ? null : figure(earned)]);
        node.children.forEach((c) => walk(c, indent + 1));
      };
      for (const domain of cycle.framework.domains) {
        const d = result.domains.find((x) => x.code === domain.code);
        const row = sheet.addRow([domain.code, domain.name, null, d?.maxPoints ?? Number(domain.maxPoints), null, null, d?.earnedPoints ?? null, d?.score ?? null, d?.rank ?? null]);
        row.font = { bold: true };
        row.commit();
        domain.children.forEach((c) => walk(c, 1));
      }
      add([]);
      const totals: [string, number | null][] = [
        ['Điểm thẩm định', detail ? figure(detail.expert) : null], ['Điểm khảo sát', detail ? figure(detail.survey) : null],
        ['Điểm thưởng', detail ? figure(detail.bonus) : null], ['Điểm trừ', detail ? figure(detail.penalty) : null],
        ['Tổng điểm', result.earnedPoints], ['Chỉ số', result.score],
      ];
      for (const [label, value] of totals) {
        const row = sheet.addRow([null, label, null, null, null, null, value]);
        row.font = { bold: label === 'Chỉ số' };
        row.commit();
      }
      if (!detail) add([null, 'Điểm từng tiêu chí đang được tính lại; tải lại sau ít phút. / Leaf points are being recomputed; download again shortly.']);
      sheet.commit();
      await workbook.commit();
    },
  };
}

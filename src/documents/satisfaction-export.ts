import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Principal } from '../auth/principal';
import type { UnitKind } from '../entities/enums';
import type { SatisfactionGrouping } from '../survey/satisfaction.service';
import type { RunGraphQL } from './graphql-runner';
import { FORMAT, KIND_TITLE } from './labels';

/** GET /export/satisfaction.xlsx?year=[&unitKind=&unitCode=]&groupBy=: the satisfaction statistics as GraphQL gives them. */
export const SATISFACTION = `query ExportSatisfaction($year: Int!, $unitKind: UnitKind, $unitCode: String, $groupBy: SatisfactionGrouping) {
  satisfaction(year: $year, unitKind: $unitKind, unitCode: $unitCode, groupBy: $groupBy) { key responses answers satisfied rate rateLow rateHigh mean }
  questionnaire(year: $year) { code text element } }`;

interface Stat { key: string; responses: number; answers: number; satisfied: number; rate: number; rateLow: number; rateHigh: number; mean: number }

const ELEMENT_LABEL: Record<string, string> = {
  ACCESS: 'Tiếp cận dịch vụ', PROCEDURE: 'Thủ tục hành chính', CIVIL_SERVANT: 'Công chức trực tiếp giải quyết',
  RESULT: 'Kết quả dịch vụ', FEEDBACK: 'Tiếp nhận, xử lý góp ý, phản ánh',
};
const GROUP_LABEL: Record<string, string> = { QUESTION: 'Câu hỏi', ELEMENT: 'Yếu tố', MONTH: 'Tháng', KIOSK: 'Ki-ốt', PROCEDURE: 'Thủ tục' };

export async function prepareSatisfactionExport(
  run: RunGraphQL, principal: Principal | null,
  args: { year: number; unitKind: UnitKind | null; unitCode: string | null; groupBy: SatisfactionGrouping },
) {
  const data = await run<{ satisfaction: Stat[]; questionnaire: { code: string; text: string; element: string }[] }>(principal, SATISFACTION, args);
  const questions = new Map(data.questionnaire.map((q) => [q.code, q.text]));
  const label = (key: string) => (args.groupBy === 'QUESTION' ? questions.get(key) ?? null
    : args.groupBy === 'ELEMENT' ? ELEMENT_LABEL[key] ?? null
      : args.groupBy === 'PROCEDURE' && key === '' ? '(không ghi thủ tục)' : null);
  const scope = args.unitCode ? `đơn vị ${args.unitCode}` : args.unitKind ? KIND_TITLE[args.unitKind] : 'toàn tỉnh';
  return {
    rows: data.satisfaction.length,
    fileName: `hai-long-${args.year}-${args.unitCode ?? args.unitKind ?? 'tinh'}-${args.groupBy}.xlsx`,
    async write(out: Writable) {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
      workbook.creator = 'PAR INDEX';
      const sheet = workbook.addWorksheet('Mức độ hài lòng', {
        views: [{ state: 'frozen', ySplit: 3 }],
        pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
      });
      sheet.columns = [{ width: 16 }, { width: 50 }, { width: 10 }, { width: 12 }, { width: 12 },
        { width: 12, style: { numFmt: FORMAT.rate } }, { width: 12, style: { numFmt: FORMAT.rate } }, { width: 12, style: { numFmt: FORMAT.rate } },
        { width: 12, style: { numFmt: FORMAT.decimal4 } }];
      const title = sheet.addRow([`MỨC ĐỘ HÀI LÒNG CỦA NGƯỜI DÂN, TỔ CHỨC NĂM ${args.year} — ${scope} — theo ${GROUP_LABEL[args.groupBy].toLowerCase()}`]);
      title.font = { bold: true, size: 13 };
      title.commit();
      sheet.addRow(['Tỷ lệ hài lòng = số câu trả lời hài lòng / số câu trả lời; khoảng tin cậy Wilson 95%.']).commit();
      const header = sheet.addRow([GROUP_LABEL[args.groupBy], 'Nội dung', 'Số phiếu', 'Số câu trả lời', 'Số hài lòng',
        'Tỷ lệ hài lòng', 'Cận dưới (95%)', 'Cận trên (95%)', 'Điểm trung bình']);
      header.font = { bold: true };
      header.commit();
      for (const s of data.satisfaction) {
        sheet.addRow([s.key, label(s.key), s.responses, s.answers, s.satisfied, s.rate, s.rateLow, s.rateHigh, s.mean]).commit();
      }
      sheet.commit();
      await workbook.commit();
    },
  };
}

import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Principal } from '../auth/principal';
import type { UnitKind } from '../entities/enums';
import type { Services } from '../services';
import {
  APPRAISAL_SHEET, cellName, COL, FORMAT_ID, frameworkFingerprint, layoutOf, META_ROWS, META_SHEET, ROW,
} from './appraisal-sheet';
import { DocumentError } from './document-error';
import type { RunGraphQL } from './graphql-runner';
import { FORMAT, KIND_TITLE } from './labels';
import { DOCUMENT_LIMITS } from './limits';

const UNITS = `query TemplateUnits($kind: UnitKind!, $first: Int, $after: String) {
  units(kind: $kind, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { code name } } } }`;
interface UnitsPage { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { code: string; name: string } }[] }

const vn = (n: number) => String(n).replace('.', ',');

/** A validation rule of a points column: a number from 0 to `max` with at most two decimals, said in both languages. */
function pointsRule(firstCell: string, max: number, what: string) {
  return {
    type: 'custom' as const,
    allowBlank: true,
    showErrorMessage: true,
    errorStyle: 'stop' as const,
    errorTitle: 'Điểm không hợp lệ / Invalid points',
    error: `${what}: từ 0 đến ${vn(max)}, tối đa hai chữ số thập phân. / ${what}: 0 to ${max}, at most two decimals.`,
    formulae: [`AND(ISNUMBER(${firstCell}),${firstCell}>=0,${firstCell}<=${max},ROUND(${firstCell},2)=${firstCell})`],
  };
}

/**
 * GET /templates/appraisal.xlsx?year=&unitKind=: the sheet appraisers fill
 * in, streamed (a national kind has 12,000 rows). Units are read through
 * GraphQL as the caller, 100 at a time, in the service's Vietnamese order.
 */
export const writeAppraisalTemplate = {
  async prepare(run: RunGraphQL, services: Services, principal: Principal | null, year: number, unitKind: UnitKind) {
    const framework = await services.frameworks.find(year, unitKind);
    if (!framework) throw new DocumentError(404, 'NOT_FOUND', `No framework is defined for ${year} and ${unitKind}`, 'year');
    const layout = layoutOf(framework);
    if (layout.leaves.length === 0) {
      throw new DocumentError(409, 'CONFLICT', `The ${year} ${unitKind} framework has no EXPERT criterion: there is nothing for the panel to score`);
    }
    const fingerprint = frameworkFingerprint(framework, year, unitKind);
    const first = (await run<{ units: UnitsPage }>(principal, UNITS, { kind: unitKind, first: DOCUMENT_LIMITS.pageSize, after: null })).units;
    const maxBonus = Number(framework.cycle.maxBonus);
    const maxPenalty = Number(framework.cycle.maxPenalty);
    const lastRow = ROW.firstData + Math.max(first.totalCount, 1) - 1;

    return {
      rows: first.totalCount,
      fileName: `phieu-tham-dinh-${year}-${unitKind}.xlsx`,
      async write(out: Writable) {
        const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
        workbook.creator = 'PAR INDEX';
        const sheet = workbook.addWorksheet(APPRAISAL_SHEET, {
          views: [{ state: 'frozen', xSplit: COL.firstLeaf - 1, ySplit: ROW.firstData - 1, activeCell: cellName(ROW.firstData, COL.firstLeaf) }],
          pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: `${ROW.codes}:${ROW.maxima}` },
        });
        sheet.columns = [
          { width: 6 }, { width: 14 }, { width: 36 },
          ...layout.leaves.map(() => ({ width: 12, style: { numFmt: FORMAT.points } })),
          { width: 24 }, { width: 11, style: { numFmt: FORMAT.points } }, { width: 11, style: { numFmt: FORMAT.points } },
        ];
        const title = sheet.addRow([`PHIẾU CHẤM ĐIỂM THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM ${year} — ${KIND_TITLE[unitKind].toUpperCase()}`]);
        title.font = { bold: true, size: 13 };
        sheet.mergeCells(ROW.title, 1, ROW.title, layout.lastCol);
        title.commit();
        const help = sheet.addRow(['Nhập điểm từng tiêu chí: từ 0 đến điểm tối đa, tối đa hai chữ số thập phân; để trống ô không chấm. '
          + 'Tiêu chí không áp dụng: ghi mã vào cột "Không áp dụng", cách nhau bởi dấu chấm phẩy. '
          + '/ Enter each criterion\'s points from 0 to its maximum, at most two decimals; leave unscored cells empty; list not-applicable criterion codes, separated by semicolons.']);
        help.font = { italic: true, size: 9 };
        help.alignment = { wrapText: true, vertical: 'top' };
        help.height = 30;
        sheet.mergeCells(ROW.help, 1, ROW.help, layout.lastCol);
        help.commit();
        const headerRows = [
          ['STT', 'Mã đơn vị', 'Đơn vị', ...layout.leaves.map((l) => l.code), 'Không áp dụng', 'Điểm thưởng', 'Điểm trừ'],
          [null, null, 'Tiêu chí', ...layout.leaves.map((l) => l.name), '(mã tiêu chí, cách nhau bởi ;)', null, null],
          [null, null, 'Điểm tối đa', ...layout.leaves.map((l) => Number(l.maxPoints)), null, maxBonus, maxPenalty],
        ];
        headerRows.forEach((values, i) => {
          const row = sheet.addRow(values);
          row.font = { bold: i !== 1, size: i === 1 ? 9 : 11 };
          row.alignment = { wrapText: true, vertical: 'middle', horizontal: 'center' };
          if (i === 1) row.height = 60;
          row.eachCell((cell) => { cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF2CC' } }; });
          row.commit();
        });
        // One rule per column over every unit row (the streaming writer has them; its typings do not say so).
        const validations = (sheet as unknown as { dataValidations: { add(address: string, rule: ExcelJS.DataValidation): void } }).dataValidations;
        const range = (col: number) => `${cellName(ROW.firstData, col)}:${cellName(lastRow, col)}`;
        layout.leaves.forEach((leaf, i) => {
          const col = COL.firstLeaf + i;
          validations.add(range(col), pointsRule(cellName(ROW.firstData, col), Number(leaf.maxPoints), `Tiêu chí ${leaf.code}`));
        });
        validations.add(range(layout.bonusCol), pointsRule(cellName(ROW.firstData, layout.bonusCol), maxBonus, 'Điểm thưởng / bonus'));
        validations.add(range(layout.penaltyCol), pointsRule(cellName(ROW.firstData, layout.penaltyCol), maxPenalty, 'Điểm trừ / penalty'));
        validations.add(range(layout.notApplicableCol), {
          type: 'textLength', operator: 'lessThanOrEqual', allowBlank: true, formulae: [2000], showInputMessage: true,
          promptTitle: 'Không áp dụng / Not applicable',
          prompt: `Mã tiêu chí, cách nhau bởi dấu ; (ví dụ ${layout.leaves.slice(0, 2).map((l) => l.code).join('; ')}) / criterion codes separated by ;`,
        });

        let page: UnitsPage | null = first;
        let stt = 0;
        while (page) {
          for (const { node } of page.edges) {
            const row = sheet.addRow([++stt, node.code, node.name]);
            row.getCell(COL.unitCode).font = { color: { argb: 'FF555555' } };
            row.commit();
          }
          if (out.writableNeedDrain) await new Promise<void>((resolve) => out.once('drain', resolve));
          const after: string | null = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
          page = after === null ? null : (await run<{ units: UnitsPage }>(principal, UNITS, { kind: unitKind, first: DOCUMENT_LIMITS.pageSize, after })).units;
        }
        sheet.commit();

        const meta = workbook.addWorksheet(META_SHEET, { state: 'hidden' });
        const metaRows: [number, string, string | number][] = [
          [META_ROWS.format, 'format', FORMAT_ID], [META_ROWS.year, 'year', year], [META_ROWS.unitKind, 'unitKind', unitKind],
          [META_ROWS.fingerprint, 'framework', fingerprint],
        ];
        for (const [, label, value] of metaRows) meta.addRow([label, value]).commit();
        meta.commit();
        await workbook.commit();
      },
    };
  },
};

import type http from 'node:http';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit, withAuditActor } from '../audit';
import type { Principal } from '../auth/principal';
import type { CacheChange } from '../cache/response-cache';
import type { Logger } from '../config/logger';
import { CriterionSource, CycleStatus, Role, ScoreRound, UnitKind } from '../entities/enums';
import { AppError } from '../errors/app-error';
import type { ResultsService } from '../results/results.service';
import type { RecomputeScheduler } from '../results/recompute-scheduler';
import type { Framework, FrameworkService, FrameworkNode } from '../services/framework.service';
import { leavesOf } from '../services/framework.service';
import { closedFor, closedRoundMessage } from '../appraisal/round-windows';
import { requireText } from '../util/validate';
import { adjustmentProblem, type CellProblem, notANumber, numberIn, pointsProblem } from './appraisal-rules';
import {
  APPRAISAL_SHEET, cellName, COL, FORMAT_ID, frameworkFingerprint, layoutOf, META_ROWS, META_SHEET, ROW, type SheetLayout,
} from './appraisal-sheet';
import { DocumentError } from './document-error';
import { DOCUMENT_LIMITS } from './limits';
import type { Params } from './params';
import { readUpload } from './upload';
import { guardXlsx } from './xlsx-guard';

/** One error of an import: the sheet and cell at fault, and what is allowed, in Vietnamese and English. */
export interface ImportError { sheet: string | null; cell: string | null; message: string; vi: string; en: string }

export interface ImportAnswer { status: number; body: Record<string, unknown> }

/**
 * How an import is audited (API.md, "Audit history": every accepted
 * mutation and upload writes in the same transaction as its change). An
 * import writes the entries the equivalent submitExpertScores calls would:
 * one per unit it changes, operation "submitExpertScores", with the values
 * it changed before and after, as the token that uploaded it.
 */
export interface AuditHook {
  record(tx: EntityManager, entries: AuditEntryDraft[]): Promise<void>;
}
export interface AuditEntryDraft {
  actor: string; role: Role; operation: 'submitExpertScores'; unitCode: string; year: number; target: string;
  before: Record<string, unknown>; after: Record<string, unknown>;
}
/** The audit history (src/audit): each draft one entry. */
export const RECORD_AUDIT: AuditHook = {
  async record(tx, entries) {
    for (const { actor, role, ...change } of entries) await withAuditActor({ actor, role }, () => recordAudit(tx, change));
  },
};

/** A unit's row of the sheet, validated. */
interface PlannedUnit {
  unitId: number; unitCode: string; row: number;
  scores: { criterionId: number; code: string; points: string | null; notApplicable: boolean }[];
  bonus: string | null; penalty: string | null;
}

interface Plan { year: number; unitKind: UnitKind; fingerprint: string; units: PlannedUnit[] }

type CellValue = string | number | boolean | Date | null | { error: string };
interface SheetData { name: string; rows: Map<number, CellValue[]> }

/** A cell's value as the sheet shows it: a formula's result, rich text's text. */
function plain(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  const o = v as { result?: unknown; richText?: { text: string }[]; text?: string; error?: string; formula?: string; sharedFormula?: string };
  if (o.richText) return o.richText.map((r) => r.text).join('');
  if ('formula' in o || 'sharedFormula' in o) return plain(o.result);
  if (o.error) return { error: o.error };
  if (typeof o.text === 'string') return o.text;
  return String(v);
}

/** Every sheet's cells, read with exceljs' streaming reader (the guard has bounded what it may hold). */
async function readSheets(file: Buffer): Promise<SheetData[]> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([file]), {
    sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit', entries: 'ignore',
  });
  const sheets: SheetData[] = [];
  for await (const ws of reader) {
    const sheet: SheetData = { name: (ws as unknown as { name: string }).name, rows: new Map() };
    for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
      const values = (row.values as unknown[]).map(plain);
      if (values.length > DOCUMENT_LIMITS.maxSheetColumns + 1) values.length = DOCUMENT_LIMITS.maxSheetColumns + 1;
      sheet.rows.set(row.number, values);
    }
    sheets.push(sheet);
  }
  return sheets;
}

const problemError = (sheet: string | null, cell: string | null, p: CellProblem): ImportError => {
  const where = cell ? { vi: `Ô ${cell}${sheet ? ` (trang "${sheet}")` : ''}: `, en: `Cell ${cell}${sheet ? ` of sheet "${sheet}"` : ''}: ` } : { vi: '', en: '' };
  const vi = `${where.vi}${p.vi}`;
  const en = `${where.en}${p.en}`;
  return { sheet, cell, message: `${vi} — ${en}`, vi, en };
};

/**
 * Applies a validated sheet in one transaction (or only says what would
 * change, on a dry run). The rules are submitExpertScores' (its
 * validation functions, its upserts), for many units at once: the
 * mutation's service (src/results/expert-score.service.ts) stores one unit
 * per transaction, and an import is all or nothing.
 */
export class AppraisalImportService {
  constructor(
    private readonly db: DataSource,
    private readonly frameworks: FrameworkService,
    private readonly results: ResultsService,
    private readonly recompute: RecomputeScheduler,
    private readonly logger: Logger,
    private readonly audit: AuditHook = RECORD_AUDIT,
  ) {}

  /** The sheets checked against the framework and the method, every error with its cell; no plan when any. */
  async validate(sheets: SheetData[]): Promise<{ plan: Plan | null; errors: ImportError[] }> {
    const errors: ImportError[] = [];
    const fail = (sheet: string | null, cell: string | null, vi: string, en: string) => {
      errors.push(problemError(sheet, cell, { vi, en }));
      return { plan: null, errors };
    };
    const meta = sheets.find((s) => s.name === META_SHEET);
    const download = '/templates/appraisal.xlsx?year=…&unitKind=…';
    if (!meta) {
      return fail(META_SHEET, 'A1', `không phải phiếu thẩm định do hệ thống tạo (thiếu trang ẩn "${META_SHEET}"); hãy tải mẫu tại ${download}`,
        `this is not an appraisal sheet made by the service (its hidden sheet "${META_SHEET}" is missing); download the template from ${download}`);
    }
    const metaValue = (row: number) => meta.rows.get(row)?.[2] ?? null;
    if (metaValue(META_ROWS.format) !== FORMAT_ID) {
      return fail(META_SHEET, cellName(META_ROWS.format, 2), `phiếu không đúng định dạng ${FORMAT_ID}; hãy tải lại mẫu`, `the sheet is not of the format ${FORMAT_ID}; download the template again`);
    }
    const year = Number(metaValue(META_ROWS.year));
    const unitKind = String(metaValue(META_ROWS.unitKind)) as UnitKind;
    if (!Number.isInteger(year) || year < 2000 || year > 2100) {
      return fail(META_SHEET, cellName(META_ROWS.year, 2), 'năm của phiếu bị hỏng; hãy tải lại mẫu', "the sheet's year is damaged; download the template again");
    }
    if (!Object.values(UnitKind).includes(unitKind)) {
      return fail(META_SHEET, cellName(META_ROWS.unitKind, 2), 'loại đơn vị của phiếu bị hỏng; hãy tải lại mẫu', "the sheet's unit kind is damaged; download the template again");
    }
    const framework = await this.frameworks.find(year, unitKind);
    if (!framework) {
      return fail(META_SHEET, cellName(META_ROWS.year, 2), `chưa có khung chỉ số năm ${year} cho ${unitKind}`, `no framework is defined for ${year} and ${unitKind}`);
    }
    const fingerprint = frameworkFingerprint(framework, year, unitKind);
    if (metaValue(META_ROWS.fingerprint) !== fingerprint) {
      return fail(META_SHEET, cellName(META_ROWS.fingerprint, 2),
        `phiếu được tạo cho một khung chỉ số khác của năm ${year} (tiêu chí hoặc điểm tối đa đã thay đổi từ khi tải mẫu); hãy tải lại mẫu và chép điểm sang`,
        `the sheet was made for another framework of ${year} ${unitKind} (criteria or maxima have changed since it was downloaded); download the template again and copy the points over`);
    }
    const data = sheets.find((s) => s.name === APPRAISAL_SHEET) ?? sheets.find((s) => s.name !== META_SHEET);
    if (!data) return fail(APPRAISAL_SHEET, 'A1', `không có trang "${APPRAISAL_SHEET}"`, `there is no sheet "${APPRAISAL_SHEET}"`);
    const layout = layoutOf(framework);
    const header = data.rows.get(ROW.codes) ?? [];
    const expected = (col: number) => (col < COL.firstLeaf + layout.leaves.length ? layout.leaves[col - COL.firstLeaf].code : null);
    for (let col = COL.firstLeaf; col < layout.notApplicableCol; col++) {
      const found = header[col];
      if (found !== expected(col)) {
        fail(data.name, cellName(ROW.codes, col),
          `cột này phải là tiêu chí ${expected(col)} (thứ tự cột của mẫu); không chèn, xoá hay đổi chỗ các cột`,
          `this column must be criterion ${expected(col)} (the template's column order); do not insert, delete or move columns`);
      }
    }
    if (errors.length > 0) return { plan: null, errors };
    const units = await this.planUnits(data, framework, layout, unitKind, errors);
    return { plan: errors.length === 0 ? { year, unitKind, fingerprint, units } : null, errors };
  }

  private async planUnits(data: SheetData, framework: Framework, layout: SheetLayout, unitKind: UnitKind, errors: ImportError[]): Promise<PlannedUnit[]> {
    const sheet = data.name;
    const err = (cell: string, p: CellProblem) => { errors.push(problemError(sheet, cell, p)); };
    const allLeaves = new Map(leavesOf(framework).map(({ node }) => [node.code, node]));
    const rows = [...data.rows.entries()].filter(([n]) => n >= ROW.firstData).sort((a, b) => a[0] - b[0]);
    const codes = rows.map(([, v]) => v[COL.unitCode]).filter((c): c is string => typeof c === 'string').map((c) => c.trim());
    const found: { id: number; code: string; kind: UnitKind }[] = codes.length === 0 ? []
      : await this.db.query('SELECT id, code, kind FROM unit WHERE code = ANY($1::varchar[])', [codes]);
    const unitByCode = new Map(found.map((u) => [u.code, u]));
    const seen = new Map<string, number>();
    const planned: PlannedUnit[] = [];
    const maxBonus = String(framework.cycle.maxBonus);
    const maxPenalty = String(framework.cycle.maxPenalty);

    for (const [r, values] of rows) {
      const leafValues = layout.leaves.map((_, i) => values[COL.firstLeaf + i] ?? null);
      const na = values[layout.notApplicableCol] ?? null;
      const bonusCell = values[layout.bonusCol] ?? null;
      const penaltyCell = values[layout.penaltyCol] ?? null;
      const rawCode = values[COL.unitCode];
      const hasEntries = leafValues.some((v) => v !== null && v !== '') || (na !== null && na !== '') || bonusCell !== null || penaltyCell !== null;
      const code = typeof rawCode === 'string' ? rawCode.trim() : rawCode === null || rawCode === undefined ? '' : String(rawCode);
      if (code === '') {
        if (hasEntries) err(cellName(r, COL.unitCode), { vi: 'dòng có điểm nhưng không có mã đơn vị; cho phép: mã một đơn vị của phiếu', en: 'the row has points but no unit code; allowed: the code of a unit of the sheet' });
        continue;
      }
      const unit = unitByCode.get(code);
      if (!unit) {
        err(cellName(r, COL.unitCode), { vi: `"${code.slice(0, 64)}" không phải mã đơn vị nào; cho phép: mã một đơn vị ${unitKind}`, en: `"${code.slice(0, 64)}" is not the code of any unit; allowed: the code of a ${unitKind} unit` });
        continue;
      }
      if (unit.kind !== unitKind) {
        err(cellName(r, COL.unitCode), { vi: `đơn vị ${code} thuộc loại ${unit.kind}, phiếu này dành cho ${unitKind}`, en: `unit ${code} is a ${unit.kind}; this sheet is for ${unitKind} units` });
        continue;
      }
      const earlier = seen.get(code);
      if (earlier !== undefined) {
        err(cellName(r, COL.unitCode), { vi: `đơn vị ${code} đã có ở dòng ${earlier}; mỗi đơn vị một dòng`, en: `unit ${code} already has row ${earlier}; one row per unit` });
        continue;
      }
      seen.set(code, r);
      if (!hasEntries) continue;

      // Not applicable: criterion codes separated by ; (or , or spaces).
      const notApplicable = new Set<string>();
      if (na !== null && na !== '') {
        const naCell = cellName(r, layout.notApplicableCol);
        for (const c of String(typeof na === 'object' && !(na instanceof Date) ? '' : na).split(/[;,\s]+/).map((s) => s.trim()).filter(Boolean)) {
          const leaf = allLeaves.get(c);
          if (!leaf) {
            err(naCell, { vi: `"${c.slice(0, 64)}" không phải mã tiêu chí của khung; cho phép: mã các tiêu chí thẩm định ở hàng ${ROW.codes}, cách nhau bởi dấu ;`, en: `"${c.slice(0, 64)}" is not a criterion code of the framework; allowed: the EXPERT criterion codes of row ${ROW.codes}, separated by ;` });
          } else if (leaf.source !== CriterionSource.EXPERT) {
            err(naCell, { vi: `tiêu chí ${c} chấm bằng khảo sát người dân, không do hội đồng; cho phép: mã các tiêu chí thẩm định`, en: `criterion ${c} is a SURVEY leaf: its points come from citizen surveys, not from the panel; allowed: EXPERT criterion codes` });
          } else notApplicable.add(c);
        }
      }
      const scores: PlannedUnit['scores'] = [];
      layout.leaves.forEach((leaf: FrameworkNode, i) => {
        const col = COL.firstLeaf + i;
        const cell = cellName(r, col);
        const parsed = numberIn(leafValues[i]);
        if ('problem' in parsed) {
          err(cell, notANumber(parsed.shown, { vi: `điểm tiêu chí ${leaf.code}`, en: `points of criterion ${leaf.code}` }, leaf.maxPoints));
          return;
        }
        if (notApplicable.has(leaf.code)) {
          if (parsed.value !== null) {
            err(cell, { vi: `tiêu chí ${leaf.code} được ghi "không áp dụng" nhưng lại có điểm; cho phép: một trong hai`, en: `criterion ${leaf.code} is listed as not applicable and also given points; allowed: one or the other` });
            return;
          }
          scores.push({ criterionId: leaf.id, code: leaf.code, points: null, notApplicable: true });
          return;
        }
        if (parsed.value === null) return;
        const problem = pointsProblem(parsed.value, leaf.maxPoints, leaf.code);
        if (problem) err(cell, problem);
        else scores.push({ criterionId: leaf.id, code: leaf.code, points: parsed.value, notApplicable: false });
      });
      const adjustment = (kind: 'bonus' | 'penalty', v: CellValue, col: number, cap: string): string | null => {
        const parsed = numberIn(v);
        if ('problem' in parsed) {
          err(cellName(r, col), notANumber(parsed.shown, kind === 'bonus' ? { vi: 'điểm thưởng', en: 'bonus' } : { vi: 'điểm trừ', en: 'penalty' }, cap));
          return null;
        }
        if (parsed.value === null) return null;
        const problem = adjustmentProblem(kind, parsed.value, cap);
        if (problem) err(cellName(r, col), problem);
        return problem ? null : parsed.value;
      };
      const bonus = adjustment('bonus', bonusCell, layout.bonusCol, maxBonus);
      const penalty = adjustment('penalty', penaltyCell, layout.penaltyCol, maxPenalty);
      planned.push({ unitId: unit.id, unitCode: code, row: r, scores, bonus, penalty });
    }
    return planned;
  }

  /**
   * Stores the plan in one transaction (nothing on a dry run), then
   * recomputes the cycle once. Refused whole (CONFLICT) when the cycle is
   * DRAFT or PUBLISHED, or its framework changed since validation.
   */
  async apply(plan: Plan, round: ScoreRound, panelist: string, principal: Extract<Principal, { kind: 'token' }>, dryRun: boolean) {
    const { year, unitKind } = plan;
    const outcome = await this.db.transaction(async (tx) => {
      const [cycle]: { id: number; status: CycleStatus }[] = await tx.query(
        'SELECT id, status FROM cycle WHERE year = $1 AND unit_kind = $2 FOR SHARE', [year, unitKind]);
      if (!cycle) throw new DocumentError(404, 'NOT_FOUND', `No framework is defined for ${year} and ${unitKind}`);
      if (cycle.status === CycleStatus.PUBLISHED) {
        throw new DocumentError(409, 'CONFLICT', `The ${year} ${unitKind} results are published: expert scores can no longer change. Kết quả năm ${year} đã công bố: không thể thay đổi điểm.`);
      }
      if (cycle.status === CycleStatus.DRAFT) {
        throw new DocumentError(409, 'CONFLICT', `The ${year} ${unitKind} cycle is DRAFT: no scores are accepted until it is opened with openCycle(year: ${year}, unitKind: ${unitKind}). Kỳ đánh giá chưa mở.`);
      }
      // Round windows: the rule of submitExpertScores (src/appraisal/round-windows.ts), for every unit of the sheet at once.
      const closed = await closedFor(tx, cycle.id, round, plan.units.map((u) => u.unitId));
      if (closed.length > 0) {
        const unitCode = plan.units.find((u) => u.unitId === closed[0].unitId)!.unitCode;
        const more = closed.length > 1 ? ` (and for ${closed.length - 1} more units of the sheet)` : '';
        throw new DocumentError(409, 'CONFLICT', `${closedRoundMessage(closed[0], { year, unitKind }, round, unitCode)}${more}. Ngoài thời hạn của vòng chấm điểm.`, 'round');
      }
      const framework = await this.frameworks.loadById(tx, cycle.id);
      if (frameworkFingerprint(framework, year, unitKind) !== plan.fingerprint) {
        throw new DocumentError(409, 'CONFLICT', `The ${year} ${unitKind} framework changed while the sheet was being imported; download the template again. Khung chỉ số vừa thay đổi.`);
      }
      const unitIds = plan.units.map((u) => u.unitId);
      const before: { unit_id: number; criterion_id: number; points: string | null; not_applicable: boolean }[] = unitIds.length === 0 ? [] : await tx.query(
        `SELECT s.unit_id, s.criterion_id, s.points::text AS points, s.not_applicable
           FROM expert_score s JOIN criterion c ON c.id = s.criterion_id
          WHERE c.cycle_id = $1 AND s.round = $2 AND s.panelist = $3 AND s.unit_id = ANY($4::int[])`,
        [cycle.id, round, panelist, unitIds]);
      const beforeAdj: { unit_id: number; bonus: string | null; penalty: string | null }[] = unitIds.length === 0 ? [] : await tx.query(
        `SELECT unit_id, bonus::text AS bonus, penalty::text AS penalty FROM score_adjustment
          WHERE cycle_id = $1 AND round = $2 AND panelist = $3 AND unit_id = ANY($4::int[])`, [cycle.id, round, panelist, unitIds]);
      const had = new Map(before.map((b) => [`${b.unit_id}:${b.criterion_id}`, b]));
      const hadAdj = new Map(beforeAdj.map((b) => [b.unit_id, b]));
      const same = (a: string | null | undefined, b: string | null) => (a == null ? b === null : b !== null && Number(a) === Number(b));
      const counts = { new: 0, changed: 0, unchanged: 0 };
      const changes: { unitCode: string; criterionCode: string; before: string | null; after: string }[] = [];
      const audit: AuditEntryDraft[] = [];
      const show = (points: string | null, na: boolean) => (na ? 'N/A' : points === null ? null : String(Number(points)));
      for (const u of plan.units) {
        const beforeValues: Record<string, unknown> = {};
        const afterValues: Record<string, unknown> = {};
        for (const s of u.scores) {
          const old = had.get(`${u.unitId}:${s.criterionId}`);
          const kind = !old ? 'new' : same(old.points, s.points) && old.not_applicable === s.notApplicable ? 'unchanged' : 'changed';
          counts[kind]++;
          if (kind === 'unchanged') continue;
          const was = old ? show(old.points, old.not_applicable) : null;
          const now = show(s.points, s.notApplicable)!;
          if (changes.length < DOCUMENT_LIMITS.maxChangesListed) changes.push({ unitCode: u.unitCode, criterionCode: s.code, before: was, after: now });
          beforeValues[s.code] = was;
          afterValues[s.code] = now;
        }
        const oldAdj = hadAdj.get(u.unitId);
        for (const kind of ['bonus', 'penalty'] as const) {
          const value = u[kind];
          if (value === null) continue;
          const was = oldAdj?.[kind] ?? null;
          const k = was === null ? 'new' : same(was, value) ? 'unchanged' : 'changed';
          counts[k]++;
          if (k === 'unchanged') continue;
          if (changes.length < DOCUMENT_LIMITS.maxChangesListed) changes.push({ unitCode: u.unitCode, criterionCode: kind, before: was === null ? null : String(Number(was)), after: String(Number(value)) });
          beforeValues[kind] = was === null ? null : Number(was);
          afterValues[kind] = Number(value);
        }
        if (Object.keys(afterValues).length > 0) {
          audit.push({ actor: principal.name, role: principal.role, operation: 'submitExpertScores', unitCode: u.unitCode, year,
            target: `${round}/${panelist}`, before: beforeValues, after: afterValues });
        }
      }
      if (!dryRun) {
        const scoreRows = plan.units.flatMap((u) => u.scores.map((s) => ({ unitId: u.unitId, ...s })));
        if (scoreRows.length > 0) {
          // submitExpertScores' upsert, for every unit at once. A note typed elsewhere is kept: the sheet has no notes.
          await tx.query(
            `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, not_applicable, note, updated_at, entered_at, entered_by)
             SELECT t.unit_id, t.criterion_id, $1::score_round, $2, t.points, t.not_applicable, NULL, now(), now(), $7
               FROM unnest($3::int[], $4::int[], $5::numeric[], $6::boolean[]) AS t(unit_id, criterion_id, points, not_applicable)
             ON CONFLICT (unit_id, criterion_id, round, panelist) DO UPDATE SET
               points = excluded.points, not_applicable = excluded.not_applicable, updated_at = now(),
               entered_at = now(), entered_by = excluded.entered_by`,
            [round, panelist, scoreRows.map((r) => r.unitId), scoreRows.map((r) => r.criterionId), scoreRows.map((r) => r.points), scoreRows.map((r) => r.notApplicable),
              principal.name]);
        }
        const adjRows = plan.units.filter((u) => u.bonus !== null || u.penalty !== null);
        if (adjRows.length > 0) {
          await tx.query(
            `INSERT INTO score_adjustment (unit_id, cycle_id, round, panelist, bonus, penalty, updated_at)
             SELECT t.unit_id, $1, $2::score_round, $3, t.bonus, t.penalty, now()
               FROM unnest($4::int[], $5::numeric[], $6::numeric[]) AS t(unit_id, bonus, penalty)
             ON CONFLICT (unit_id, cycle_id, round, panelist) DO UPDATE SET
               bonus = COALESCE(excluded.bonus, score_adjustment.bonus),
               penalty = COALESCE(excluded.penalty, score_adjustment.penalty), updated_at = now()`,
            [cycle.id, round, panelist, adjRows.map((u) => u.unitId), adjRows.map((u) => u.bonus), adjRows.map((u) => u.penalty)]);
        }
        await this.audit.record(tx, audit);
      }
      return { cycleId: cycle.id, counts, changes };
    });
    let stale = false;
    if (!dryRun && plan.units.length > 0) {
      // As submitExpertScores: committed first, then the cycle recomputed once; a failure leaves the scheduler to catch up.
      try {
        await this.results.recompute(outcome.cycleId);
      } catch (e) {
        stale = true;
        this.logger.error('recomputation after an appraisal import failed; the scheduler retries it', { year, unitKind, error: String((e as Error)?.stack ?? e) });
        this.recompute.markDirty(year, unitKind);
      }
    }
    return { ...outcome, stale };
  }
}

/**
 * POST /import/appraisal?round=&dryRun=: who may import, the upload's
 * bounds and type, then validation and the transaction. Every answer is
 * JSON `{applied, errors: [{sheet, cell, message}]}` (API.md), with counts
 * and the time taken.
 */
export class AppraisalImport {
  constructor(private readonly service: AppraisalImportService, private readonly invalidate?: (change: CacheChange) => void | Promise<void>) {}

  async handle(req: http.IncomingMessage, params: Params, principalOf: () => Promise<Principal | null>): Promise<ImportAnswer> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const refusal = (e: DocumentError): ImportAnswer => ({
      status: e.status,
      body: { applied: 0, errors: [{ sheet: null, cell: null, message: e.message, code: e.code, ...(e.field ? { field: e.field } : {}) }], ms: ms() },
    });
    try {
      const principal = await principalOf();
      if (!principal) throw new DocumentError(401, 'UNAUTHENTICATED', 'Importing scores needs an APPRAISER or ADMIN token (Authorization: Bearer …)');
      if (principal.kind !== 'token' || (principal.role !== Role.APPRAISER && principal.role !== Role.ADMIN)) {
        throw new DocumentError(403, 'FORBIDDEN', `Only APPRAISER and ADMIN tokens may import scores, not ${principal.role}`);
      }
      const round = params.round();
      const dryRun = params.bool('dryRun');
      if (principal.role === Role.APPRAISER && round === ScoreRound.SELF_ASSESSMENT) {
        throw new DocumentError(403, 'FORBIDDEN', 'An APPRAISER imports the rounds APPRAISAL and REAPPRAISAL only; SELF_ASSESSMENT is the unit\'s own');
      }
      const upload = await readUpload(req, DOCUMENT_LIMITS.maxUploadBytes);
      const given = upload.fields.panelist?.trim() || null;
      let panelist: string;
      if (principal.role === Role.APPRAISER) {
        if (given !== null && given !== principal.name) {
          throw new DocumentError(403, 'FORBIDDEN', `An APPRAISER signs only their own scores: panelist must be "${principal.name}" (the token's name) or left out`, 'panelist');
        }
        panelist = principal.name;
      } else {
        if (given === null) throw new DocumentError(400, 'BAD_USER_INPUT', 'An ADMIN import names the panelist whose scores the sheet holds: add the form field "panelist"', 'panelist');
        // The rules of submitExpertScores's panelist: at most 200 characters, no control character, visible.
        try {
          panelist = requireText('panelist', given, 200);
        } catch (e) {
          if (e instanceof AppError) throw new DocumentError(400, 'BAD_USER_INPUT', e.message, 'panelist');
          throw e;
        }
      }
      await guardXlsx(upload.file, DOCUMENT_LIMITS);
      let sheets: SheetData[];
      try {
        sheets = await readSheets(upload.file);
      } catch {
        throw new DocumentError(415, 'BAD_USER_INPUT', 'The workbook cannot be read as .xlsx (damaged, or saved in another format). Tệp không đọc được.', 'file');
      }
      const { plan, errors } = await this.service.validate(sheets);
      if (!plan) {
        return {
          status: 400,
          body: { applied: 0, errorCount: errors.length, errors: errors.slice(0, DOCUMENT_LIMITS.maxErrorsListed), ms: ms() },
        };
      }
      const result = await this.service.apply(plan, round, panelist, principal, dryRun);
      // Awaited: with several instances the change reaches every one before the answer (src/shared-state).
      if (!dryRun && plan.units.length > 0) await this.invalidate?.({ years: new Set([plan.year, plan.year + 1]) });
      const scores = plan.units.reduce((n, u) => n + u.scores.length, 0);
      return {
        status: 200,
        body: {
          applied: dryRun ? 0 : plan.units.length, dryRun, errors: [],
          year: plan.year, unitKind: plan.unitKind, round, panelist,
          units: plan.units.length, scores, adjustments: plan.units.reduce((n, u) => n + (u.bonus !== null ? 1 : 0) + (u.penalty !== null ? 1 : 0), 0),
          changes: result.counts, changed: result.changes, stale: result.stale, ms: ms(),
        },
      };
    } catch (e) {
      if (e instanceof DocumentError) return refusal(e);
      throw e;
    }
  }
}

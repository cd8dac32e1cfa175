import type { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import { recordAudit } from '../audit';
import { Role, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { existsIn, yearsText } from '../services/unit-years';
import { quoted } from '../util/text';
import { requireCode, requireText, requireYear } from '../util/validate';
import { readsAll, requireRole, unitOfToken } from './access';
import { EVIDENCE_COLUMNS, isUuid, requireLeaf, type EvidenceRow } from './evidence.service';
import { vietnamTime } from './window';

export enum ExplanationStatus { OPEN = 'OPEN', ANSWERED = 'ANSWERED', CLOSED = 'CLOSED', OVERDUE = 'OVERDUE' }

export interface ExplanationRow {
  id: string;
  dbId: number;
  unitId: number;
  unitCode: string;
  year: number;
  criterionCode: string;
  question: string;
  dueAt: Date;
  status: ExplanationStatus;
  answer: string | null;
  answeredAt: Date | null;
  resolution: string | null;
  requestedBy: string;
  evidence: EvidenceRow[];
}

export interface RequestExplanationData { year: number; unitCode: string; criterionCode: string; question: string; dueAt: Date }

export interface ExplanationFilter { year: number; unitKind?: UnitKind | null; unitCode?: string | null; status?: ExplanationStatus | null }

/** The status, read at the moment of the statement: CLOSED, else ANSWERED, else OVERDUE past the due date, else OPEN. */
const STATUS_SQL = `CASE WHEN r.closed_at IS NOT NULL THEN 'CLOSED' WHEN r.answered_at IS NOT NULL THEN 'ANSWERED'
  WHEN r.due_at <= now() THEN 'OVERDUE' ELSE 'OPEN' END`;
const COLUMNS = `r.public_id AS id, r.id AS "dbId", r.unit_id AS "unitId", u.code AS "unitCode", r.year, c.code AS "criterionCode",
  r.question, r.due_at AS "dueAt", ${STATUS_SQL} AS status, r.answer, r.answered_at AS "answeredAt", r.resolution, r.requested_by AS "requestedBy"`;
const FROM = `explanation_request r JOIN unit u ON u.id = r.unit_id JOIN criterion c ON c.id = r.criterion_id`;

const MAX_QUESTION = 4000;
const MAX_ANSWER = 10000;
const MAX_EVIDENCE_IDS = 50;

/**
 * Explanation requests ("giải trình", DOMAIN.md "The year around the
 * figures"): an appraiser asks a unit about a leaf by a due date, the unit
 * answers (text and its evidence files of that leaf) before it, an
 * appraiser closes it with a resolution. Each change is one transaction
 * with its audit entry; a refusal leaves nothing.
 */
export class ExplanationService {
  constructor(private readonly db: DataSource) {}

  /**
   * The requests of a year the caller may see, by due date: every unit's
   * for APPRAISER, ANALYST and ADMIN, its own for a UNIT token; nothing for
   * anyone else (what a caller may not see reads as absent).
   */
  async list(principal: Principal | null, filter: ExplanationFilter): Promise<ExplanationRow[]> {
    const year = requireYear('year', filter.year);
    const unitCode = filter.unitCode == null ? null : requireCode('unitCode', filter.unitCode);
    const own = unitOfToken(principal);
    if (!readsAll(principal) && own === null) return [];
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM ${FROM}
        WHERE r.year = $1 AND ($2::int IS NULL OR r.unit_id = $2) AND ($3::text IS NULL OR u.code = $3)
          AND ($4::unit_kind IS NULL OR u.kind = $4) AND ($5::text IS NULL OR ${STATUS_SQL} = $5)
        ORDER BY r.due_at, r.id`,
      [year, own, unitCode, filter.unitKind ?? null, filter.status ?? null]) as ExplanationRow[];
    return this.withEvidence(rows);
  }

  /** APPRAISER, ADMIN: asks a unit about a leaf of that year's framework for its kind, due in the future. */
  async request(principal: Principal | null, data: RequestExplanationData): Promise<ExplanationRow> {
    const caller = requireRole(principal, 'requestExplanation', [Role.APPRAISER, Role.ADMIN]);
    const year = requireYear('input.year', data.year);
    const unitCode = requireCode('input.unitCode', data.unitCode);
    const criterionCode = requireCode('input.criterionCode', data.criterionCode);
    const question = requireText('input.question', data.question, MAX_QUESTION);
    const dueAt = data.dueAt;
    if (!(dueAt instanceof Date) || Number.isNaN(dueAt.getTime())) throw invalid('input.dueAt', 'input.dueAt must be a date and time with an offset, e.g. 2026-06-30T17:00:00+07:00');
    if (dueAt.getTime() <= Date.now()) throw invalid('input.dueAt', `input.dueAt ${vietnamTime(dueAt)} has passed; give a due date in the future`);
    return this.db.transaction(async (tx) => {
      const [unit] = await tx.query('SELECT id, code, kind, first_year AS "firstYear", last_year AS "lastYear" FROM unit WHERE code = $1', [unitCode]) as
        { id: number; code: string; kind: UnitKind; firstYear: number; lastYear: number | null }[];
      if (!unit) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `input.unitCode: no unit has the code ${quoted(unitCode)}`, 'input.unitCode');
      if (!existsIn(unit, year)) throw new AppError(ErrorCode.UNIT_NOT_IN_YEAR, `input.unitCode: ${unit.code} does not exist in ${year} (its years are ${yearsText(unit)})`, 'input.unitCode');
      const [cycle] = await tx.query('SELECT id FROM cycle WHERE year = $1 AND unit_kind = $2 FOR SHARE', [year, unit.kind]) as { id: number }[];
      if (!cycle) throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `input.year: no framework is defined for ${year} and ${unit.kind} (the kind of unit ${unit.code})`, 'input.year');
      const criterion = await requireLeaf(tx, cycle.id, criterionCode, 'input.criterionCode', `the ${year} ${unit.kind} framework`);
      const [{ id }] = await tx.query(
        `INSERT INTO explanation_request (unit_id, year, criterion_id, question, due_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [unit.id, year, criterion.id, question, dueAt, caller.name]) as { id: number }[];
      const row = await this.read(tx, id);
      await recordAudit(tx, { operation: 'requestExplanation', unitCode: unit.code, year, target: `explanationRequest ${row.id}`, before: null, after: auditView(row) });
      return row;
    });
  }

  /**
   * The UNIT token of the request's unit answers it before its due date
   * (after it: CONFLICT), with its own evidence files of the same leaf and
   * year. An answer may be replaced until the due date or the close.
   */
  async answer(principal: Principal | null, id: string, answerText: string, evidenceIds: readonly string[] | null): Promise<ExplanationRow> {
    requireRole(principal, 'answerExplanation', [Role.UNIT]);
    const own = unitOfToken(principal);
    const answer = requireText('answer', answerText, MAX_ANSWER);
    const ids = [...new Set(evidenceIds ?? [])];
    if (ids.length > MAX_EVIDENCE_IDS) throw invalid('evidenceIds', `evidenceIds holds ${ids.length} files; at most ${MAX_EVIDENCE_IDS} are allowed`);
    return this.db.transaction(async (tx) => {
      const request = await this.lockVisible(tx, id, own);
      if (request.closed) throw new AppError(ErrorCode.EXPLANATION_STATE, `id: the explanation request ${request.id} is CLOSED; it takes no answer`, 'id');
      if (request.late) {
        throw new AppError(ErrorCode.EXPLANATION_STATE, `id: the explanation request ${request.id} was due at ${vietnamTime(request.dueAt)}; answers after the due date are refused`, 'id');
      }
      const evidence: number[] = [];
      for (const [i, evidenceId] of (evidenceIds ?? []).entries()) {
        const field = `evidenceIds[${i}]`;
        const [file] = isUuid(evidenceId)
          ? await tx.query('SELECT id, unit_id AS "unitId", criterion_id AS "criterionId" FROM evidence WHERE public_id = $1', [evidenceId]) as { id: number; unitId: number; criterionId: number }[]
          : [];
        if (!file || file.unitId !== request.unitId) throw invalid(field, `${field}: ${quoted(evidenceId)} is not an evidence file of this unit`);
        if (file.criterionId !== request.criterionId) throw invalid(field, `${field}: ${quoted(evidenceId)} is evidence for another criterion; an answer points to evidence for ${request.criterionCode}`);
        if (!evidence.includes(file.id)) evidence.push(file.id);
      }
      const before = await this.read(tx, request.dbId);
      await tx.query(`UPDATE explanation_request SET answer = $2, answered_at = now(), answered_by = $3 WHERE id = $1`, [request.dbId, answer, principal!.name]);
      await tx.query('DELETE FROM explanation_request_evidence WHERE request_id = $1', [request.dbId]);
      if (evidence.length > 0) {
        await tx.query('INSERT INTO explanation_request_evidence (request_id, evidence_id) SELECT $1, unnest($2::int[])', [request.dbId, evidence]);
      }
      const row = await this.read(tx, request.dbId);
      await recordAudit(tx, { operation: 'answerExplanation', unitCode: row.unitCode, year: row.year, target: `explanationRequest ${row.id}`, before: auditView(before), after: auditView(row) });
      return row;
    });
  }

  /** APPRAISER, ADMIN: closes a request with a resolution, answered or not; a closed one stays closed (CONFLICT). */
  async close(principal: Principal | null, id: string, resolutionText: string): Promise<ExplanationRow> {
    requireRole(principal, 'closeExplanation', [Role.APPRAISER, Role.ADMIN]);
    const resolution = requireText('resolution', resolutionText, MAX_QUESTION);
    return this.db.transaction(async (tx) => {
      const request = await this.lockVisible(tx, id, null);
      if (request.closed) throw new AppError(ErrorCode.EXPLANATION_STATE, `id: the explanation request ${request.id} is already CLOSED`, 'id');
      const before = await this.read(tx, request.dbId);
      await tx.query('UPDATE explanation_request SET resolution = $2, closed_at = now(), closed_by = $3 WHERE id = $1', [request.dbId, resolution, principal!.name]);
      const row = await this.read(tx, request.dbId);
      await recordAudit(tx, { operation: 'closeExplanation', unitCode: row.unitCode, year: row.year, target: `explanationRequest ${row.id}`, before: auditView(before), after: auditView(row) });
      return row;
    });
  }

  /** The request locked for a change; NOT_FOUND when absent or, for a UNIT token (`own`), another unit's. */
  private async lockVisible(tx: DataSource['manager'], id: string, own: number | null) {
    const [request] = isUuid(id)
      ? await tx.query(
        `SELECT r.public_id AS id, r.id AS "dbId", r.unit_id AS "unitId", r.criterion_id AS "criterionId", c.code AS "criterionCode",
                r.due_at AS "dueAt", r.closed_at IS NOT NULL AS closed, r.due_at <= now() AS late
           FROM explanation_request r JOIN criterion c ON c.id = r.criterion_id WHERE r.public_id = $1 FOR UPDATE OF r`, [id]) as
        { id: string; dbId: number; unitId: number; criterionId: number; criterionCode: string; dueAt: Date; closed: boolean; late: boolean }[]
      : [];
    if (!request || (own !== null && request.unitId !== own)) {
      throw new AppError(ErrorCode.EXPLANATION_REQUEST_NOT_FOUND, `id: no explanation request ${quoted(id)}${own !== null ? ' addressed to this token\'s unit' : ''}`, 'id');
    }
    return request;
  }

  private async read(tx: DataSource['manager'], dbId: number): Promise<ExplanationRow> {
    const rows = await tx.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.id = $1`, [dbId]) as ExplanationRow[];
    return (await this.withEvidence(rows, tx))[0];
  }

  /** Each request's evidence files, read in one statement for the whole list. */
  private async withEvidence(rows: ExplanationRow[], tx: DataSource['manager'] = this.db.manager): Promise<ExplanationRow[]> {
    if (rows.length === 0) return rows;
    const files = await tx.query(
      `SELECT l.request_id AS "requestId", ${EVIDENCE_COLUMNS} FROM explanation_request_evidence l JOIN evidence e ON e.id = l.evidence_id
        JOIN criterion c ON c.id = e.criterion_id JOIN evidence_blob b ON b.sha256 = e.sha256
        WHERE l.request_id = ANY($1::int[]) ORDER BY e.uploaded_at, e.id`, [rows.map((r) => r.dbId)]) as (EvidenceRow & { requestId: number })[];
    for (const row of rows) row.evidence = files.filter((f) => f.requestId === row.dbId);
    return rows;
  }
}

/** What the audit keeps of a request. */
function auditView(row: ExplanationRow): Record<string, unknown> {
  return {
    id: row.id, criterionCode: row.criterionCode, question: row.question, dueAt: row.dueAt, status: row.status,
    answer: row.answer, answeredAt: row.answeredAt, evidenceIds: row.evidence.map((e) => e.id), resolution: row.resolution,
  };
}

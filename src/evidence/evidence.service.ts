import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { recordAudit } from '../audit';
import { Role, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { existsIn, yearsText } from '../services/unit-years';
import { nfc, quoted } from '../util/text';
import { requireCode, requireText, requireYear } from '../util/validate';
import { isAdmin, readsUnit, requireRole, unitOfToken } from './access';
import type { EvidenceUpload } from './upload';
import { selfAssessmentWindow } from './window';

/** An evidence file as the API shows it (API.md, "Evidence files"). */
export interface EvidenceRow {
  id: string;
  dbId: number;
  unitId: number;
  year: number;
  criterionCode: string;
  fileName: string;
  contentType: string;
  bytes: number;
  sha256: string;
  note: string | null;
  uploadedAt: Date;
  uploadedBy: string;
  /** How many chunks hold its bytes (evidence_blob.chunks). */
  chunks: number;
}

/** Where an upload goes: a unit's leaf of a year, checked for the caller. */
export interface UploadTarget {
  unit: { id: number; code: string; kind: UnitKind };
  year: number;
  cycleId: number;
  criterion: { id: number; code: string };
  note: string | null;
}

export const EVIDENCE_COLUMNS = `e.public_id AS id, e.id AS "dbId", e.unit_id AS "unitId", e.year, c.code AS "criterionCode",
  e.file_name AS "fileName", e.content_type AS "contentType", e.bytes::int AS bytes, encode(e.sha256, 'hex') AS sha256,
  e.note, e.uploaded_at AS "uploadedAt", e.uploaded_by AS "uploadedBy", b.chunks`;
export const EVIDENCE_FROM = `evidence e JOIN criterion c ON c.id = e.criterion_id JOIN evidence_blob b ON b.sha256 = e.sha256`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string): boolean => UUID.test(id);

const MAX_NOTE = 2000;
const MAX_FILE_NAME = 255;

/**
 * The name a file is kept under: what the client sent, NFC-normalised,
 * without any folder part ("C:\scans\a.pdf" → "a.pdf") or control
 * characters, at most 255 characters. It is shown and sent back in
 * Content-Disposition, never used as a path.
 */
export function cleanFileName(raw: string, contentType: string): string {
  const base = nfc(raw).split(/[\\/]/).pop() ?? '';
  const clean = Array.from(base.replace(/[\u0000-\u001F\u007F]/g, '')).slice(0, MAX_FILE_NAME).join('').trim();
  if (clean !== '' && clean !== '.' && clean !== '..') return clean;
  const ext = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg' }[contentType] ?? 'bin';
  return `evidence.${ext}`;
}

/**
 * Evidence files: who may upload them where, storing their bytes once per
 * content, reading them back one chunk at a time, listing and removing them.
 */
export class EvidenceService {
  constructor(private readonly db: DataSource) {}

  /**
   * Checks an upload's fields and the caller against them: a UNIT token of
   * that unit or ADMIN; the unit existing in the year; the criterion a leaf
   * of that year's framework for the unit's kind; the unit's
   * SELF_ASSESSMENT window open, or an unanswered explanation request on
   * that leaf not yet due. Every refusal names its field.
   */
  async target(principal: Principal | null, fields: Record<string, string | undefined>, tx: EntityManager = this.db.manager): Promise<UploadTarget> {
    requireRole(principal, 'POST /evidence', [Role.UNIT, Role.ADMIN]);
    const year = requireYear('year', parseYear(fields.year));
    if (fields.unitCode === undefined) throw invalid('unitCode', 'The form field unitCode is required (the unit whose evidence this is), before the file');
    if (fields.criterionCode === undefined) throw invalid('criterionCode', 'The form field criterionCode is required (the leaf the evidence is for), before the file');
    const unitCode = requireCode('unitCode', fields.unitCode);
    const criterionCode = requireCode('criterionCode', fields.criterionCode);
    const note = fields.note === undefined || nfc(fields.note) === '' ? null : requireText('note', fields.note, MAX_NOTE);

    const [unit] = await tx.query('SELECT id, code, kind, first_year AS "firstYear", last_year AS "lastYear" FROM unit WHERE code = $1', [unitCode]) as
      { id: number; code: string; kind: UnitKind; firstYear: number; lastYear: number | null }[];
    if (!unit) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `unitCode: no unit has the code ${quoted(unitCode)}`, 'unitCode');
    const own = unitOfToken(principal);
    if (!isAdmin(principal) && own !== unit.id) {
      throw new AppError(ErrorCode.FORBIDDEN, `unitCode: this token uploads evidence for its own unit only, not for ${unit.code}`, 'unitCode');
    }
    if (!existsIn(unit, year)) {
      throw new AppError(ErrorCode.UNIT_NOT_IN_YEAR, `year: ${unit.code} does not exist in ${year} (its years are ${yearsText(unit)})`, 'year');
    }
    const [cycle] = await tx.query('SELECT id FROM cycle WHERE year = $1 AND unit_kind = $2', [year, unit.kind]) as { id: number }[];
    if (!cycle) throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `year: no framework is defined for ${year} and ${unit.kind} (the kind of unit ${unit.code})`, 'year');
    const criterion = await requireLeaf(tx, cycle.id, criterionCode, 'criterionCode', `the ${year} ${unit.kind} framework`);

    const window = await selfAssessmentWindow(tx, { id: cycle.id, year, kind: unit.kind }, unit.id);
    if (!window.open) {
      const [pending] = await tx.query(
        `SELECT 1 FROM explanation_request WHERE unit_id = $1 AND criterion_id = $2 AND answered_at IS NULL AND closed_at IS NULL AND due_at > now() LIMIT 1`,
        [unit.id, criterion.id]);
      if (!pending) {
        throw new AppError(ErrorCode.EVIDENCE_CLOSED,
          `year: no evidence is taken for ${unit.code} ${criterion.code} in ${year} now: ${window.reason}, and ${unit.code} has no unanswered explanation request on ${criterion.code} that is not yet due`, 'year');
      }
    }
    return { unit: { id: unit.id, code: unit.code, kind: unit.kind }, year, cycleId: cycle.id, criterion, note };
  }

  /**
   * Stores an upload whose type was judged (`contentType`): the bytes once
   * per content (skipped when already stored), one evidence row per unit,
   * leaf and content (the same content again answers the first row), and
   * one audit entry for a new row, all in one transaction that checks the
   * caller again. Nothing is stored when any check refuses.
   */
  async store(principal: Principal, upload: EvidenceUpload, contentType: string): Promise<{ row: EvidenceRow; created: boolean }> {
    const sha = Buffer.from(upload.sha256, 'hex');
    return this.db.transaction(async (tx) => {
      const target = await this.target(principal, upload.fields, tx);
      const fileName = cleanFileName(upload.fileName, contentType);
      const [blob] = await tx.query(
        `INSERT INTO evidence_blob (sha256, bytes, chunks, content_type) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING RETURNING 1 AS created`,
        [sha, upload.bytes, upload.chunks.length, contentType]) as { created: number }[];
      if (blob) {
        for (let seq = 0; seq < upload.chunks.length; seq++) {
          await tx.query('INSERT INTO evidence_blob_chunk (sha256, seq, data) VALUES ($1, $2, $3)', [sha, seq, upload.chunks[seq]]);
        }
      }
      const [inserted] = await tx.query(
        `INSERT INTO evidence (unit_id, year, criterion_id, sha256, bytes, content_type, file_name, note, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (unit_id, criterion_id, sha256) DO NOTHING RETURNING id`,
        [target.unit.id, target.year, target.criterion.id, sha, upload.bytes, contentType, fileName, target.note, principal.name]) as { id: number }[];
      const [row] = await tx.query(
        `SELECT ${EVIDENCE_COLUMNS} FROM ${EVIDENCE_FROM} WHERE e.unit_id = $1 AND e.criterion_id = $2 AND e.sha256 = $3`,
        [target.unit.id, target.criterion.id, sha]) as EvidenceRow[];
      if (inserted) {
        await recordAudit(tx, {
          operation: 'uploadEvidence', unitCode: target.unit.code, year: target.year, target: `evidence ${row.id}`,
          before: null, after: auditView(row),
        });
      }
      return { row, created: Boolean(inserted) };
    });
  }

  /** The evidence file with this ID if the caller may read it (the unit itself, APPRAISER, ANALYST, ADMIN); null otherwise. */
  async readable(principal: Principal | null, id: string): Promise<EvidenceRow | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.query(`SELECT ${EVIDENCE_COLUMNS} FROM ${EVIDENCE_FROM} WHERE e.public_id = $1`, [id]) as EvidenceRow[];
    return row && readsUnit(principal, row.unitId) ? row : null;
  }

  /** One chunk of a file's bytes (each read alone: a file is never held whole). */
  async chunk(sha256: string, seq: number): Promise<Buffer> {
    const [row] = await this.db.query('SELECT data FROM evidence_blob_chunk WHERE sha256 = $1 AND seq = $2', [Buffer.from(sha256, 'hex'), seq]) as { data: Buffer }[];
    if (!row) throw new Error(`evidence blob ${sha256} has no chunk ${seq}`);
    return row.data;
  }

  /** A unit's evidence of a year (one leaf's with `criterionCode`), oldest first; empty to callers who may not read it. */
  async list(principal: Principal | null, unitId: number, year: number, criterionCode?: string | null): Promise<EvidenceRow[]> {
    requireYear('year', year);
    if (!readsUnit(principal, unitId)) return [];
    const code = criterionCode == null ? null : nfc(criterionCode); // an omitted argument arrives undefined
    return this.db.query(
      `SELECT ${EVIDENCE_COLUMNS} FROM ${EVIDENCE_FROM} WHERE e.unit_id = $1 AND e.year = $2 AND ($3::text IS NULL OR c.code = $3)
        ORDER BY e.uploaded_at, e.id`, [unitId, year, code]);
  }

  /**
   * Removes an evidence file: ADMIN at any time; a UNIT token of its unit
   * while the unit's SELF_ASSESSMENT window is open. A file an answer points
   * to stays (CONFLICT). The bytes go with the last file that holds them.
   */
  async remove(principal: Principal | null, id: string): Promise<boolean> {
    requireRole(principal, 'removeEvidence', [Role.UNIT, Role.ADMIN]);
    return this.db.transaction(async (tx) => {
      const [row] = isUuid(id)
        ? await tx.query(`SELECT ${EVIDENCE_COLUMNS}, u.code AS "unitCode", u.kind AS "unitKind", y.id AS "cycleId"
            FROM ${EVIDENCE_FROM} JOIN unit u ON u.id = e.unit_id JOIN cycle y ON y.id = c.cycle_id
           WHERE e.public_id = $1 FOR UPDATE OF e`, [id]) as (EvidenceRow & { unitCode: string; unitKind: UnitKind; cycleId: number })[]
        : [];
      if (!row || !(isAdmin(principal) || unitOfToken(principal) === row.unitId)) {
        throw new AppError(ErrorCode.EVIDENCE_NOT_FOUND, `id: no evidence file ${quoted(id)} that this token may remove`, 'id');
      }
      if (!isAdmin(principal)) {
        const window = await selfAssessmentWindow(tx, { id: row.cycleId, year: row.year, kind: row.unitKind }, row.unitId);
        if (!window.open) throw new AppError(ErrorCode.EVIDENCE_CLOSED, `id: evidence is removed by its unit only while its window is open: ${window.reason}`, 'id');
      }
      const [used] = await tx.query(
        `SELECT r.public_id AS id FROM explanation_request_evidence l JOIN explanation_request r ON r.id = l.request_id WHERE l.evidence_id = $1 LIMIT 1`, [row.dbId]) as { id: string }[];
      if (used) throw new AppError(ErrorCode.EVIDENCE_IN_USE, `id: the evidence file ${row.id} is part of the answer to explanation request ${used.id}; it stays`, 'id');
      await tx.query('DELETE FROM evidence WHERE id = $1', [row.dbId]);
      await tx.query(`DELETE FROM evidence_blob b WHERE b.sha256 = $1 AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.sha256 = b.sha256)`, [Buffer.from(row.sha256, 'hex')]);
      await recordAudit(tx, { operation: 'removeEvidence', unitCode: row.unitCode, year: row.year, target: `evidence ${row.id}`, before: auditView(row), after: null });
      return true;
    });
  }
}

/** What the audit keeps of a file (not its bytes). */
export function auditView(row: EvidenceRow): Record<string, unknown> {
  return { id: row.id, criterionCode: row.criterionCode, fileName: row.fileName, contentType: row.contentType, bytes: row.bytes, sha256: row.sha256, note: row.note };
}

function parseYear(raw: string | undefined): number {
  if (raw === undefined) throw invalid('year', 'The form field year is required (e.g. 2026), before the file');
  if (!/^\s*\d{1,4}\s*$/.test(raw)) throw invalid('year', `year must be a whole number from 2000 to 2100, got ${quoted(raw)}`);
  return Number(raw);
}

/** The leaf `code` of a cycle's framework: NOT_FOUND when no criterion has it, BAD_USER_INPUT when it has sub-criteria. */
export async function requireLeaf(tx: EntityManager, cycleId: number, code: string, field: string, framework: string): Promise<{ id: number; code: string }> {
  const [criterion] = await tx.query('SELECT id, code, source FROM criterion WHERE cycle_id = $1 AND code = $2', [cycleId, code]) as { id: number; code: string; source: string | null }[];
  if (!criterion) throw new AppError(ErrorCode.CRITERION_NOT_FOUND, `${field}: ${quoted(code)} is not a criterion of ${framework}`, field);
  if (criterion.source === null) throw invalid(field, `${field}: ${quoted(code)} has sub-criteria (or is a domain); name one of its leaves`);
  return { id: criterion.id, code: criterion.code };
}

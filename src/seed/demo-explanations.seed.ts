import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../config/logger';
import { tinyPdf } from '../evidence/pdf';
import { existsInYearSql } from '../services/unit-years';
import { DEMO_PANELISTS } from './demo-data';
import { demoYears } from './demo-years';

const DAY = 86400_000;

/** What the step adds: evidence files and explanation requests in each state (OPEN, ANSWERED, CLOSED, OVERDUE). */
export const DEMO_EXPLANATION_STATES = { OPEN: 2, ANSWERED: 2, CLOSED: 2, OVERDUE: 2 } as const;

interface Leaf { id: number; code: string; name: string }
interface DemoUnit { id: number; code: string; name: string; leaves: Leaf[] }

/**
 * The year around the figures in the demo (issue 14), a step of its own
 * after the demo seed: in the open year, the first departments' evidence
 * files for their self-assessment (small generated PDFs carrying the unit's
 * and the leaf's names), and explanation requests from the council in each
 * state, dated around `now`: two OPEN (due in two weeks), two ANSWERED
 * (with a file each), two CLOSED (one answered, one not), two OVERDUE (due
 * yesterday, unanswered). Written as the system, not through the API: the
 * overdue ones were asked in the past, which requestExplanation refuses.
 */
export async function seedDemoExplanations(db: DataSource, logger: Logger, now: Date = new Date()): Promise<boolean> {
  const { open } = demoYears(now);
  return db.transaction(async (tx) => {
    const [known] = await tx.query('SELECT 1 FROM explanation_request WHERE year = $1 LIMIT 1', [open]);
    if (known) return false;
    const units = await demoUnits(tx, open);
    if (units.length < 4) {
      logger.info('demo explanation requests skipped: the open year has fewer than four departments with expert leaves', { year: open });
      return false;
    }
    const at = (days: number) => new Date(now.getTime() + days * DAY);
    const evidence = async (unit: DemoUnit, leaf: Leaf, title: string, fileName: string, uploadedAt: Date): Promise<number> => {
      const pdf = tinyPdf([unit.name, `${title} - ${leaf.code} ${leaf.name}`, `Nam ${open}`]);
      const sha = createHash('sha256').update(pdf).digest();
      await tx.query(`INSERT INTO evidence_blob (sha256, bytes, chunks, content_type) VALUES ($1, $2, 1, 'application/pdf') ON CONFLICT DO NOTHING`, [sha, pdf.length]);
      await tx.query('INSERT INTO evidence_blob_chunk (sha256, seq, data) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING', [sha, pdf]);
      const [row] = await tx.query(
        `INSERT INTO evidence (unit_id, year, criterion_id, sha256, bytes, content_type, file_name, note, uploaded_at, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, 'application/pdf', $6, $7, $8, $9) RETURNING id`,
        [unit.id, open, leaf.id, sha, pdf.length, fileName, title, uploadedAt, `Cán bộ ${unit.code}`]) as { id: number }[];
      return row.id;
    };
    // Self-assessment evidence: each of the four units, its first two leaves.
    for (const unit of units) {
      for (const leaf of unit.leaves.slice(0, 2)) await evidence(unit, leaf, 'Báo cáo tự đánh giá', `Báo cáo tự đánh giá ${leaf.code}.pdf`, at(-30));
    }
    const request = async (unit: DemoUnit, leaf: Leaf, panelist: string, question: string, askedDays: number, dueDays: number,
      answer?: { text: string; days: number; file?: boolean }, close?: { resolution: string; days: number }) => {
      const [{ id }] = await tx.query(
        `INSERT INTO explanation_request (unit_id, year, criterion_id, question, due_at, requested_at, requested_by, answer, answered_at, answered_by, resolution, closed_at, closed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
        [unit.id, open, leaf.id, question, at(dueDays), at(askedDays), panelist,
          answer?.text ?? null, answer ? at(answer.days) : null, answer ? `Cán bộ ${unit.code}` : null,
          close?.resolution ?? null, close ? at(close.days) : null, close ? panelist : null]) as { id: number }[];
      if (answer?.file) {
        const file = await evidence(unit, leaf, 'Tài liệu giải trình', `Giải trình ${leaf.code}.pdf`, at(answer.days));
        await tx.query('INSERT INTO explanation_request_evidence (request_id, evidence_id) VALUES ($1, $2)', [id, file]);
      }
    };
    const [a, b, c, d] = units;
    const [p1, p2, p3] = DEMO_PANELISTS;
    const leaf = (u: DemoUnit, i: number) => u.leaves[i % u.leaves.length];
    // OPEN
    await request(a, leaf(a, 2), p1, 'Đề nghị cung cấp văn bản ban hành kế hoạch kiểm tra công tác CCHC trong năm.', -3, 14);
    await request(b, leaf(b, 0), p2, 'Tài liệu kiểm chứng chưa thể hiện kết quả thực hiện; đề nghị bổ sung báo cáo kết quả.', -2, 12);
    // ANSWERED
    await request(c, leaf(c, 1), p1, 'Đề nghị giải trình việc tự chấm điểm tối đa khi chưa có báo cáo tổng kết.', -10, 4,
      { text: 'Đơn vị đã ban hành báo cáo tổng kết; gửi kèm bản scan.', days: -2, file: true });
    await request(d, leaf(d, 0), p3, 'Đề nghị làm rõ số liệu thủ tục hành chính giải quyết đúng hạn.', -8, 6,
      { text: 'Số liệu lấy từ Hệ thống thông tin giải quyết TTHC của tỉnh; gửi kèm bảng tổng hợp.', days: -1, file: true });
    // CLOSED
    await request(a, leaf(a, 0), p2, 'Đề nghị giải trình điểm tự đánh giá tiêu chí này.', -20, -6,
      { text: 'Đơn vị đã thực hiện đầy đủ; gửi kèm văn bản.', days: -8, file: true }, { resolution: 'Chấp nhận giải trình, giữ nguyên điểm tự đánh giá.', days: -3 });
    await request(b, leaf(b, 1), p3, 'Đề nghị bổ sung minh chứng về việc công khai thủ tục hành chính.', -25, -12,
      undefined, { resolution: 'Đơn vị không giải trình; hội đồng giữ điểm thẩm định.', days: -10 });
    // OVERDUE
    await request(c, leaf(c, 0), p2, 'Đề nghị giải trình việc chậm ban hành kế hoạch CCHC năm.', -15, -1);
    await request(d, leaf(d, 1), p1, 'Đề nghị cung cấp quyết định kiện toàn bộ phận một cửa.', -12, -2);
    logger.info('demo evidence files and explanation requests seeded', { year: open, units: units.map((u) => u.code) });
    return true;
  });
}

/** The first four departments of the open year (by code) whose cycle is OPEN, each with its EXPERT leaves in framework order. */
async function demoUnits(tx: EntityManager, year: number): Promise<DemoUnit[]> {
  const rows = await tx.query(
    `SELECT u.id, u.code, u.name, c.id AS leaf_id, c.code AS leaf_code, c.name AS leaf_name
       FROM (SELECT u.* FROM unit u WHERE u.kind = 'DEPARTMENT' AND ${existsInYearSql('u', '$1')} ORDER BY u.code LIMIT 4) u
       JOIN cycle y ON y.year = $1 AND y.unit_kind = u.kind AND y.status = 'OPEN'
       JOIN criterion c ON c.cycle_id = y.id AND c.source = 'EXPERT'
      ORDER BY u.code, c.id`, [year]) as { id: number; code: string; name: string; leaf_id: number; leaf_code: string; leaf_name: string }[];
  const units = new Map<number, DemoUnit>();
  for (const r of rows) {
    const unit = units.get(r.id) ?? { id: r.id, code: r.code, name: r.name, leaves: [] };
    unit.leaves.push({ id: r.leaf_id, code: r.leaf_code, name: r.leaf_name });
    units.set(r.id, unit);
  }
  return [...units.values()].filter((u) => u.leaves.length >= 3);
}

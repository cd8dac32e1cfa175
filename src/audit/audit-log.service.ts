import type { DataSource } from 'typeorm';
import type { Role } from '../entities/enums';
import { invalid } from '../errors/app-error';
import { decodeCursor, encodeCursor, type Page } from '../util/cursor';
import { requireInt, requireYear } from '../util/validate';

/** The contract's `first: Int = 50` for auditLog. */
export const AUDIT_PAGE_SIZE = 50;

/** One entry as read back. */
export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  role: Role | null;
  operation: string;
  unitCode: string | null;
  year: number | null;
  target: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  year?: number | null;
  unitCode?: string | null;
  actor?: string | null;
  operation?: string | null;
  first?: number | null;
  after?: string | null;
}

/** Marks a cursor as this list's, so another list's cursor of the same shape is refused. */
const CURSOR_KIND = 'audit';

/** A text filter is matched exactly; longer than any stored name is certainly a mistake. */
function textFilter(field: string, value: string | null | undefined): string | null {
  if (value == null) return null;
  if (value.length > 200 || value.includes('\u0000')) throw invalid(field, `${field} must be at most 200 characters of text`);
  return value;
}

/** Reads the audit history (API.md, "Audit history"): newest first, filtered, paged by id. */
export class AuditLogService {
  constructor(private readonly db: DataSource) {}

  async list(filter: AuditFilter): Promise<Page<AuditRow>> {
    const first = requireInt('first', filter.first ?? AUDIT_PAGE_SIZE, 1, 100);
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.year != null) where.push(`year = $${params.push(requireYear('year', filter.year))}`);
    const unitCode = textFilter('unitCode', filter.unitCode);
    if (unitCode !== null) where.push(`unit_code = $${params.push(unitCode)}`);
    const actor = textFilter('actor', filter.actor);
    if (actor !== null) where.push(`actor = $${params.push(actor)}`);
    const operation = textFilter('operation', filter.operation);
    if (operation !== null) where.push(`operation = $${params.push(operation)}`);
    let afterId: string | null = null;
    if (filter.after != null) {
      const [kind, id] = decodeCursor(filter.after, 'after', ['string', 'string']);
      if (kind !== CURSOR_KIND || !/^[1-9][0-9]{0,18}$/.test(id)) throw invalid('after', 'after is not a cursor returned by this query');
      afterId = id;
    }
    const whereSql = (list: string[]) => (list.length ? `WHERE ${list.join(' AND ')}` : '');
    const [{ n }]: { n: number }[] = await this.db.query(`SELECT count(*)::int AS n FROM audit_entry ${whereSql(where)}`, params);
    const pageWhere = afterId === null ? where : [...where, `id < $${params.push(afterId)}::bigint`];
    const rows: AuditRow[] = await this.db.query(
      `SELECT id::text AS id, at, actor, role, operation, unit_code AS "unitCode", year, target, before, after
         FROM audit_entry ${whereSql(pageWhere)} ORDER BY audit_entry.id DESC LIMIT $${params.push(first + 1)}`,
      params);
    const items = rows.slice(0, first);
    return {
      items: items.map((r) => ({ node: r, cursor: encodeCursor([CURSOR_KIND, r.id]) })),
      hasNextPage: rows.length > first,
      hasPreviousPage: afterId !== null,
      totalCount: n,
    };
  }
}

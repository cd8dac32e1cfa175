import type { EntityManager } from 'typeorm';
import { recordAudit } from '../audit';
import { UnitKind } from '../entities/enums';
import { Unit } from '../entities/unit.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { foldForSearch, nfc, quoted } from '../util/text';
import { requireCode, requireInt, requireText, requireYear } from '../util/validate';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, MAX_PAGE_SIZE, type Page } from '../util/cursor';
import { type Db, managerOf } from './db';
import {
  coversYearSql, existsIn, existsInYearSql, FIRST_YEAR, LAST_DISTRICT_YEAR, LAST_YEAR, lastYearOf, unitsOfYearSql, yearsText,
} from './unit-years';

export interface CreateUnitData {
  code: string; name: string; kind: UnitKind; parentCode?: string | null;
  /** The first year the unit exists; omitted: no earlier limit (2000). */
  firstYear?: number | null;
}
export interface MergeUnitsData { codes: string[]; into: CreateUnitData; fromYear: number }
export interface UnitFilter {
  kind?: UnitKind | null; parentCode?: string | null; search?: string | null; first?: number | null; after?: string | null;
  /** Only the units that exist in that year, under that year's parents, with that year's names. */
  year?: number | null;
}

/**
 * A unit as read: the entity, and when it was read in a year (units(year:)),
 * that year, its name and parent being that year's.
 */
export type UnitRead = Unit & { year?: number };

export interface UnitNameRow { unitId: number; name: string; fromYear: number; toYear: number | null }
export interface LineageRow { predecessorId: number; successorId: number; fromYear: number }

/** What a change of the map touched: results of `kind` from `fromYear` on are to be recomputed. */
export interface MapChange { kind: UnitKind; fromYear: number }

export interface UnitServiceHooks {
  /** After a change of the map committed: the unpublished (year, kind) cycles it touched, for the engine to recompute. */
  onMapChanged?: (cycles: { year: number; kind: UnitKind }[]) => void;
}

const UNIQUE_VIOLATION = '23505';
const MAX_MERGED = 100;

/** Unit columns as the entity reads them from raw SQL. */
const UNIT_COLUMNS = `u.id, u.public_id AS "publicId", u.code, u.name, u.kind, u.first_year AS "firstYear", u.last_year AS "lastYear",
  u.parent_id AS "parentId", u.search_text AS "searchText", u.created_at AS "createdAt"`;
/** The same, with the name and parent of the year view `v` (unitsOfYearSql). */
const IN_YEAR_COLUMNS = UNIT_COLUMNS.replace('u.name', 'v.name').replace('u.parent_id', 'v.parent_id');

/**
 * Units: the province's departments, districts and communes, listed in
 * Vietnamese order, and their map over the years (DOMAIN.md, "The map
 * changes"): years, names and parents by year, retirements and mergers.
 *
 * Every change of the map runs in one transaction under one advisory lock
 * (changes are rare; their checks then see no concurrent change): the
 * checks, the change, then the year-wide checks that need the change in
 * place (names unique in each year). Any refusal rolls everything back.
 * A change that would alter a year already published (a unit with a
 * result there) is CONFLICT: published years never change. The unpublished
 * cycles a change touches get a new result version under their results lock
 * (src/results: what a process remembered of them is no longer trusted) and
 * are handed to `onMapChanged` to be recomputed.
 */
export class UnitService {
  private readonly db: EntityManager;

  constructor(db: Db, private readonly hooks: UnitServiceHooks = {}) {
    this.db = managerOf(db);
  }

  async create(data: CreateUnitData): Promise<Unit> {
    return this.mutate(async (tx) => {
      const unit = await this.insertUnit(tx, data, 'input');
      await recordAudit(tx, { operation: 'createUnit', unitCode: unit.code, year: unit.firstYear, target: unit.code, before: null, after: await this.shown(tx, unit) });
      return { result: unit, changes: [] };
    });
  }

  /** From `fromYear` on (until the unit's next rename, if any), the unit is called `name`. */
  async rename(rawCode: string, rawName: string, rawFromYear: number): Promise<Unit> {
    return this.mutate(async (tx) => {
      const unit = await this.lockByCode(tx, rawCode, 'code');
      const name = requireText('name', rawName, 200);
      const fromYear = this.yearOfUnit(unit, rawFromYear, 'fromYear');
      await this.refusePublished(tx, [unit.id], fromYear, `renaming ${unit.code} from ${fromYear}`);
      return this.setFromYear(tx, unit, fromYear, 'unit_name', 'name', name, 'name', { operation: 'renameUnit', shown: name });
    });
  }

  /**
   * One step of a unit's history by year (its name, or its parent) from `fromYear` on: stored (replacing one
   * of the same year), the history settled, the latest copy refreshed, then a clash of names in that year
   * refused on `field`. Rename and move differ only in the table and the value. Audited as `audit.operation`:
   * the value in effect in `fromYear` before (a parent by its code) and `audit.shown` after.
   */
  private async setFromYear(
    tx: EntityManager, unit: Unit, fromYear: number,
    table: 'unit_name' | 'unit_parent', column: 'name' | 'parent_id', value: string | number | null, field: string,
    audit: { operation: 'renameUnit' | 'moveUnit'; shown: string | null },
  ) {
    const shownSql = column === 'name' ? 'h.name' : '(SELECT p.code FROM unit p WHERE p.id = h.parent_id)';
    const [was]: { value: string | null }[] = await tx.query(
      `SELECT ${shownSql} AS value FROM ${table} h WHERE h.unit_id = $1 AND h.from_year <= $2 ORDER BY h.from_year DESC LIMIT 1`, [unit.id, fromYear]);
    const key = column === 'name' ? 'name' : 'parentCode';
    await tx.query(
      `INSERT INTO ${table} (unit_id, from_year, ${column}) VALUES ($1, $2, $3)
       ON CONFLICT (unit_id, from_year) DO UPDATE SET ${column} = excluded.${column}`, [unit.id, fromYear, value]);
    await this.settle(tx, table, column, unit.id);
    await this.refreshLatest(tx, unit.id);
    await this.refuseNameClash(tx, unit.id, fromYear, field);
    await recordAudit(tx, {
      operation: audit.operation, unitCode: unit.code, year: fromYear, target: unit.code,
      before: { [key]: was?.value ?? null, fromYear }, after: { [key]: audit.shown, fromYear },
    });
    return { result: await this.byId(tx, unit.id), changes: [{ kind: unit.kind, fromYear }] };
  }

  /** From `fromYear` on (until its next move), the commune sits under `parentCode`; null: directly under the province. */
  async move(rawCode: string, rawParentCode: string | null | undefined, rawFromYear: number): Promise<Unit> {
    return this.mutate(async (tx) => {
      const unit = await this.lockByCode(tx, rawCode, 'code');
      if (unit.kind !== UnitKind.COMMUNE) {
        throw invalid('code', `code "${unit.code}" is a ${unit.kind}: only a COMMUNE has a parent (a district up to 2024, or none)`);
      }
      const fromYear = this.yearOfUnit(unit, rawFromYear, 'fromYear');
      const parentCode = rawParentCode == null || rawParentCode.trim() === '' ? null : nfc(rawParentCode);
      const parentId = parentCode === null ? null : (await this.parentFor(tx, parentCode, fromYear, 'parentCode')).id;
      await this.refusePublished(tx, [unit.id], fromYear, `moving ${unit.code} from ${fromYear}`);
      return this.setFromYear(tx, unit, fromYear, 'unit_parent', 'parent_id', parentId, 'parentCode', { operation: 'moveUnit', shown: parentCode });
    });
  }

  /** The unit exists up to `lastYear` and no longer after it. */
  async retire(rawCode: string, rawLastYear: number): Promise<Unit> {
    return this.mutate(async (tx) => {
      const unit = await this.lockByCode(tx, rawCode, 'code');
      const lastYear = requireYear('lastYear', rawLastYear);
      if (lastYear < unit.firstYear) {
        throw invalid('lastYear', `lastYear ${lastYear} is before the first year of ${unit.code} (${unit.firstYear}): a unit exists at least one year`);
      }
      if (unit.kind === UnitKind.DISTRICT && lastYear > LAST_DISTRICT_YEAR) {
        throw invalid('lastYear', `lastYear ${lastYear}: a DISTRICT exists up to ${LAST_DISTRICT_YEAR} only (districts were abolished on 1 July 2025)`);
      }
      const [merged]: { code: string; from_year: number }[] = await tx.query(
        `SELECT s.code, l.from_year FROM unit_lineage l JOIN unit s ON s.id = l.successor_id
          WHERE l.predecessor_id = $1 AND l.from_year <> $2 + 1 ORDER BY l.from_year LIMIT 1`, [unit.id, lastYear]);
      if (merged) {
        throw invalid('lastYear', `${unit.code} was merged into ${merged.code} from ${merged.from_year}: its last year is ${merged.from_year - 1}`);
      }
      // A commune left under a unit that no longer exists would sit under the province without anyone saying so.
      const [child]: { code: string; year: number }[] = await tx.query(
        `SELECT c.code, y.y AS year
           FROM generate_series($2::int + 1, $3::int) AS y(y)
           JOIN unit_parent p ON p.parent_id = $1 AND ${coversYearSql('p', 'y.y')}
           JOIN unit c ON c.id = p.unit_id AND ${existsInYearSql('c', 'y.y')}
          ORDER BY y.y, c.code LIMIT 1`,
        [unit.id, lastYear, lastYearOf(unit.kind, unit.lastYear) ?? LAST_YEAR]);
      if (child) {
        throw invalid('lastYear', `commune ${child.code} is under ${unit.code} in ${child.year}: move it (moveUnit) before ${unit.code} ends in ${lastYear}`);
      }
      const before = lastYearOf(unit.kind, unit.lastYear);
      const from = Math.min(lastYear, before ?? lastYear) + 1;
      await this.refusePublished(tx, [unit.id], from, `ending ${unit.code} in ${lastYear}`);
      await tx.query('UPDATE unit SET last_year = $2 WHERE id = $1', [unit.id, lastYear]);
      await recordAudit(tx, { operation: 'retireUnit', unitCode: unit.code, year: lastYear, target: unit.code, before: { lastYear: unit.lastYear }, after: { lastYear } });
      return { result: await this.byId(tx, unit.id), changes: [{ kind: unit.kind, fromYear: from }] };
    });
  }

  /**
   * A new unit formed from `codes` in `fromYear`: they end the year before
   * it, lineage records them as its predecessors, their kiosks serve it
   * from 1 January of `fromYear`, and the communes under merged districts
   * move under it. One predecessor merged into several units (each call
   * naming it) is a split.
   */
  async merge(data: MergeUnitsData): Promise<Unit> {
    return this.mutate(async (tx) => {
      const fromYear = requireYear('input.fromYear', data.fromYear);
      if (fromYear - 1 < FIRST_YEAR) throw invalid('input.fromYear', `input.fromYear must be after ${FIRST_YEAR}: the merged units exist the year before`);
      const codes = data.codes ?? [];
      if (codes.length === 0) throw invalid('input.codes', 'input.codes is empty: name the units that merge');
      if (codes.length > MAX_MERGED) throw invalid('input.codes', `input.codes names ${codes.length} units; at most ${MAX_MERGED} merge at once`);
      const merged: Unit[] = [];
      for (const [i, raw] of codes.entries()) {
        const field = `input.codes[${i}]`;
        const code = requireCode(field, raw);
        if (merged.some((u) => u.code === code)) throw invalid(field, `${field} "${code}" is named twice`);
        const unit = await this.lockByCode(tx, code, field, true);
        if (!existsIn(unit, fromYear - 1)) {
          throw invalid(field, `${field} "${code}" does not exist in ${fromYear - 1} (its years are ${yearsText(unit)}): only units that exist the year before a merger merge`);
        }
        if (merged.length > 0 && unit.kind !== merged[0].kind) {
          throw invalid(field, `${field} "${code}" is a ${unit.kind} and "${merged[0].code}" a ${merged[0].kind}: only units of one kind merge`);
        }
        merged.push(unit);
      }
      const kind = merged[0].kind;
      if (data.into.kind !== kind) throw invalid('input.into.kind', `input.into.kind is ${data.into.kind} but the merged units are ${kind}s: a merger keeps the kind`);
      if (data.into.firstYear != null && data.into.firstYear !== fromYear) {
        throw invalid('input.into.firstYear', `input.into.firstYear ${data.into.firstYear} differs from input.fromYear ${fromYear}: the new unit starts in the merger's year (leave it out)`);
      }
      const ids = merged.map((u) => u.id);
      await this.refusePublished(tx, ids, fromYear, `merging ${merged.map((u) => u.code).join(', ')} from ${fromYear}`);
      // The merged units end first: the new one may take a name of theirs (a name is unique in each year).
      await tx.query('UPDATE unit SET last_year = $2 WHERE id = ANY($1::int[])', [ids, fromYear - 1]);
      const formed = await this.insertUnit(tx, { ...data.into, firstYear: fromYear }, 'input.into');
      await tx.query(
        `INSERT INTO unit_lineage (predecessor_id, successor_id, from_year) SELECT unnest($1::int[]), $2, $3`, [ids, formed.id, fromYear]);
      // Their kiosks serve the new unit from 1 January of the merger's year (a response's year is its Vietnam date's).
      await tx.query(
        `INSERT INTO kiosk_assignment (kiosk_id, unit_id, from_date)
         SELECT k.id, $2, make_date($3, 1, 1) FROM kiosk k WHERE k.unit_id = ANY($1::int[])
         ON CONFLICT (kiosk_id, from_date) DO UPDATE SET unit_id = excluded.unit_id`, [ids, formed.id, fromYear]);
      await tx.query('UPDATE kiosk SET unit_id = $2 WHERE unit_id = ANY($1::int[])', [ids, formed.id]);
      const changes: MapChange[] = [{ kind, fromYear }];
      if (kind === UnitKind.DISTRICT) {
        // The communes under the merged districts in the merger's year move under the new one.
        const children: { id: number }[] = await tx.query(
          `SELECT DISTINCT p.unit_id AS id FROM unit_parent p JOIN unit c ON c.id = p.unit_id
            WHERE p.parent_id = ANY($1::int[]) AND ${coversYearSql('p', '$2')} AND ${existsInYearSql('c', '$2')}`, [ids, fromYear]);
        for (const { id } of children) {
          await tx.query(
            `INSERT INTO unit_parent (unit_id, from_year, parent_id) VALUES ($1, $2, $3)
             ON CONFLICT (unit_id, from_year) DO UPDATE SET parent_id = excluded.parent_id`, [id, fromYear, formed.id]);
          await this.settle(tx, 'unit_parent', 'parent_id', id);
          await this.refreshLatest(tx, id);
          await this.refuseNameClash(tx, id, fromYear, 'input.into.code');
        }
        changes.push({ kind: UnitKind.COMMUNE, fromYear });
      }
      await recordAudit(tx, {
        operation: 'mergeUnits', unitCode: formed.code, year: fromYear, target: formed.code,
        before: { units: merged.map((u) => ({ code: u.code, lastYear: u.lastYear })) },
        after: { units: merged.map((u) => ({ code: u.code, lastYear: fromYear - 1 })), into: await this.shown(tx, formed) },
      });
      return { result: await this.byId(tx, formed.id), changes };
    });
  }

  findByCode(code: string): Promise<Unit | null> {
    return this.db.getRepository(Unit).findOne({ where: { code: nfc(code) } });
  }

  async requireByCode(code: string, field: string): Promise<Unit> {
    const unit = await this.findByCode(code);
    if (!unit) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `${field}: no unit has the code ${quoted(nfc(code))}`, field);
    return unit;
  }

  findByIds(ids: readonly number[]): Promise<Unit[]> {
    return this.db.getRepository(Unit).createQueryBuilder('u').where('u.id = ANY(:ids)', { ids }).getMany();
  }

  /** Children of each parent, in Vietnamese order: their latest parent, or (with `year`) their parent in that year. */
  async childrenOf(parentIds: readonly number[], year: number | null = null): Promise<UnitRead[]> {
    if (year === null) {
      return this.db.getRepository(Unit).createQueryBuilder('u')
        .where('u.parent_id = ANY(:ids)', { ids: parentIds })
        .orderBy('u.name COLLATE "vietnamese"', 'ASC').addOrderBy('u.code', 'ASC')
        .getMany();
    }
    const rows: Unit[] = await this.db.query(
      `SELECT ${IN_YEAR_COLUMNS}
         FROM ${unitsOfYearSql('$2::int')} v JOIN unit u ON u.id = v.id
        WHERE v.parent_id = ANY($1::int[])
        ORDER BY v.name COLLATE "vietnamese", v.code`, [parentIds, year]);
    return rows.map((r) => this.entity(r, year));
  }

  /** Every name of each unit, oldest first. */
  async namesOf(unitIds: readonly number[]): Promise<UnitNameRow[]> {
    return this.db.query(
      `SELECT unit_id AS "unitId", name, from_year AS "fromYear", to_year AS "toYear"
         FROM unit_name WHERE unit_id = ANY($1::int[]) ORDER BY unit_id, from_year`, [unitIds]);
  }

  /** The lineage edges that touch the units, as predecessor or successor. */
  async lineageOf(unitIds: readonly number[]): Promise<LineageRow[]> {
    return this.db.query(
      `SELECT predecessor_id AS "predecessorId", successor_id AS "successorId", from_year AS "fromYear"
         FROM unit_lineage WHERE predecessor_id = ANY($1::int[]) OR successor_id = ANY($1::int[])`, [unitIds]);
  }

  /** Per unit: itself and its predecessors, transitively (the units whose results make its history). */
  async ancestryOf(unitIds: readonly number[]): Promise<Map<number, number[]>> {
    const rows: { root: number; id: number }[] = await this.db.query(
      `WITH RECURSIVE a(root, id) AS (
         SELECT r, r FROM unnest($1::int[]) AS r
         UNION
         SELECT a.root, l.predecessor_id FROM unit_lineage l JOIN a ON l.successor_id = a.id)
       SELECT root, id FROM a`, [unitIds]);
    const out = new Map<number, number[]>(unitIds.map((id) => [id, []]));
    for (const r of rows) out.get(r.root)!.push(r.id);
    return out;
  }

  /**
   * A page of units in Vietnamese name order, then code; the cursor is the
   * last (name, code). With `year`: the units that exist in that year, with
   * that year's names and parents. Search matches every name a unit had.
   */
  async list(filter: UnitFilter): Promise<Page<UnitRead>> {
    const first = requireInt('first', filter.first ?? DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const year = filter.year == null ? null : requireYear('year', filter.year);
    const words = searchWords(filter.search);
    let parentId: number | null = null;
    if (filter.parentCode != null) {
      const parent = await this.findByCode(filter.parentCode);
      if (!parent) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `parentCode ${quoted(nfc(filter.parentCode))} names no unit`, 'parentCode');
      parentId = parent.id;
    }
    const after = filter.after == null ? null : decodeCursor(filter.after, 'after', ['string', 'string']);
    if (year === null) {
      const qb = this.db.getRepository(Unit).createQueryBuilder('u');
      if (filter.kind) qb.andWhere('u.kind = :kind', { kind: filter.kind });
      if (parentId !== null) qb.andWhere('u.parent_id = :parentId', { parentId });
      words.forEach((word, i) => qb.andWhere(`u.search_text LIKE :w${i} ESCAPE '\\'`, { [`w${i}`]: containing(word) }));
      const totalCount = await qb.clone().getCount();
      if (after) {
        qb.andWhere(`(u.name COLLATE "vietnamese" > :cName OR (u.name = :cName AND u.code > :cCode))`, { cName: after[0], cCode: after[1] });
      }
      const rows = await qb.orderBy('u.name COLLATE "vietnamese"', 'ASC').addOrderBy('u.code', 'ASC').limit(first + 1).getMany();
      return this.page(rows, first, filter.after != null, totalCount);
    }
    const params: unknown[] = [year];
    const where: string[] = [];
    if (filter.kind) where.push(`v.kind = $${params.push(filter.kind)}`);
    if (parentId !== null) where.push(`v.parent_id = $${params.push(parentId)}`);
    words.forEach((word) => where.push(`v.search_text LIKE $${params.push(containing(word))} ESCAPE '\\'`));
    const from = `FROM ${unitsOfYearSql('$1::int')} v JOIN unit u ON u.id = v.id`;
    const whereSql = (list: string[]) => (list.length ? `WHERE ${list.join(' AND ')}` : '');
    const [{ n }]: { n: number }[] = await this.db.query(`SELECT count(*)::int AS n ${from} ${whereSql(where)}`, params);
    if (after) {
      where.push(`(v.name COLLATE "vietnamese" > $${params.push(after[0])} OR (v.name = $${params.length} AND v.code > $${params.push(after[1])}))`);
    }
    const rows: Unit[] = await this.db.query(
      `SELECT ${IN_YEAR_COLUMNS} ${from} ${whereSql(where)} ORDER BY v.name COLLATE "vietnamese", v.code LIMIT $${params.push(first + 1)}`,
      params);
    return this.page(rows.map((r) => this.entity(r, year)), first, filter.after != null, n);
  }

  private page(rows: UnitRead[], first: number, hasPreviousPage: boolean, totalCount: number): Page<UnitRead> {
    const items = rows.slice(0, first);
    return {
      items: items.map((u) => ({ node: u, cursor: encodeCursor([u.name, u.code]) })),
      hasNextPage: rows.length > first,
      hasPreviousPage,
      totalCount,
    };
  }

  /** A raw row as the entity, read in `year` when given. */
  private entity(row: Unit, year?: number): UnitRead {
    const unit = this.db.getRepository(Unit).create(row) as UnitRead;
    unit.createdAt = row.createdAt;
    if (year !== undefined) unit.year = year;
    return unit;
  }

  // ---------------------------------------------------------------------
  // Changes of the map
  // ---------------------------------------------------------------------

  /**
   * Runs a change of the map in one transaction under the map's lock, then
   * gives the unpublished cycles it touched a new result version (under
   * their results lock) in the same transaction; after the commit, hands
   * them to the engine.
   */
  private async mutate<T>(change: (tx: EntityManager) => Promise<{ result: T; changes: MapChange[] }>): Promise<T> {
    const { result, cycles } = await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('unit_map'))`);
      const done = await change(tx);
      const touched: { id: number; year: number; kind: UnitKind }[] = [];
      for (const c of done.changes) {
        const rows: { id: number; year: number; kind: UnitKind }[] = await tx.query(
          `SELECT id, year, unit_kind AS kind FROM cycle WHERE unit_kind = $1 AND year >= $2 AND status <> 'PUBLISHED' ORDER BY id`,
          [c.kind, c.fromYear]);
        touched.push(...rows.filter((r) => !touched.some((t) => t.id === r.id)));
      }
      for (const cycle of touched.sort((a, b) => a.id - b.id)) {
        // The lock every writer of the cycle's results holds (src/results/result-rows.ts, lockResults), then a new version:
        // a write remembered under the old one is not trusted, and the next recomputation reads the new map.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', ['index_result', cycle.id]);
        await tx.query(
          `INSERT INTO result_state (cycle_id, version, written_at) VALUES ($1, gen_random_uuid(), now())
           ON CONFLICT (cycle_id) DO UPDATE SET version = excluded.version, written_at = excluded.written_at`, [cycle.id]);
      }
      return { result: done.result, cycles: touched };
    });
    if (cycles.length > 0) {
      try {
        this.hooks.onMapChanged?.(cycles.map((c) => ({ year: c.year, kind: c.kind })));
      } catch {
        // Scheduling a recomputation never fails the change; the engine's first tick recomputes every open cycle anyway.
      }
    }
    return result;
  }

  /** Inserts a unit after its checks (the trigger starts its names and parents); its name is checked unique in its years. */
  private async insertUnit(tx: EntityManager, data: CreateUnitData, field: string): Promise<Unit> {
    const code = requireCode(`${field}.code`, data.code);
    const name = requireText(`${field}.name`, data.name, 200);
    const firstYear = data.firstYear == null ? FIRST_YEAR : requireYear(`${field}.firstYear`, data.firstYear);
    if (data.kind === UnitKind.DISTRICT && firstYear > LAST_DISTRICT_YEAR) {
      throw invalid(`${field}.firstYear`, `${field}.firstYear ${firstYear}: a DISTRICT exists up to ${LAST_DISTRICT_YEAR} only: district-level administrations were abolished on 1 July 2025, and from 2025 communes sit directly under the province`);
    }
    const parentCode = data.parentCode == null || data.parentCode.trim() === '' ? null : nfc(data.parentCode);
    let parentId: number | null = null;
    if (data.kind === UnitKind.COMMUNE) {
      if (parentCode !== null) {
        parentId = (await this.parentFor(tx, parentCode, firstYear, `${field}.parentCode`)).id;
      } else if (firstYear <= LAST_DISTRICT_YEAR) {
        throw invalid(`${field}.parentCode`, `${field}.parentCode is required for a COMMUNE: name its district (a commune that starts in 2025 or later has none: give firstYear)`);
      }
    } else if (parentCode !== null) {
      throw invalid(`${field}.parentCode`, `${field}.parentCode is only allowed for a COMMUNE; a ${data.kind} has no parent`);
    }
    const taken = await tx.query('SELECT 1 FROM unit WHERE code = $1', [code]);
    if (taken.length > 0) throw codeTaken(field, code);
    let id: number;
    try {
      const [row]: { id: number }[] = await tx.query(
        `INSERT INTO unit (code, name, kind, parent_id, first_year, search_text) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [code, name, data.kind, parentId, firstYear, foldForSearch(`${name} ${code}`)]);
      id = row.id;
    } catch (e) {
      if ((e as { driverError?: { code?: string }; code?: string }).driverError?.code === UNIQUE_VIOLATION) throw codeTaken(field, code);
      throw e;
    }
    await this.refuseNameClash(tx, id, firstYear, `${field}.name`);
    return this.byId(tx, id);
  }

  /** A unit as its audit entry shows it: what createUnit's input said, the parent by its code. */
  private async shown(tx: EntityManager, unit: Unit) {
    const [parent]: { code: string }[] = unit.parentId == null ? [] : await tx.query('SELECT code FROM unit WHERE id = $1', [unit.parentId]);
    return { code: unit.code, name: unit.name, kind: unit.kind, firstYear: unit.firstYear, parentCode: parent?.code ?? null };
  }

  private async byId(tx: EntityManager, id: number): Promise<Unit> {
    const [row]: Unit[] = await tx.query(`SELECT ${UNIT_COLUMNS} FROM unit u WHERE u.id = $1`, [id]);
    return this.entity(row);
  }

  /** The unit of a code, locked for the change (its results may still be written: FOR NO KEY UPDATE). */
  private async lockByCode(tx: EntityManager, rawCode: string, field: string, badInput = false): Promise<Unit> {
    const code = nfc(String(rawCode ?? ''));
    const [row]: Unit[] = await tx.query(`SELECT ${UNIT_COLUMNS} FROM unit u WHERE u.code = $1 FOR NO KEY UPDATE`, [code]);
    if (!row) {
      if (badInput) throw invalid(field, `${field} ${quoted(code)} names no unit`);
      throw new AppError(ErrorCode.UNIT_NOT_FOUND, `${field}: no unit has the code ${quoted(code)}`, field);
    }
    return this.entity(row);
  }

  /** A year within the unit's years. */
  private yearOfUnit(unit: Unit, raw: number, field: string): number {
    const year = requireYear(field, raw);
    if (!existsIn(unit, year)) throw invalid(field, `${field} ${year} is outside the years of ${unit.code} (${yearsText(unit)})`);
    return year;
  }

  /** A commune's parent: a DISTRICT that exists in `year`. */
  private async parentFor(tx: EntityManager, code: string, year: number, field: string): Promise<Unit> {
    const [parent]: Unit[] = await tx.query(`SELECT ${UNIT_COLUMNS} FROM unit u WHERE u.code = $1`, [code]);
    if (!parent) throw invalid(field, `${field} ${quoted(code)} names no unit`);
    if (parent.kind !== UnitKind.DISTRICT) {
      throw invalid(field, `${field} "${parent.code}" is a ${parent.kind}; a commune's parent must be a DISTRICT`);
    }
    if (!existsIn(parent, year)) {
      const why = year > LAST_DISTRICT_YEAR
        ? `: districts exist up to ${LAST_DISTRICT_YEAR}, and from 2025 a commune sits directly under the province (no parent)`
        : '';
      throw invalid(field, `${field} "${parent.code}" does not exist in ${year} (its years are ${yearsText(parent)})${why}`);
    }
    return parent;
  }

  /**
   * CONFLICT when one of the units has a published result in `fromYear` or
   * later: published years never change (nor does the map of a year being
   * amended: its versions share it).
   */
  private async refusePublished(tx: EntityManager, unitIds: number[], fromYear: number, what: string): Promise<void> {
    const [row]: { code: string; year: number; unit_kind: UnitKind }[] = await tx.query(
      `SELECT u.code, c.year, c.unit_kind FROM index_result ir JOIN cycle c ON c.id = ir.cycle_id JOIN unit u ON u.id = ir.unit_id
        WHERE ir.unit_id = ANY($1::int[]) AND (c.status = 'PUBLISHED' OR c.published_at IS NOT NULL) AND c.year >= $2
        ORDER BY c.year LIMIT 1`, [unitIds, fromYear]);
    if (row) {
      throw new AppError(ErrorCode.CYCLE_PUBLISHED,
        `The ${row.year} ${row.unit_kind} results are published with ${row.code} in them: ${what} would change a published year; a change of the map can start in ${row.year + 1} at the earliest`);
    }
  }

  /**
   * A by-year table of one unit made canonical: rows repeating the previous
   * row's value go, and each row's to_year is the next row's from_year − 1.
   */
  private async settle(tx: EntityManager, table: 'unit_name' | 'unit_parent', column: 'name' | 'parent_id', unitId: number): Promise<void> {
    await tx.query(
      `DELETE FROM ${table} t USING (
         SELECT id, row_number() OVER w > 1 AND ${column} IS NOT DISTINCT FROM lag(${column}) OVER w AS repeated
           FROM ${table} WHERE unit_id = $1 WINDOW w AS (ORDER BY from_year)) x
        WHERE t.id = x.id AND x.repeated`, [unitId]);
    await tx.query(
      `UPDATE ${table} t SET to_year = x.next - 1
         FROM (SELECT id, lead(from_year) OVER (ORDER BY from_year) AS next FROM ${table} WHERE unit_id = $1) x
        WHERE t.id = x.id AND t.to_year IS DISTINCT FROM x.next - 1`, [unitId]);
  }

  /** unit.name and unit.parent_id as the latest rows say; search_text over every name the unit had. */
  private async refreshLatest(tx: EntityManager, unitId: number): Promise<void> {
    const names: { name: string }[] = await tx.query('SELECT name FROM unit_name WHERE unit_id = $1 ORDER BY from_year', [unitId]);
    const [{ code }]: { code: string }[] = await tx.query('SELECT code FROM unit WHERE id = $1', [unitId]);
    const distinct = [...new Set(names.map((n) => n.name).reverse())];
    await tx.query(
      `UPDATE unit SET name = $2,
              parent_id = (SELECT parent_id FROM unit_parent WHERE unit_id = $1 ORDER BY from_year DESC LIMIT 1),
              search_text = $3
        WHERE id = $1`,
      [unitId, distinct[0], foldForSearch(`${distinct.join(' ')} ${code}`)]);
  }

  /**
   * BAD_USER_INPUT on `field` when, in some year from `fromYear` on, another
   * unit of the same kind under the same parent has the unit's name. Years
   * past every change of the map read the same: the check stops after the
   * last one.
   */
  private async refuseNameClash(tx: EntityManager, unitId: number, fromYear: number, field: string): Promise<void> {
    // Only units of the same kind that ever had one of its names can clash: almost always none, and then nothing more is read.
    const candidates: { id: number }[] = await tx.query(
      `SELECT DISTINCT o.id FROM unit me JOIN unit_name mn ON mn.unit_id = me.id
         JOIN unit_name n ON n.name = mn.name AND n.unit_id <> me.id JOIN unit o ON o.id = n.unit_id AND o.kind = me.kind
        WHERE me.id = $1`, [unitId]);
    if (candidates.length === 0) return;
    const [clash]: { code: string; year: number; name: string }[] = await tx.query(
      `WITH bounds AS (
         SELECT greatest($2::int, u.first_year) AS lo,
                least(coalesce(CASE WHEN u.kind = 'DISTRICT' THEN least(coalesce(u.last_year, ${LAST_DISTRICT_YEAR}), ${LAST_DISTRICT_YEAR}) ELSE u.last_year END, ${LAST_YEAR}),
                      greatest($2::int, ${LAST_DISTRICT_YEAR + 1}, (SELECT max(from_year) FROM unit_name), (SELECT max(from_year) FROM unit_parent),
                               (SELECT max(first_year) FROM unit), (SELECT max(last_year) + 1 FROM unit))) AS hi
           FROM unit u WHERE u.id = $1)
       SELECT o.code, y.y AS year, me.name
         FROM bounds b CROSS JOIN generate_series(b.lo, b.hi) AS y(y)
         CROSS JOIN LATERAL (SELECT v.kind, v.name, v.parent_id FROM ${unitsOfYearSql('y.y')} v WHERE v.id = $1) me
         CROSS JOIN LATERAL (SELECT v.code FROM ${unitsOfYearSql('y.y')} v
                              WHERE v.id = ANY($3::int[]) AND v.kind = me.kind AND v.name = me.name AND v.parent_id IS NOT DISTINCT FROM me.parent_id AND v.id <> $1
                              ORDER BY v.code LIMIT 1) o
        ORDER BY y.y LIMIT 1`, [unitId, fromYear, candidates.map((c) => c.id)]);
    if (clash) {
      throw invalid(field, `${field}: ${quoted(clash.name)} is already the name of ${clash.code} in ${clash.year}; a name is unique among the units of a kind under the same parent in each year`);
    }
  }
}

function codeTaken(field: string, code: string): AppError {
  return new AppError(ErrorCode.UNIT_CODE_TAKEN, `${field}.code "${code}" is already used by another unit; unit codes are unique`, `${field}.code`);
}

/** The words a units(search:) matches: folded for search, at most 10; a search over 200 characters is refused. */
export function searchWords(search: string | null | undefined): string[] {
  if (search != null && search.length > 200) throw invalid('search', 'search is longer than 200 characters');
  return search == null ? [] : foldForSearch(search).split(' ').filter(Boolean).slice(0, 10);
}

/** A LIKE pattern (with ESCAPE '\\') matching text that contains `word`. */
export function containing(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

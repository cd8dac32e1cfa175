import type { DataSource } from 'typeorm';
import { UnitKind } from '../entities/enums';
import { Unit } from '../entities/unit.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { foldForSearch, nfc, quoted } from '../util/text';
import { requireCode, requireInt, requireText } from '../util/validate';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from '../util/cursor';

export interface CreateUnitData { code: string; name: string; kind: UnitKind; parentCode?: string | null }
export interface UnitFilter { kind?: UnitKind | null; parentCode?: string | null; search?: string | null; first?: number | null; after?: string | null }

const UNIQUE_VIOLATION = '23505';

/** Units: the province's departments, districts and communes, listed in Vietnamese order. */
export class UnitService {
  constructor(private readonly db: DataSource) {}

  async create(data: CreateUnitData): Promise<Unit> {
    const code = requireCode('input.code', data.code);
    const name = requireText('input.name', data.name, 200);
    let parentId: number | null = null;
    if (data.kind === UnitKind.COMMUNE) {
      if (data.parentCode == null || data.parentCode.trim() === '') {
        throw invalid('input.parentCode', 'input.parentCode is required for a COMMUNE: name its district');
      }
      const parent = await this.findByCode(nfc(data.parentCode));
      if (!parent) throw invalid('input.parentCode', `input.parentCode ${quoted(nfc(data.parentCode))} names no unit`);
      if (parent.kind !== UnitKind.DISTRICT) {
        throw invalid('input.parentCode', `input.parentCode "${parent.code}" is a ${parent.kind}; a commune's parent must be a DISTRICT`);
      }
      parentId = parent.id;
    } else if (data.parentCode != null && data.parentCode.trim() !== '') {
      throw invalid('input.parentCode', `input.parentCode is only allowed for a COMMUNE; a ${data.kind} has no parent`);
    }
    try {
      const rows = await this.db.getRepository(Unit).createQueryBuilder().insert()
        .values({ code, name, kind: data.kind, parentId, searchText: foldForSearch(`${name} ${code}`) })
        .returning('*').execute();
      return this.db.getRepository(Unit).create(rows.generatedMaps[0] as Unit);
    } catch (e) {
      if ((e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new AppError(ErrorCode.UNIT_CODE_TAKEN, `input.code "${code}" is already used by another unit; unit codes are unique`, 'input.code');
      }
      throw e;
    }
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

  /** Children of each parent, in Vietnamese order. */
  async childrenOf(parentIds: readonly number[]): Promise<Unit[]> {
    return this.db.getRepository(Unit).createQueryBuilder('u')
      .where('u.parent_id = ANY(:ids)', { ids: parentIds })
      .orderBy('u.name COLLATE "vietnamese"', 'ASC').addOrderBy('u.code', 'ASC')
      .getMany();
  }

  /** A page of units in Vietnamese name order, then code; the cursor is the last (name, code). */
  async list(filter: UnitFilter): Promise<Page<Unit>> {
    const first = requireInt('first', filter.first ?? DEFAULT_PAGE_SIZE, 1, 100);
    const qb = this.db.getRepository(Unit).createQueryBuilder('u');
    if (filter.kind) qb.andWhere('u.kind = :kind', { kind: filter.kind });
    if (filter.parentCode != null) {
      const parent = await this.findByCode(filter.parentCode);
      if (!parent) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `parentCode ${quoted(nfc(filter.parentCode))} names no unit`, 'parentCode');
      qb.andWhere('u.parent_id = :parentId', { parentId: parent.id });
    }
    if (filter.search != null) {
      if (filter.search.length > 200) throw invalid('search', 'search is longer than 200 characters');
      const words = foldForSearch(filter.search).split(' ').filter(Boolean).slice(0, 10);
      words.forEach((word, i) => qb.andWhere(`u.search_text LIKE :w${i} ESCAPE '\\'`, { [`w${i}`]: `%${escapeLike(word)}%` }));
    }
    const totalCount = await qb.clone().getCount();
    if (filter.after != null) {
      const [name, code] = decodeCursor(filter.after, 'after', ['string', 'string']);
      qb.andWhere(`(u.name COLLATE "vietnamese" > :cName OR (u.name = :cName AND u.code > :cCode))`, { cName: name, cCode: code });
    }
    const rows = await qb.orderBy('u.name COLLATE "vietnamese"', 'ASC').addOrderBy('u.code', 'ASC').limit(first + 1).getMany();
    const hasNextPage = rows.length > first;
    const items = rows.slice(0, first);
    return {
      items: items.map((u) => ({ node: u, cursor: encodeCursor([u.name, u.code]) })),
      hasNextPage,
      hasPreviousPage: filter.after != null,
      totalCount,
    };
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

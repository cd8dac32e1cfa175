import type { Pool } from 'pg';
import { namedQuery } from '../db/named-query';
import { NotRendered, type RenderedRootField } from '../http/rendered-queries';
import { decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../util/cursor';
import { containing, searchWords } from '../services/unit.service';
import { requireInt } from '../util/validate';
import { column, objectSql } from './result-json';
import { PlanInvariantError, type Selected } from './selection';
import { memoOf } from './statements';
import { seesOf, seesSql, UNIT_PAGE_RENDERED, unitJson } from './unit-page';

/*
 * `units(kind, search, first, after)` written whole as JSON by one
 * PostgreSQL statement: the answer of UnitResolver.units over
 * UnitService.list (src/services/unit.service.ts) without `year` or
 * `parentCode`, which it leaves to the resolver (NotRendered). Its nodes
 * are written as a unit page's (unit-page.ts), results included.
 */

/** The fields of each type the statement writes (`__typename` aside). */
export const UNITS_RENDERED: Readonly<Record<string, readonly string[]>> = {
  ...UNIT_PAGE_RENDERED,
  UnitConnection: ['edges', 'pageInfo', 'totalCount'],
  UnitEdge: ['cursor', 'node'],
  PageInfo: ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'],
};

/**
 * A unit's cursor computed in SQL: util/cursor's encodeCursor of [name,
 * code] (base64url, unpadded, of the JSON array, which array_to_json writes
 * as JSON.stringify does: no spaces, the same escapes). translate drops the
 * padding and the line breaks encode() puts every 76 characters.
 */
const cursorSql = (u: string) => `translate(encode(convert_to(array_to_json(ARRAY[${u}.name, ${u}.code::text])::text, 'UTF8'), 'base64'), E'+/=\\n', '-_')`;

interface UnitsArgs { kind?: string | null; parentCode?: string | null; search?: string | null; first?: number | null; after?: string | null; year?: number | null }

/**
 * Root `units` rendered. Its arguments are checked as UnitService.list
 * checks them, with the same helpers (a refused one is the resolver's to
 * answer: AppError); `year` and `parentCode` are not rendered.
 */
export function renderedUnits(source: { readonly pool: Pool }): RenderedRootField {
  return {
    fields: UNITS_RENDERED,
    render: async (raw, ctx, selected) => {
      const args = raw as UnitsArgs;
      if (args.year != null || args.parentCode != null) throw new NotRendered('units(year:) and units(parentCode:) are resolved');
      const first = requireInt('first', args.first ?? DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
      const words = searchWords(args.search);
      const after = args.after == null ? null : decodeCursor(args.after, 'after', ['string', 'string']);

      // $1 the page's size + 1 (the row after it says there is a next page); $2, $3 seesSql's.
      const params: unknown[] = [first + 1, ...seesOf(ctx.principal)];
      const where: string[] = [];
      if (args.kind != null) where.push(`u.kind = $${params.push(args.kind)}`);
      for (const word of words) where.push(`u.search_text LIKE $${params.push(containing(word))} ESCAPE '\\'`);
      const filtered = [...where];
      if (after) {
        where.push(`(u.name COLLATE "vietnamese" > $${params.push(after[0])} OR (u.name = $${params.length} AND u.code > $${params.push(after[1])}))`);
      }
      const hasPrevious = after !== null;
      const whereSql = (list: string[]) => (list.length ? `WHERE ${list.join(' AND ')}` : '');
      const variant = `units:${args.kind != null}:${words.length}:${hasPrevious}`;
      const statement = memoOf(selected, variant, () => {
        const edges: string[] = [];
        let cursors = false;
        const connection = objectSql('UnitConnection', selected, (f) => {
          switch (f.name) {
            case 'edges':
              edges.push(objectSql('UnitEdge', f.fields ?? [], (e) => {
                switch (e.name) {
                  case 'cursor': return cursorSql('u');
                  case 'node': return unitJson(e.fields ?? []);
                  default: throw new PlanInvariantError(`No SQL for field ${e.name}`);
                }
              }));
              return `coalesce(e.edges${edges.length - 1}, '[]'::json)`;
            case 'pageInfo':
              cursors ||= f.fields?.some((i) => i.name === 'startCursor' || i.name === 'endCursor') ?? false;
              return objectSql('PageInfo', f.fields ?? [], (i) => column({
                hasNextPage: 'e.n >= $1', hasPreviousPage: String(hasPrevious),
                startCursor: 'e.cursors[1]', endCursor: 'e.cursors[array_length(e.cursors, 1)]',
              }, i));
            case 'totalCount':
              return `(SELECT count(*)::int FROM unit u ${whereSql(filtered)})`;
            default:
              throw new PlanInvariantError(`No SQL for field ${f.name}`);
          }
        });
        // The row after the page (rn = $1) only says there is a next page: it is not shaped.
        return `WITH p AS (SELECT u.*, row_number() OVER (ORDER BY u.name COLLATE "vietnamese", u.code) AS rn
                             FROM unit u ${whereSql(where)} ORDER BY u.name COLLATE "vietnamese", u.code LIMIT $1)
          SELECT ${connection}::text AS body FROM (
            SELECT ${edges.map((edge, i) => `json_agg(${edge} ORDER BY u.rn) FILTER (WHERE u.rn < $1) AS edges${i}, `).join('')}
                   ${cursors ? `array_agg(${cursorSql('u')} ORDER BY u.rn) FILTER (WHERE u.rn < $1) AS cursors, ` : ''}count(*)::int AS n
              FROM p u ${seesSql('$2', '$3')}) e`;
      });
      const { rows } = await namedQuery<{ body: string }>(source.pool, statement, params);
      return rows[0].body;
    },
  };
}

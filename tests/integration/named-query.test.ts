import { Pool } from 'pg';
import { NamedQuery, namedQuery } from '../../src/db/named-query';

/**
 * namedQuery (src/db/named-query.ts) runs a statement as pool.query({ name,
 * text, values }) does: prepared once per connection under its name, its
 * rows and errors answered through the pool's promise, the connection
 * given back either way.
 */
let pool: Pool;
beforeAll(() => {
  pool = new Pool({ connectionString: process.env.TEST_PG_ADMIN_URL, max: 1 });
});
afterAll(async () => { await pool?.end(); });

const STATEMENT = { name: 'named_query_test', text: 'SELECT $1::int + 1 AS n, $2::text AS s' };

test('a named statement is prepared once on its connection and answers each call with its own values', async () => {
  const first = await namedQuery<{ n: number; s: string }>(pool, STATEMENT, [1, 'a']);
  const second = await namedQuery<{ n: number; s: string }>(pool, STATEMENT, [41, 'b']);
  expect(first.rows).toEqual([{ n: 2, s: 'a' }]);
  expect(second.rows).toEqual([{ n: 42, s: 'b' }]);
  // One connection (max 1): the statement is there under its name, with its text, prepared once.
  const { rows } = await pool.query(`SELECT statement FROM pg_prepared_statements WHERE name = $1`, [STATEMENT.name]);
  expect(rows).toEqual([{ statement: STATEMENT.text }]);
  // As pool.query with the config gives it.
  expect((await pool.query({ ...STATEMENT, values: [41, 'b'] })).rows).toEqual(second.rows);
});

test('an unnamed statement runs unprepared; an error rejects and leaves the connection usable', async () => {
  expect((await namedQuery<{ x: string }>(pool, { text: 'SELECT $1::text AS x' }, ['y'])).rows).toEqual([{ x: 'y' }]);
  await expect(namedQuery(pool, STATEMENT, ['not a number', 'c'])).rejects.toThrow(/invalid input syntax for type integer/);
  expect((await namedQuery<{ n: number }>(pool, STATEMENT, [9, 'd'])).rows[0].n).toBe(10);
  expect(pool.totalCount).toBe(1);
  expect(pool.idleCount).toBe(1);
});

test('toConfig gives the same statement as a config, for a wrapper that may run it twice', () => {
  const query = new NamedQuery(STATEMENT, [1, 'a']);
  expect(query.name).toBe(STATEMENT.name);
  expect(query.toConfig()).toEqual({ ...STATEMENT, values: [1, 'a'] });
});

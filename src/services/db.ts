import type { DataSource, EntityManager } from 'typeorm';

/**
 * What a service runs its statements on: a DataSource (statements on the
 * pool, `transaction` opening one), or the EntityManager a transaction gives
 * (statements inside it, `transaction` nesting as a savepoint). Services keep
 * the EntityManager (a DataSource's own is `manager`: the same statements as
 * the DataSource's), so they are typed on what a transaction gives and run
 * inside one unchanged: `new UnitService(tx)` in `db.transaction(async (tx) => …)`.
 */
export type Db = DataSource | EntityManager;

/** The EntityManager of a Db. */
export function managerOf(db: Db): EntityManager {
  return 'manager' in db ? db.manager : db;
}

import { Client } from 'pg';
import { requestScope } from '../../src/db/pool-gate';

/**
 * The SQL statements `run` made inside HTTP requests' scopes (src/db/pool-gate.ts),
 * counted at the driver. Background work (the health probe on its own connection,
 * the roll-up, recomputations, live notifications) runs outside any request's scope
 * and may land at the same moment: it is not counted.
 */
export async function requestStatements<T>(run: () => Promise<T>): Promise<{ result: T; statements: unknown[] }> {
  const original = Client.prototype.query;
  const statements: unknown[] = [];
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    if (requestScope.getStore()) statements.push(args[0]);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  try {
    return { result: await run(), statements };
  } finally {
    spy.mockRestore();
  }
}

import { Pool } from 'pg';
import { PoolBusyError, PoolGate, requestScope } from '../../src/db/pool-gate';

/*
 * Issue 11: callers over their share of a busy database hold few of the
 * readers' connections all together (the heavy lane), so that their
 * statements leave PostgreSQL's CPUs to everyone else; a caller within its
 * share is not held behind them.
 */

let pool: Pool;
beforeAll(() => {
  pool = new Pool({ connectionString: process.env.TEST_PG_ADMIN_URL, max: 6 });
});
afterAll(async () => { await pool.end(); });

/** One statement as a request of `caller` would run it: through the gate, in the request's scope (a reader's unless said). */
function statement(caller: string, sql: string, reader = true): Promise<unknown> {
  return requestScope.run({ dbMs: 0, caller, reader }, () => pool.query(sql));
}

/** The most connections heavy callers held at once while `work` ran, sampled every 5 ms. */
async function mostHeavy(gate: PoolGate, work: Promise<unknown>): Promise<number> {
  let most = 0;
  let done = false;
  void work.finally(() => { done = true; }).catch(() => undefined);
  while (!done) {
    most = Math.max(most, (gate.stats.byCaller['heavy-a'] ?? 0) + (gate.stats.byCaller['heavy-b'] ?? 0));
    await new Promise((r) => setTimeout(r, 5));
  }
  await work;
  return most;
}

function gateOf(lane: boolean, requestWaitMs = 5000): PoolGate {
  // A fresh pg pool method each time: the gate wraps pool.connect.
  (pool as unknown as { connect: unknown }).connect = Pool.prototype.connect;
  const gate = new PoolGate(pool, { name: 'read', size: 6, requestWaitMs, backgroundWaitMs: 5000, maxPerCaller: 3 });
  if (lane) gate.heavyLane = { isHeavy: (caller) => caller.startsWith('heavy'), max: 1 };
  return gate;
}

const SLEEP = 'SELECT pg_sleep(0.15)';

test('without the lane two heavy callers hold six connections; with it one at a time, and a light caller is not held behind them', async () => {
  let finished = 0;
  const heavyWork = () => Promise.all([...Array(3)].flatMap(() => ['heavy-a', 'heavy-b'].map(
    (caller) => statement(caller, SLEEP).then(() => { finished++; }))));

  expect(await mostHeavy(gateOf(false), heavyWork())).toBe(6);

  const gate = gateOf(true);
  finished = 0;
  const heavy = heavyWork();
  await new Promise((r) => setTimeout(r, 30));
  await statement('portal', 'SELECT 1');
  // The light statement took a free connection at once, while the heavy ones ran one after the other
  // (without the lane it would have waited for the six of them to end together).
  expect(finished).toBeLessThanOrEqual(2);
  expect(await mostHeavy(gate, heavy)).toBe(1);
  expect(finished).toBe(6);
  expect(gate.stats).toMatchObject({ inUse: 0, waiting: 0, heavy: 0 });
});

test('a heavy caller waits for the lane at most the pool wait, then is told the service is busy', async () => {
  const gate = gateOf(true, 100);
  const outcomes = await Promise.allSettled([statement('heavy-a', 'SELECT pg_sleep(0.4)'), statement('heavy-b', 'SELECT 1')]);
  expect(outcomes[0].status).toBe('fulfilled');
  expect(outcomes[1].status).toBe('rejected');
  expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(PoolBusyError);
  expect(gate.stats).toMatchObject({ inUse: 0, waiting: 0, heavy: 0, busyRefusals: 1 });
});

test('a caller that may write (a token other than ANALYST) is never put in the lane: its transactions may need a second connection', async () => {
  const gate = gateOf(true);
  const writes = Promise.all([...Array(3)].flatMap(() => ['heavy-a', 'heavy-b'].map((caller) => statement(caller, SLEEP, false))));
  expect(await mostHeavy(gate, writes)).toBe(6);
  expect(gate.stats).toMatchObject({ inUse: 0, heavy: 0 });
});

test("the lane is asked with what the gate sees now: the caller's connection time held so far and the connections in use", async () => {
  (pool as unknown as { connect: unknown }).connect = Pool.prototype.connect;
  const gate = new PoolGate(pool, { name: 'read', size: 6, requestWaitMs: 5000, backgroundWaitMs: 5000, maxPerCaller: 3 });
  const asked: { caller: string; heldMs: number; inUse: number }[] = [];
  gate.heavyLane = { isHeavy: (caller, now) => { asked.push({ caller, ...now }); return false; }, max: 1 };
  const first = statement('heavy-a', 'SELECT pg_sleep(0.3)');
  await new Promise((r) => setTimeout(r, 150));
  await Promise.all([statement('heavy-a', 'SELECT 1'), statement('portal', 'SELECT 1')]);
  await first;
  // Its first statement had held its connection about 150 ms when the second was asked for; the portal held none.
  const second = asked.filter((a) => a.caller === 'heavy-a')[1];
  expect(second.heldMs).toBeGreaterThanOrEqual(120);
  expect(second.heldMs).toBeLessThan(300);
  expect(second.inUse).toBe(1);
  expect(asked.find((a) => a.caller === 'portal')).toMatchObject({ heldMs: 0 });
  // Given back, nothing is held.
  await statement('heavy-a', 'SELECT 1');
  expect(asked[asked.length - 1]).toMatchObject({ caller: 'heavy-a', heldMs: 0, inUse: 0 });
});

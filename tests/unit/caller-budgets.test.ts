import { CallerBudgets } from '../../src/protection/caller-budgets';

/** The per-caller rules of src/protection/caller-budgets.ts, on a clock of our own. */
function budgets(clock: { t: number }) {
  return new CallerBudgets({
    callerBudgets: { costPerSecAnonymous: 1000, costPerSecToken: 10000, dbMsPerSec: 300, dbSharePercent: 30, maxConcurrent: 2 },
    poolSize: 10, poolWaitMs: 50, maxOperationCost: { anonymous: 3000, token: 20000 },
  }, () => clock.t);
}

const flooder = CallerBudgets.callerOf(null, '10.0.0.66');
const portal = CallerBudgets.callerOf(null, '10.0.0.2');

/** One request of the caller that held its connections `dbMs`; whether it was admitted. */
async function run(b: CallerBudgets, caller: typeof flooder, dbMs: number): Promise<boolean> {
  const a = await b.admit(caller);
  if ('refusal' in a) return false;
  a.done(dbMs);
  return true;
}

test('while the database is busy, a caller over its share of database time is refused; a reader at its usual pace is not', async () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  const refused = { flooder: 0, portal: 0 };
  for (let ms = 0; ms < 10_000; ms += 100) {
    clock.t = ms;
    // The flooder asks for 10 statements of 60 ms each tenth of a second (6 connections' worth), the portal for one of 30 ms.
    for (let i = 0; i < 10; i++) if (!(await run(b, flooder, 60))) refused.flooder++;
    if (!(await run(b, portal, 30))) refused.portal++;
  }
  expect(refused.portal).toBe(0);
  expect(refused.flooder).toBeGreaterThan(500);
  const a = await b.admit(flooder);
  expect('refusal' in a && a.refusal.reason).toBe('DB_TIME');
  expect('refusal' in a && a.refusal.retryAfter).toBeGreaterThanOrEqual(1);
});

test('alone on an idle database, a caller is not refused for database time, however slow its statements', async () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  let refused = 0;
  for (let ms = 0; ms < 10_000; ms += 100) {
    clock.t = ms;
    // 200 ms a tenth of a second: two connections' worth, under a quarter of the pool.
    if (!(await run(b, portal, 200))) refused++;
  }
  expect(refused).toBe(0);
});

test('cost is charged per caller: over its rate it is refused with the seconds to wait; another caller is not', () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  // A bucket of 3,000 (one anonymous operation's budget), refilling at 1,000 per second.
  expect(b.chargeCost(flooder, 2000)).toBeUndefined();
  const refusal = b.chargeCost(flooder, 2000);
  expect(refusal?.reason).toBe('COST_RATE');
  expect(refusal?.retryAfter).toBe(1);
  expect(b.chargeCost(portal, 2000)).toBeUndefined();
  clock.t = 1000;
  expect(b.chargeCost(flooder, 2000)).toBeUndefined();
});

test('a caller runs at most maxConcurrent operations at once; the next waits, then is refused', async () => {
  const b = budgets({ t: 0 });
  const first = await b.admit(portal);
  const second = await b.admit(portal);
  expect('done' in first && 'done' in second).toBe(true);
  const third = await b.admit(portal);
  expect('refusal' in third && third.refusal.reason).toBe('CONCURRENCY');
  const waiting = b.admit(portal);
  if ('done' in first) first.done(0);
  expect('done' in (await waiting)).toBe(true);
});

test('operations refused over their limits cost their caller: repeated, the caller is refused at the door until its bucket refills', async () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  // Anonymous: 1,000 per second, a burst of 3,000 (the operation budget). Each refusal costs the budget, 3,000.
  expect(await run(b, flooder, 0)).toBe(true);
  b.chargeRefused(flooder, 3000);
  const door = await b.admit(flooder);
  expect('refusal' in door && door.refusal.reason).toBe('COST_RATE');
  expect('refusal' in door && door.refusal.retryAfter).toBe(1);
  // Another caller is not touched.
  expect(await run(b, portal, 0)).toBe(true);
  // Debt is bounded by the burst: ten more refusals leave it at -3,000, six seconds from a full bucket, not thirty.
  for (let i = 0; i < 10; i++) b.chargeRefused(flooder, 3000);
  clock.t = 2_900;
  expect(await run(b, flooder, 0)).toBe(false);
  clock.t = 3_100;
  expect(await run(b, flooder, 0)).toBe(true);
  // Its next operation's cost is charged as before: 90 of the 100 refilled pass, 500 more are refused.
  expect(b.chargeCost(flooder, 90)).toBeUndefined();
  expect(b.chargeCost(flooder, 500)?.reason).toBe('COST_RATE');
});

test("a burst's requests waiting for a running slot are refused once the operations before them spent the caller's budget", async () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  // Two run (the caller's limit), three more pass the door on a full bucket and wait for a slot.
  const running = await Promise.all([b.admit(flooder), b.admit(flooder)]);
  const waiting = [b.admit(flooder), b.admit(flooder), b.admit(flooder)];
  // The two running are refused over the limits: each costs its caller the operation budget (3,000), the bucket is spent.
  b.chargeRefused(flooder, 3000);
  b.chargeRefused(flooder, 3000);
  for (const a of running) if ('done' in a) a.done(0);
  const outcomes = await Promise.all(waiting);
  expect(outcomes.map((a) => ('refusal' in a ? a.refusal.reason : 'admitted'))).toEqual(['COST_RATE', 'COST_RATE', 'COST_RATE']);
  // Their slots went back: another caller, and this one once its bucket refilled, are admitted.
  expect('done' in (await b.admit(portal))).toBe(true);
  clock.t = 10_000;
  const later = await b.admit(flooder);
  expect('done' in later).toBe(true);
});

test('a waiting request of a caller whose budget was not spent runs when a slot frees', async () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  const running = await Promise.all([b.admit(flooder), b.admit(flooder)]);
  const waiting = b.admit(flooder);
  expect(b.chargeCost(flooder, 100)).toBeUndefined();
  const first = running[0];
  if ('done' in first) first.done(0);
  expect('done' in (await waiting)).toBe(true);
});

test('slow start: a new caller has one second of its cost rate, a caller that has been around two', () => {
  const clock = { t: 0 };
  const b = new CallerBudgets({
    callerBudgets: { costPerSecAnonymous: 10_000, costPerSecToken: 100_000, dbMsPerSec: 300, dbSharePercent: 30, maxConcurrent: 2 },
    poolSize: 10, poolWaitMs: 50, maxOperationCost: { anonymous: 3000, token: 30_000 },
  }, () => clock.t);
  // New: 10,000 (a second of the rate), not the burst of 20,000.
  expect(b.chargeCost(flooder, 6000)).toBeUndefined();
  expect(b.chargeCost(flooder, 5000)?.reason).toBe('COST_RATE');
  // Two seconds later the bucket has filled to the whole burst.
  clock.t = 2000;
  expect(b.chargeCost(flooder, 20_000)).toBeUndefined();
  // A token likewise: 100,000 at first, of a burst of 200,000.
  const token = CallerBudgets.callerOf({ kind: 'token', tokenId: 7 } as never, '10.0.0.9');
  expect(b.chargeCost(token, 100_001)?.reason).toBe('COST_RATE');
  expect(b.chargeCost(token, 100_000)).toBeUndefined();
  // The rate's second is less than one operation of the largest budget: the caller starts with that operation.
  const small = new CallerBudgets({
    callerBudgets: { costPerSecAnonymous: 100, costPerSecToken: 100, dbMsPerSec: 300, dbSharePercent: 30, maxConcurrent: 2 },
    poolSize: 10, poolWaitMs: 50, maxOperationCost: { anonymous: 3000, token: 30_000 },
  }, () => clock.t);
  expect(small.chargeCost(portal, 3000)).toBeUndefined();
});

test("the lane's rule counts what runs now: a new caller's long statements and a pool in use, before any request ends", async () => {
  const clock = { t: 0 };
  const b = budgets(clock);
  // Nothing has ended yet: no rate says the database is busy or the flooder heavy.
  expect(b.overShare(flooder.key)).toBe(false);
  // The floor is 300 ms a second over a 3-second window: 900 ms of connection time held so far by its running
  // statements is over it, 600 ms is not; and only while the database is busy (over 2 of the 10 connections in use).
  expect(b.overShare(flooder.key, { heldMs: 1200, inUse: 4 })).toBe(true);
  expect(b.overShare(flooder.key, { heldMs: 600, inUse: 4 })).toBe(false);
  expect(b.overShare(flooder.key, { heldMs: 1200, inUse: 2 })).toBe(false);
  // A reader at its usual pace holds little: it is not put in the lane, however busy the pool.
  expect(b.overShare(portal.key, { heldMs: 30, inUse: 10 })).toBe(false);
  // Once requests have ended, their time counts as before: the flooder's 3.6 s of statements (the rates alone say busy).
  for (let i = 0; i < 60; i++) await run(b, flooder, 60);
  expect(b.overShare(flooder.key)).toBe(true);
  expect(b.overShare(portal.key)).toBe(false);
});

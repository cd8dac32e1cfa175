import { startTestService, type TestService } from '../support/test-service';
import { buildProvince } from './results-fixture';

/*
 * Issue 18, background work once: the recomputation scheduler ticks on the
 * one instance holding its advisory lock (src/shared-state/background-lock.ts);
 * a year marked dirty on another instance reaches it through NOTIFY, and
 * when it stops another takes over.
 */

let a: TestService;
let b: TestService;
beforeAll(async () => {
  a = await startTestService({ recomputeIntervalMs: 200 });
  b = await startTestService({ databaseUrl: a.databaseUrl, recomputeIntervalMs: 200 });
  await buildProvince(a);
});
afterAll(async () => {
  await b?.stop();
  await a?.stop().catch(() => undefined);
});

async function waitFor(what: string, check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('one instance leads; a year marked dirty on the other is recomputed by the leader alone; when the leader stops, the other takes over', async () => {
  expect([a.service.services.recompute.leading, b.service.services.recompute.leading]).toEqual([true, false]);
  const [{ id: cycleId }] = await a.sql(`SELECT id FROM cycle WHERE year = 2023 AND unit_kind = 'DEPARTMENT'`);
  // What each instance's engine is asked to recompute from now on (observed, not replaced).
  const calls = { a: [] as unknown[][], b: [] as unknown[][] };
  for (const [name, t] of [['a', a], ['b', b]] as const) {
    const results = t.service.services.results;
    const recompute = results.recompute.bind(results);
    results.recompute = (...args: Parameters<typeof recompute>) => {
      calls[name].push(args);
      return recompute(...args);
    };
  }
  // B marks 2023 dirty (as its roll-up would after adding responses): A hears it and brings the cycle up to date.
  b.service.services.recompute.markDirty(2023, 'DEPARTMENT' as never);
  await waitFor('A recomputing 2023 for B', () => calls.a.some(([id, only]) => id === cycleId && (only as { surveyed?: boolean })?.surveyed), 10_000);
  await new Promise((r) => setTimeout(r, 600)); // three of B's intervals: it ticks nothing
  expect(calls.b).toEqual([]);

  // The leader goes (its lock with its connection): B leads within a few intervals and starts with a full pass.
  await a.service.stop();
  await waitFor('B leading', () => b.service.services.recompute.leading, 10_000);
  await waitFor('B recomputing every unpublished cycle', () => calls.b.some(([id, only]) => id === cycleId && only === undefined), 10_000);
}, 120_000);

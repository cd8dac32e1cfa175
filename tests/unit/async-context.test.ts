import { slot } from '../../src/util/async-context';

/** src/util/async-context.ts: three parts of one AsyncLocalStorage, each set and cleared alone. */
const info = slot<{ requestId: string }>('info');
const scope = slot<{ dbMs: number }>('scope');
const actor = slot<{ actor: string }>('actor');

const tick = () => new Promise((r) => setImmediate(r));

test('each part is set for its callback and the async work it starts, the other parts kept', async () => {
  expect(info.getStore()).toBeUndefined();
  const seen = await info.run({ requestId: 'r1' }, () => scope.run({ dbMs: 0 }, async () => {
    await tick();
    const inner = await actor.run({ actor: 'Lan' }, async () => {
      await tick();
      return [info.getStore()?.requestId, scope.getStore()?.dbMs, actor.getStore()?.actor];
    });
    // Outside actor.run the actor is unset again; the request and its scope are not.
    return [...inner, actor.getStore(), info.getStore()?.requestId, scope.getStore()?.dbMs];
  }));
  expect(seen).toEqual(['r1', 0, 'Lan', undefined, 'r1', 0]);
  expect(info.getStore()).toBeUndefined();
});

test('exit unsets its part alone: background work started in a request keeps its request id and actor, not its scope', async () => {
  const seen = await info.run({ requestId: 'r2' }, () => actor.run({ actor: 'Minh' }, () => scope.run({ dbMs: 5 }, () =>
    scope.exit(async () => {
      await tick();
      return [info.getStore()?.requestId, actor.getStore()?.actor, scope.getStore()];
    }))));
  expect(seen).toEqual(['r2', 'Minh', undefined]);
});

test('two requests at once each read their own', async () => {
  const one = (id: string, ms: number) => info.run({ requestId: id }, async () => {
    await new Promise((r) => setTimeout(r, ms));
    return info.getStore()?.requestId;
  });
  expect(await Promise.all([one('a', 20), one('b', 5)])).toEqual(['a', 'b']);
});

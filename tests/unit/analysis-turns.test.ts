import { AnalysisTurns, documentChars } from '../../src/http/analysis-turns';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('large documents take turns one at a time, in the order they came', async () => {
  const turns = new AnalysisTurns(100);
  const log: string[] = [];
  const run = async (name: string, work: () => Promise<void>) => {
    const end = await turns.take();
    log.push(`start ${name}`);
    await work();
    log.push(`end ${name}`);
    end();
  };
  let releaseA!: () => void;
  const a = run('a', () => new Promise<void>((r) => { releaseA = r; }));
  const b = run('b', async () => undefined);
  const c = run('c', async () => undefined);
  for (let i = 0; i < 5; i++) await tick();
  // b and c wait while a holds its turn, however long.
  expect(log).toEqual(['start a']);
  expect(turns.idle).toBe(false);
  releaseA();
  await Promise.all([a, b, c]);
  expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  expect(turns.counts).toEqual({ taken: 3, waited: 2 });
  expect(turns.idle).toBe(true);
});

test('the event loop turns between two analyses: what was queued meanwhile (a socket read, an answer) runs first', async () => {
  const turns = new AnalysisTurns(1);
  const log: string[] = [];
  const endA = await turns.take();
  const b = turns.take().then((end) => { log.push('b starts'); return end; });
  // Queued while a is analysed: an I/O callback would be, a check-phase callback stands for it here.
  setImmediate(() => log.push('meanwhile'));
  endA();
  (await b)();
  expect(log).toEqual(['meanwhile', 'b starts']);
});

test('ending a turn twice does not let two analyses run at once', async () => {
  const turns = new AnalysisTurns(1);
  const endA = await turns.take();
  let bStarted = false;
  let cStarted = false;
  const b = turns.take().then((end) => { bStarted = true; return end; });
  const c = turns.take().then((end) => { cStarted = true; return end; });
  endA();
  endA();
  const endB = await b;
  for (let i = 0; i < 5; i++) await tick();
  expect(bStarted).toBe(true);
  expect(cStarted).toBe(false);
  endB();
  (await c)();
  expect(turns.idle).toBe(true);
});

test('what a turn is taken for: the documents\' characters, of a POST body, a batch or GET\'s query; the threshold', () => {
  expect(documentChars({ query: '{ units { totalCount } }', variables: { x: 'y'.repeat(1000) } }, undefined)).toBe(24);
  expect(documentChars([{ query: 'abc' }, { query: 'de' }, { nope: 1 }], undefined)).toBe(5);
  expect(documentChars(undefined, new URLSearchParams({ query: '{ a }' }))).toBe(5);
  expect(documentChars(undefined, new URLSearchParams())).toBe(0);
  expect(documentChars({ query: 42 }, undefined)).toBe(0);
  const turns = new AnalysisTurns(512);
  expect(turns.wants(511)).toBe(false);
  expect(turns.wants(512)).toBe(true);
  expect(new AnalysisTurns(0).wants(0)).toBe(true);
});

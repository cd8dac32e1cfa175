import type { RecomputeStats } from '../../src/results/results.service';
import { startTestService, type TestService } from '../support/test-service';

/**
 * submitExpertScores recomputes the one unit and moves only the rows whose
 * rank or position changes (src/results/unit-update.ts), and what it leaves
 * is exactly what a full recomputation writes: every row of index_result and
 * domain_result, ties listed by Vietnamese name (numbers by value), then code.
 *
 * 30 communes under 3 districts (names differing by tones, numbers); framework 2024 COMMUNE: D1 (C1, C2 of 2
 * points), D2 (C3 of 1), D3 (C4 of 1); points in halves, so ties abound; C3
 * not applicable leaves D2 without a score; all four not applicable leaves
 * the commune without an index (no row).
 */
let t: TestService;
let appraiser: string;
let cycleId: number;
const stats: RecomputeStats[] = [];

const LEAVES = ['C1', 'C2', 'C3', 'C4'];
const MAX: Record<string, number> = { C1: 2, C2: 2, C3: 1, C4: 1 };
const NAMES = ['Xã 2', 'Xã 10', 'Xã An', 'Xã Ân', 'Xã Ấn', 'Phường 1', 'Phường 10', 'Phường 9', 'Xã Đông', 'Xã Dương'];
const communes = Array.from({ length: 30 }, (_, i) => ({
  code: `C${String(i + 1).padStart(2, '0')}`,
  // Names unique among the kind, many of them equal up to tones and numbers.
  name: `${NAMES[(i * 7) % NAMES.length]}${['', ' Bắc', ' Bac'][Math.floor(i / 10)]}`,
  parent: `H${(i % 3) + 1}`,
}));

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBMIT = `mutation($input: SubmitExpertScoresInput!) { submitExpertScores(input: $input) { score rank stale } }`;

/** Every stored row of the cycle, with the transaction that last wrote it (xmin) apart. */
async function snapshot(): Promise<{ rows: Map<string, string>; writers: Map<string, string> }> {
  const units = await t.sql(
    `SELECT 'u' || unit_id AS key, xmin::text AS writer,
            concat_ws('|', score, expert_score, survey_score, earned_points, max_points, rank, parent_rank, previous_rank,
                      band_code, responses, survey_insufficient, provisional, position, parent_position, published) AS row
       FROM index_result WHERE cycle_id = $1`, [cycleId]);
  const domains = await t.sql(
    `SELECT 'd' || unit_id || ':' || domain_id AS key, xmin::text AS writer,
            concat_ws('|', coalesce(score::text, '-'), earned_points, max_points, rank, position) AS row
       FROM domain_result WHERE cycle_id = $1`, [cycleId]);
  const all = [...units, ...domains];
  return { rows: new Map(all.map((r) => [r.key, r.row])), writers: new Map(all.map((r) => [r.key, r.writer])) };
}

/** The keys whose figures differ between two snapshots (added, removed or changed). */
function differing(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

/** The keys present in both whose row some transaction wrote in between. */
function rewritten(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k)).sort();
}

async function submit(unitCode: string, scores: Record<string, number | 'NA'>): Promise<{ score: number; rank: number; stale: boolean }> {
  const input = {
    year: 2024, unitCode, round: 'APPRAISAL',
    scores: Object.entries(scores).map(([criterionCode, p]) => (p === 'NA' ? { criterionCode, notApplicable: true } : { criterionCode, points: p })),
  };
  const r = await t.gql(SUBMIT, { input }, appraiser);
  if (r.errors) {
    // No index any more: the scores are stored, there is no result to return (CONFLICT, as before).
    expect(r.errors[0].message).toMatch(/has no 2024 index/);
    return { score: NaN, rank: NaN, stale: false };
  }
  return r.data.submitExpertScores;
}

function randomScores(next: () => number): Record<string, number | 'NA'> {
  const out: Record<string, number | 'NA'> = {};
  for (const leaf of LEAVES) {
    if (next() < 0.4) continue;
    out[leaf] = next() < 0.12 ? 'NA' : Math.floor(next() * (2 * MAX[leaf] + 1)) / 2;
  }
  if (Object.keys(out).length === 0) out.C1 = Math.floor(next() * 5) / 2;
  return out;
}

beforeAll(async () => {
  t = await startTestService({ recomputeIntervalMs: 60000 });
  const create = `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`;
  for (const d of [1, 2, 3]) await t.ok(create, { input: { code: `H${d}`, name: `Huyện ${d}`, kind: 'DISTRICT' } });
  for (const c of communes) await t.ok(create, { input: { code: c.code, name: c.name, kind: 'COMMUNE', parentCode: c.parent } });
  appraiser = (await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "P1"}) }`)).issueToken;
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, {
    input: { year: 2024, unitKind: 'COMMUNE', domains: [
      { code: 'D1', name: 'Chỉ đạo', criteria: [
        { code: 'C1', name: 'Kế hoạch', maxPoints: 2, source: 'EXPERT' }, { code: 'C2', name: 'Kiểm tra', maxPoints: 2, source: 'EXPERT' }] },
      { code: 'D2', name: 'Thủ tục', criteria: [{ code: 'C3', name: 'Công khai', maxPoints: 1, source: 'EXPERT' }] },
      { code: 'D3', name: 'Tổ chức', criteria: [{ code: 'C4', name: 'Bộ máy', maxPoints: 1, source: 'EXPERT' }] },
    ] },
  });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: COMMUNE) { status } }`);
  [{ id: cycleId }] = await t.sql(`SELECT id FROM cycle WHERE year = 2024 AND unit_kind = 'COMMUNE'`);
  // Everyone scored once, straight into the table, then one full recomputation: the memo the updates start from.
  const next = random(7);
  for (const c of communes) {
    for (const leaf of LEAVES) {
      const na = next() < 0.1;
      await t.sql(
        `INSERT INTO expert_score (unit_id, criterion_id, round, panelist, points, not_applicable, entered_by)
         SELECT u.id, c.id, 'APPRAISAL', 'P1', $3, $4, 'P1' FROM unit u, criterion c WHERE u.code = $1 AND c.code = $2 AND c.cycle_id = $5`,
        [c.code, leaf, na ? null : Math.floor(next() * (2 * MAX[leaf] + 1)) / 2, na, cycleId]);
    }
  }
  await t.service.services.results.recompute(cycleId);
  // Record what each recomputation did (single-unit update or full).
  const results = t.service.services.results;
  const real = results.recompute.bind(results);
  results.recompute = async (...args: Parameters<typeof real>) => {
    const s = await real(...args);
    stats.push(s);
    return s;
  };
}, 120000);
afterAll(async () => { await t?.stop(); });

test('a series of single-unit updates writes only the rows that move, and leaves what a full recomputation writes', async () => {
  const next = random(42);
  let steps = 0;
  for (let i = 0; i < 40; i++) {
    const unit = communes[Math.floor(next() * communes.length)].code;
    // Now and then the unit loses its index (every leaf not applicable), and gets it back later.
    const scores = i % 9 === 4 ? Object.fromEntries(LEAVES.map((l) => [l, 'NA' as const])) : randomScores(next);
    const before = await snapshot();
    stats.length = 0;
    const answer = await submit(unit, scores);
    const after = await snapshot();
    expect(stats).toHaveLength(1);
    expect(stats[0].incremental).toBeDefined(); // the single-unit path, not a full recomputation
    // Only the rows whose figures changed were written (and every such row was).
    expect(rewritten(before.rows, after.rows).filter((k) => before.writers.get(k) === after.writers.get(k))).toEqual([]);
    const written = [...after.rows.keys()].filter((k) => before.writers.has(k) && before.writers.get(k) !== after.writers.get(k)).sort();
    expect(written).toEqual(rewritten(before.rows, after.rows));
    // Rows written or deleted (a unit losing its index loses its domain rows with it).
    expect(stats[0].incremental!.unitRows + stats[0].incremental!.domainRows).toBe(differing(before.rows, after.rows).length);
    if (!Number.isNaN(answer.score)) {
      const [row] = await t.sql(
        `SELECT score::float AS score, rank FROM index_result r JOIN unit u ON u.id = r.unit_id WHERE r.cycle_id = $1 AND u.code = $2`,
        [cycleId, unit]);
      expect(answer).toEqual({ score: row.score, rank: row.rank, stale: false });
    }
    steps++;
    if (i % 10 === 9) {
      // A full recomputation now changes nothing: not one row written.
      const full = await t.service.services.results.recompute(cycleId);
      expect(full.incremental).toBeUndefined();
      const again = await snapshot();
      expect(differing(after.rows, again.rows)).toEqual([]);
      expect([...again.writers].filter(([k, w]) => after.writers.get(k) !== w)).toEqual([]);
    }
  }
  expect(steps).toBe(40);
  // Some units really moved, some really lost their index along the way (the test covers what it claims).
  expect((await t.sql(`SELECT count(*)::int AS n FROM index_result WHERE cycle_id = $1`, [cycleId]))[0].n).toBeLessThanOrEqual(30);
}, 120000);

test('the rows equal a full recomputation from nothing', async () => {
  // Updates in a row, without a full recomputation between them, then the stored rows against a fresh one.
  const next = random(99);
  for (let i = 0; i < 15; i++) await submit(communes[Math.floor(next() * communes.length)].code, randomScores(next));
  const incremental = await snapshot();
  await t.sql(`DELETE FROM index_result WHERE cycle_id = $1`, [cycleId]);
  await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
  await t.service.services.results.recompute(cycleId);
  expect(differing(incremental.rows, (await snapshot()).rows)).toEqual([]);
}, 60000);

test('a single-unit update committed while a full recomputation computes is not undone by it', async () => {
  const results = t.service.services.results as unknown as { writing: (id: number, task: () => Promise<unknown>) => Promise<unknown> };
  const real = results.writing.bind(results);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let held = false;
  let reached!: () => void;
  const atWrite = new Promise<void>((r) => { reached = r; });
  const unit = communes[4].code;
  await submit(unit, { C1: 0, C2: 0, C3: 0, C4: 0 });
  // The full recomputation's write waits (its reads are done) until the update below has committed.
  results.writing = (id, task) => {
    if (held) return real(id, task);
    held = true;
    reached();
    return gate.then(() => real(id, task));
  };
  try {
    const full = t.service.services.results.recompute(cycleId);
    await atWrite;
    const moved = await submit(unit, { C1: 2, C2: 2, C3: 1, C4: 1 });
    expect(moved).toMatchObject({ score: 100, stale: false });
    release();
    await full;
    const [row] = await t.sql(
      `SELECT score::float AS score FROM index_result r JOIN unit u ON u.id = r.unit_id WHERE r.cycle_id = $1 AND u.code = $2`, [cycleId, unit]);
    expect(row.score).toBe(100);
    // And the stored rows are a full recomputation's.
    const before = await snapshot();
    await t.service.services.results.recompute(cycleId);
    expect(differing(before.rows, (await snapshot()).rows)).toEqual([]);
  } finally {
    results.writing = real;
    release();
  }
}, 60000);

test('a full write of many rows analyzes the result tables (the moves after it are planned on their size); a small one or none does not', async () => {
  const results = t.service.services.results;
  const analyzed = async () => (await t.sql(
    `SELECT (SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'index_result')::int AS results,
            (SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'domain_result')::int AS domains`))[0];
  const before = await analyzed();
  // Another writer: the next recomputation writes every row again (30 communes and their domains), under the bound of 1,000.
  await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
  await results.recompute(cycleId);
  expect(await analyzed()).toEqual(before);
  const bound = results.analyzeAfterRows;
  results.analyzeAfterRows = 100;
  try {
    await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
    await results.recompute(cycleId);
    expect(await analyzed()).toEqual({ results: before.results + 1, domains: before.domains + 1 });
    const [sizes] = await t.sql(
      `SELECT (SELECT reltuples FROM pg_class WHERE relname = 'index_result')::int AS estimated, (SELECT count(*) FROM index_result)::int AS rows`);
    expect(sizes.estimated).toBe(sizes.rows);
    // Trusted again and nothing changed: no row written, no analysis.
    await results.recompute(cycleId);
    expect(await analyzed()).toEqual({ results: before.results + 1, domains: before.domains + 1 });
  } finally {
    results.analyzeAfterRows = bound;
  }
});

test('after another writer (a new token) the update is a full recomputation; a published cycle is never touched', async () => {
  await t.sql(`UPDATE result_state SET version = gen_random_uuid() WHERE cycle_id = $1`, [cycleId]);
  stats.length = 0;
  expect((await submit(communes[0].code, { C1: 2, C2: 2, C3: 1, C4: 1 })).score).toBe(100);
  expect(stats[0].incremental).toBeUndefined();
  expect(stats[0].units).toBeGreaterThan(1);
  // Trusted again: the next one is a single-unit update.
  stats.length = 0;
  await submit(communes[1].code, { C1: 1 });
  expect(stats[0].incremental).toBeDefined();

  await t.ok(`mutation { publishCycle(year: 2024, unitKind: COMMUNE) { status } }`);
  const before = await snapshot();
  const unitId = (await t.sql(`SELECT id FROM unit WHERE code = $1`, [communes[2].code]))[0].id;
  await t.sql(`UPDATE expert_score SET points = 0 WHERE unit_id = $1 AND NOT not_applicable`, [unitId]);
  expect((await t.service.services.results.recompute(cycleId, { unitId })).skipped).toBe('PUBLISHED');
  expect((await snapshot()).writers).toEqual(before.writers);
}, 60000);

import 'reflect-metadata';
import http from 'node:http';
import os from 'node:os';
import { startService, type RunningService } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { createDataSource } from '../src/db/data-source';
import { withScratchDatabase } from '../src/db/scratch-database';
import { UnitKind } from '../src/entities/enums';
import { createServices } from '../src/services';
import { buildYear, YEAR } from './scoring-year';

/**
 * `npm run bench:analysis`: the analysts' operations at national scale, in
 * one run, as ratios. Not a test.
 *
 * The national-scale year of bench:recompute (bench/scoring-year.ts: 12,000
 * districts, 47 leaves in 8 domains, 1,008,000 expert scores over two
 * years, 2,000,000 survey answers) in a scratch database, the service
 * started in-process on loopback. Then:
 *
 *   - one full recomputation of the year (median of RUNS after the first,
 *     which writes every row) against `sensitivity` with 1,000 draws over
 *     HTTP (median of RUNS, nothing else asked meanwhile): target ≤ 2 ×;
 *   - a portal's ranking page, read one after the other while idle and
 *     while one more sensitivity runs (its reads and method on the event
 *     loop in slices, its draws in the worker thread): the median latency
 *     while it runs against the idle one, target ≤ 2 ×;
 *   - `whatIf` of one unit (every EXPERT leaf replaced) against reading
 *     that unit's result.
 *
 * DATABASE_URL set: a fresh database on that server, dropped at the end;
 * unset: an embedded PostgreSQL in a temp dir. BENCH_DB_URL=<url of a
 * database kept by bench:recompute (BENCH_KEEP_DB=1)> skips building it.
 * Knobs: BENCH_DRAWS (1000), BENCH_RUNS (3).
 */
const DRAWS = Number(process.env.BENCH_DRAWS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ADMIN = 'bench-admin-token-0123456789';

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function post(url: URL, body: unknown): Promise<any> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${ADMIN}` },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (answer.errors) reject(new Error(JSON.stringify(answer.errors)));
          else resolve(answer.data);
        } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_DB_URL;
  if (reuse) return run(reuse);
  await withScratchDatabase('par_bench', async ({ url }) => {
    const db = createDataSource({ url, poolSize: 8, statementTimeoutMs: 600000 });
    await db.initialize();
    await db.runMigrations();
    await buildYear(db, createServices(db, createLogger('warn')), async (label, fn) => {
      const [ms] = await timed(fn);
      console.log(`  ${label.padEnd(48)} ${(ms / 1000).toFixed(2)} s`);
    });
    await db.destroy();
    await run(url);
  }, { keep: !!process.env.BENCH_KEEP_DB });
}

async function run(dbUrl: string): Promise<void> {
  let service: RunningService | undefined;
  try {
    const config = loadConfig({});
    service = await startService({
      ...config, port: 0, databaseUrl: dbUrl, adminToken: ADMIN, seedDemo: false, logLevel: 'warn',
      // One token asks everything here: no per-caller refusals.
      callerBudgets: { ...config.callerBudgets, costPerSecToken: 1e9, dbMsPerSec: 1e9, dbSharePercent: 100 },
    }, createLogger('warn'));
    const url = new URL(service.url);
    const { results } = service.services;
    const cycleId = (await results.cycleIdOf(YEAR, UnitKind.DISTRICT))!;
    const previousId = (await results.cycleIdOf(YEAR - 1, UnitKind.DISTRICT))!;
    await service.db.query(`UPDATE cycle SET status = 'OPEN' WHERE id = $1 AND status = 'DRAFT'`, [cycleId]);
    await results.recompute(previousId);
    const first = await results.recompute(cycleId);
    const recomputes: number[] = [];
    for (let i = 0; i < RUNS; i++) recomputes.push((await results.recompute(cycleId)).ms);
    const recompute = median(recomputes);
    console.log(`${os.cpus().length} CPUs; full recomputation of ${YEAR}: first ${first.ms.toFixed(0)} ms (every row written), then ${recomputes.map((m) => m.toFixed(0)).join(', ')} ms`);

    // A portal's ranking page; `first` varies so that no answer comes from the response cache.
    let page = 0;
    const portal = () => post(url, {
      query: `query($first: Int) { rankings(year: ${YEAR}, unitKind: DISTRICT, first: $first) {
        totalCount edges { rank score node { unit { code name } band { code } } } } }`,
      variables: { first: 20 + (page++ % 30) },
    });
    const sensitivity = (draws: number) => post(url, {
      query: `query($input: SensitivityInput!) { sensitivity(input: $input) { unit { code } rank medianRank rankLow rankHigh } }`,
      variables: { input: { year: YEAR, unitKind: 'DISTRICT', draws } },
    });

    await sensitivity(1); // starts the worker thread
    for (let i = 0; i < 20; i++) await portal();
    const idle: number[] = [];
    for (let i = 0; i < 60; i++) idle.push((await timed(portal))[0]);

    // Alone, as the recomputation was timed; then once more with the portal reading all along.
    const runs: number[] = [];
    let answered: { sensitivity: unknown[] } | undefined;
    for (let i = 0; i < RUNS; i++) {
      const [ms, answer] = await timed(() => sensitivity(DRAWS));
      runs.push(ms);
      answered = answer;
    }
    const during: number[] = [];
    let busy = true;
    const reading = (async () => { while (busy) during.push((await timed(portal))[0]); })();
    const [withPortal] = await timed(() => sensitivity(DRAWS));
    busy = false;
    await reading;
    const drawsMs = median(runs);
    const units = answered!.sensitivity.length;

    // What-if of one unit, every EXPERT leaf replaced, against reading that unit's result.
    const leaves: { code: string; max: number }[] = await service.db.query(
      `SELECT code, max_points::float AS max FROM criterion c
        WHERE cycle_id = $1 AND source = 'EXPERT' AND NOT EXISTS (SELECT 1 FROM criterion k WHERE k.parent_id = c.id)`, [cycleId]);
    const codes: { code: string }[] = await service.db.query(`SELECT code FROM unit WHERE kind = 'DISTRICT' ORDER BY id`);
    const unitAt = (i: number) => codes[(i * 7919) % codes.length].code;
    const whatIfs: number[] = [];
    const reads: number[] = [];
    for (let i = 0; i < 30; i++) {
      reads.push((await timed(() => post(url, {
        query: `query($code: String!) { unit(code: $code) { result(year: ${YEAR}) { score rank band { code } domains { score rank } } } }`,
        variables: { code: unitAt(i) },
      })))[0]);
      whatIfs.push((await timed(() => post(url, {
        query: `query($code: String!, $scores: [WhatIfScore!]!) { whatIf(year: ${YEAR}, unitCode: $code, scores: $scores) {
          score rank band { code } domains { score rank } } }`,
        variables: { code: unitAt(i), scores: leaves.map((l, k) => ({ criterionCode: l.code, points: Math.round(l.max * ((i + k) % 10)) / 10 })) },
      })))[0]);
    }

    console.log('');
    console.log(`sensitivity, ${DRAWS} draws over ${units} units: ${runs.map((m) => m.toFixed(0)).join(', ')} ms (median ${drawsMs.toFixed(0)} ms)`);
    console.log(`  ${(drawsMs / recompute).toFixed(2)} × the full recomputation (median ${recompute.toFixed(0)} ms; target ≤ 2); ${withPortal.toFixed(0)} ms while the portal read all along`);
    console.log(`portal ranking page: idle median ${median(idle).toFixed(1)} ms (${idle.length} reads), `
      + `while the sensitivity runs ${median(during).toFixed(1)} ms (${during.length} reads, max ${Math.max(...during).toFixed(0)} ms)`);
    console.log(`  ${(median(during) / median(idle)).toFixed(2)} × idle (target ≤ 2)`);
    console.log(`whatIf of one unit (${leaves.length} leaves replaced): median ${median(whatIfs).toFixed(1)} ms; `
      + `reading that unit's result: median ${median(reads).toFixed(1)} ms (${(median(whatIfs) / median(reads)).toFixed(2)} ×); `
      + `${(median(whatIfs) / recompute).toFixed(3)} × the full recomputation`);
  } finally {
    await service?.stop();
    agent.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
}).then(() => process.exit(0));

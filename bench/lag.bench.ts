import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { Pool } from 'pg';
import { startService, type RunningService } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { createDataSource } from '../src/db/data-source';
import { withScratchDatabase } from '../src/db/scratch-database';
import { UnitKind } from '../src/entities/enums';
import { createServices } from '../src/services';
import { buildYear, YEAR } from './scoring-year';

/**
 * `npm run bench:lag`: how long a survey response takes to show in the
 * figures while KIOSKS kiosks submit at national scale. Not a test.
 *
 * The national-scale year of bench:recompute (12,000 districts, 400,000
 * responses already counted), the service started in-process on loopback
 * with its background roll-up and recomputation as configured (defaults:
 * TALLY_INTERVAL_MS 500, RECOMPUTE_INTERVAL_MS 1000), then KIOSKS kiosks of
 * as many districts each send a response, wait THINK_MS, and again, for
 * SECONDS. A watcher reads the kiosks' units' stored results every 100 ms.
 *
 * A response's lag: from the moment its ACCEPTED answer arrives to the
 * first read in which its unit's result counts as many responses as had
 * been accepted for the unit up to and including it (IndexResult.responses
 * against the count before the run). Printed as a distribution; responses
 * still not reflected WAIT_SECONDS after the load stopped are counted apart.
 *
 * DATABASE_URL set: a fresh database on that server, dropped at the end;
 * unset: an embedded PostgreSQL in a temp dir. BENCH_DB_URL=<url of a
 * database kept by bench:recompute (BENCH_KEEP_DB=1)> skips building it.
 * Knobs: BENCH_KIOSKS (200), BENCH_SECONDS (30), BENCH_THINK_MS (1000),
 * BENCH_WAIT_SECONDS (30).
 */
const KIOSKS = Number(process.env.BENCH_KIOSKS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 1000);
const WAIT_SECONDS = Number(process.env.BENCH_WAIT_SECONDS ?? 30);
const ADMIN = 'bench-admin-token-0123456789';
const SUBMIT = `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`;

const agent = new http.Agent({ keepAlive: true, maxSockets: KIOSKS + 4 });

/** POSTs, once more on a kept-alive socket the server had just closed (ECONNRESET before any answer). */
async function post(url: URL, token: string, body: unknown): Promise<any> {
  try {
    return await postOnce(url, token, body);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
    return postOnce(url, token, body);
  }
}

function postOnce(url: URL, token: string, body: unknown): Promise<any> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_DB_URL;
  if (reuse) return run(reuse);
  await withScratchDatabase('par_bench', async ({ url }) => {
    const db = createDataSource({ url, poolSize: 8, statementTimeoutMs: 600000 });
    await db.initialize();
    await db.runMigrations();
    await buildYear(db, createServices(db, createLogger('warn')), async (label, fn) => {
      const start = performance.now();
      await fn();
      console.log(`  ${label.padEnd(48)} ${((performance.now() - start) / 1000).toFixed(2)} s`);
    });
    await db.destroy();
    await run(url);
  }, { keep: !!process.env.BENCH_KEEP_DB });
}

async function run(dbUrl: string): Promise<void> {
  const logger = createLogger('warn');
  let service: RunningService | undefined;
  // A pool of one: a connection lost (another session ending backends) is opened again on the next read.
  const watcher = new Pool({ connectionString: dbUrl, max: 1 });
  watcher.on('error', () => undefined);
  try {
    service = await startService({
      ...loadConfig({}), port: 0, databaseUrl: dbUrl, adminToken: ADMIN, seedDemo: false, logLevel: 'warn',
      // Many kiosks on one machine: limits above what the benchmark sends.
      kioskRatePerSecond: 1_000_000, kioskRateBurst: 10_000_000,
    }, logger);
    const url = new URL(service.url);
    const config = loadConfig({});
    const cycleId = (await service.services.results.cycleIdOf(YEAR, UnitKind.DISTRICT))!;
    await service.db.query(`UPDATE cycle SET status = 'OPEN' WHERE id = $1 AND status = 'DRAFT'`, [cycleId]);
    // The figures before the load: one recomputation (shared with the scheduler's first one).
    const first = await service.services.results.recompute(cycleId);
    // Kiosks of KIOSKS districts spread over the year's units.
    const units: { code: string; id: number }[] = await service.db.query(
      `SELECT code, id FROM unit WHERE kind = 'DISTRICT' ORDER BY id`);
    const kiosks: { token: string; unitId: number }[] = [];
    for (let k = 0; k < KIOSKS; k++) {
      const unit = units[Math.floor((k * units.length) / KIOSKS)];
      for (let attempt = 0; ; attempt++) {
        const d = await post(url, ADMIN, {
          query: `mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { token } }`,
          variables: { input: { unitCode: unit.code, label: `Kiosk lag ${k}.${attempt}` } },
        });
        if (d.data?.registerKiosk) { kiosks.push({ token: d.data.registerKiosk.token, unitId: unit.id }); break; }
        if (attempt >= 5) throw new Error(`registerKiosk failed: ${JSON.stringify(d.errors)}`);
        await sleep(1000);
      }
    }
    console.log(`service at ${service.url}; ${KIOSKS} kiosks, think ${THINK_MS} ms, ${SECONDS} s; `
      + `TALLY_INTERVAL_MS ${config.tallyIntervalMs}, RECOMPUTE_INTERVAL_MS ${config.recomputeIntervalMs}; `
      + `${os.cpus().length} CPUs; a full recomputation before the load: ${first.ms.toFixed(0)} ms`);

    const unitIds = [...new Set(kiosks.map((k) => k.unitId))];
    const counts = async () => new Map<number, number>(((await watcher.query(
      'SELECT unit_id, responses FROM index_result WHERE cycle_id = $1 AND unit_id = ANY($2::int[])', [cycleId, unitIds])).rows)
      .map((r: { unit_id: number; responses: number }) => [r.unit_id, r.responses]));
    let base = await counts().catch(() => null);
    while (base === null) base = await counts().catch(() => null);
    /** Per unit, the accepted responses in order: when each was accepted, and when it was first seen counted. */
    const accepted = new Map<number, { at: number; seen?: number }[]>(unitIds.map((id) => [id, []]));

    let stop = false;
    let giveUp = false;
    let refused = 0;
    const watching = (async () => {
      while (!giveUp) {
        const now = await counts().catch(() => null);
        if (now === null) { await sleep(100); continue; }
        const at = performance.now();
        let pending = 0;
        for (const [unitId, list] of accepted) {
          const reflected = (now.get(unitId) ?? 0) - (base.get(unitId) ?? 0);
          list.forEach((r, i) => { if (r.seen === undefined && i < reflected) r.seen = at; });
          pending += list.filter((r) => r.seen === undefined).length;
        }
        if (stop && pending === 0) return;
        await sleep(100);
      }
    })();

    const started = performance.now();
    const day = (i: number) => new Date(Date.UTC(YEAR, i % 12, 1 + (i % 28), 2, i % 60)).toISOString();
    let n = 0;
    await Promise.all(kiosks.map(async (k, ki) => {
      await sleep((ki * THINK_MS) / KIOSKS); // spread the kiosks over one think time
      while (performance.now() - started < SECONDS * 1000) {
        const i = n++;
        const input = {
          clientId: randomUUID(), submittedAt: day(i),
          answers: Array.from({ length: 5 }, (_, q) => ({ questionCode: `Q${2 * q + 1 + (i % 2)}`, value: 1 + ((i + q) % 3) })),
        };
        const r = await post(url, k.token, { query: SUBMIT, variables: { input } });
        // DUPLICATE: the first attempt was stored, its answer lost with the socket (the same clientId was sent again).
        if (['ACCEPTED', 'DUPLICATE'].includes(r.data?.submitSurveyResponse?.status)) accepted.get(k.unitId)!.push({ at: performance.now() });
        else if (refused++ < 3) console.error(JSON.stringify(r));
        await sleep(THINK_MS);
      }
    }));
    const loadSeconds = (performance.now() - started) / 1000;
    stop = true;
    await Promise.race([watching, sleep(WAIT_SECONDS * 1000)]);
    giveUp = true;
    await watching;

    const all = [...accepted.values()].flat();
    const lags = all.filter((r) => r.seen !== undefined).map((r) => (r.seen! - r.at) / 1000).sort((a, b) => a - b);
    const missing = all.length - lags.length;
    console.log(`${all.length} responses accepted in ${loadSeconds.toFixed(1)} s (${(all.length / loadSeconds).toFixed(0)}/s), ${refused} not accepted`);
    console.log('lag from ACCEPTED to the figures (s):');
    for (const p of [50, 90, 95, 99]) console.log(`  p${p}`.padEnd(8) + percentile(lags, p).toFixed(2));
    console.log(`  max`.padEnd(8) + lags[lags.length - 1].toFixed(2));
    const buckets = [1, 2, 3, 4, 5, 7, 10, Infinity];
    let from = 0;
    for (const b of buckets) {
      const inside = lags.filter((l) => l >= from && l < b).length;
      console.log(`  ${from}–${b === Infinity ? '' : b} s`.padEnd(12) + `${String(inside).padStart(6)} ${'#'.repeat(Math.round((60 * inside) / Math.max(1, lags.length)))}`);
      from = b;
    }
    if (missing > 0) console.log(`  ${missing} not reflected within ${WAIT_SECONDS} s after the load stopped`);
    const p99 = percentile(lags, 99);
    console.log(`p99 ${p99.toFixed(2)} s (target ≤ 5 s)`);
  } finally {
    await watcher.end().catch(() => undefined);
    await service?.stop();
    agent.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
}).then(() => process.exit(0));

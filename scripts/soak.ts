/**
 * Soak test (issue 6): `npm run soak -- [--seconds 60] [--kiosks 200]`.
 * Not part of CI.
 *
 * 1. Starts its own PostgreSQL from the embedded binaries, in a temp dir.
 * 2. Starts the service as a child process (ts-node, or dist/src/main.js
 *    with --dist after `npm run build`) against it.
 * 3. Sets up through the API: units, the current year's questionnaire and
 *    an open DEPARTMENT framework with a SURVEY leaf, and the kiosks
 *    (registerKiosk).
 * 4. Drives the kiosks concurrently: each sends a rating with a fresh UUID
 *    clientId and resends that same request until it is acknowledged
 *    (ACCEPTED or DUPLICATE), backing off on errors, timeouts and refused
 *    connections; then makes the next one.
 * 5. Mid-run crashes PostgreSQL (immediate stop, SIGQUIT) and starts it
 *    again on the same port and data; later SIGKILLs the service and
 *    starts it again.
 * 6. At the end checks in the database that every acknowledged clientId is
 *    stored exactly once, with the responseId the service returned, and
 *    prints the figures and the service's RSS every 10 s.
 *
 * Exit code 0 when nothing acknowledged was lost or doubled, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../src/config/logger';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';
import { responseIdOf } from '../src/survey/ingestion.service';

// ---------------------------------------------------------------------------
// Options.

function parseArgs(argv: string[]) {
  const opts = {
    seconds: 60, kiosks: 200, units: 20, crashAt: NaN, killAt: NaN, termAt: NaN, pgDownSeconds: 3, drainSeconds: 10,
    timeoutMs: 10_000, dist: false, keep: false, thinkMs: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    switch (a) {
      case '--seconds': opts.seconds = num(); break;
      case '--kiosks': opts.kiosks = Math.max(1, Math.floor(num())); break;
      case '--units': opts.units = Math.max(1, Math.floor(num())); break;
      case '--crash-at': opts.crashAt = num(); break;
      case '--kill-at': opts.killAt = num(); break;
      case '--term-at': opts.termAt = num(); break;
      case '--pg-down-seconds': opts.pgDownSeconds = num(); break;
      case '--drain-seconds': opts.drainSeconds = num(); break;
      case '--timeout-ms': opts.timeoutMs = num(); break;
      case '--think-ms': opts.thinkMs = num(); break;
      case '--dist': opts.dist = true; break;
      case '--keep': opts.keep = true; break;
      case '-h': case '--help':
        process.stdout.write(`usage: npm run soak -- [--seconds 60] [--kiosks 200] [--units 20] [--crash-at S] [--kill-at S] [--term-at S]
  [--pg-down-seconds 3] [--drain-seconds 10] [--timeout-ms 10000] [--think-ms 0] [--dist] [--keep]
  --crash-at / --kill-at / --term-at: seconds into the run of the PostgreSQL crash, of the service
                          SIGKILL, and of a SIGTERM in the middle of the storm (defaults: 20%, 40%, 60% of --seconds)
  --dist: run dist/src/main.js (npm run build first) instead of src/main.ts through ts-node
  --keep: keep the temp dir (database, service logs)\n`);
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a} (try --help)`);
    }
  }
  if (Number.isNaN(opts.crashAt)) opts.crashAt = Math.round(opts.seconds * 0.2);
  if (Number.isNaN(opts.killAt)) opts.killAt = Math.round(opts.seconds * 0.4);
  if (Number.isNaN(opts.termAt)) opts.termAt = Math.round(opts.seconds * 0.6);
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const ROOT = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const t0 = Date.now();
const elapsed = () => (Date.now() - t0) / 1000;
const log = (msg: string) => process.stdout.write(`[${elapsed().toFixed(1).padStart(6)} s] ${msg}\n`);

const quietLogger: Logger = {
  debug: () => undefined, info: () => undefined,
  warn: (m, f) => log(`postgres: ${m} ${f ? JSON.stringify(f) : ''}`),
  error: (m, f) => log(`postgres: ${m} ${f ? JSON.stringify(f) : ''}`),
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** VmRSS of a process in MiB, or null if it is gone. */
function rssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// PostgreSQL and the service.

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-soak-'));
// When run as root, PostgreSQL runs as the `postgres` user, which must reach its data directory.
fs.chmodSync(workDir, 0o711);
const dataDir = path.join(workDir, 'pg');
let pg: EmbeddedPostgres;
let pgPort = 0;

async function startPostgres(port: number): Promise<void> {
  pg = new EmbeddedPostgres({ dataDir, logger: quietLogger, port, database: 'par_soak' });
  await pg.start();
  const actual = Number(new URL(pg.url).port);
  if (port && actual !== port) throw new Error(`PostgreSQL came back on port ${actual}, not ${port}: the service could not find it`);
  pgPort = actual;
}

const ADMIN_TOKEN = `soak-admin-${randomBytes(16).toString('hex')}`;
let servicePort = 0;
let service: ChildProcess | undefined;
let serviceGeneration = 0;
const serviceLog = fs.createWriteStream(path.join(workDir, 'service.log'));

async function startService(): Promise<void> {
  serviceGeneration++;
  const args = opts.dist
    ? [path.join(ROOT, 'dist/src/main.js')]
    : ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(servicePort), HOST: '127.0.0.1', DATABASE_URL: pg.url, ADMIN_TOKEN, SEED_DEMO: 'false',
      KIOSK_RATE_PER_SECOND: '1000000', KIOSK_RATE_BURST: '10000000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      TS_NODE_TRANSPILE_ONLY: 'true',
    },
  });
  const tag = `--- service #${serviceGeneration} (pid ${child.pid}) ---\n`;
  serviceLog.write(tag);
  child.stdout?.pipe(serviceLog, { end: false });
  child.stderr?.pipe(serviceLog, { end: false });
  child.on('exit', (code, signal) => serviceLog.write(`--- service #${serviceGeneration} exited: code ${code} signal ${signal} ---\n`));
  service = child;
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited while starting; see ${serviceLog.path}`);
    try {
      const r = await fetch(`http://127.0.0.1:${servicePort}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`the service was not ready within 120 s; see ${serviceLog.path}`);
}

function killService(signal: NodeJS.Signals): Promise<void> {
  const child = service;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 15_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill(signal);
  });
}

// ---------------------------------------------------------------------------
// GraphQL.

const url = () => `http://127.0.0.1:${servicePort}/graphql`;

async function gql<T = any>(query: string, variables: Record<string, unknown>, token = ADMIN_TOKEN): Promise<T> {
  const res = await fetch(url(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

/** The Asia/Ho_Chi_Minh year of an instant (UTC+7, no DST). */
const vietnamYear = (ms: number) => new Date(ms + 7 * 3600_000).getUTCFullYear();

const QUESTIONS = [
  { code: 'Q1', text: 'Tiếp cận dịch vụ thuận tiện?', element: 'ACCESS', scaleMax: 5 },
  { code: 'Q2', text: 'Thủ tục hành chính công khai, đơn giản?', element: 'PROCEDURE', scaleMax: 5 },
  { code: 'Q3', text: 'Công chức hướng dẫn tận tình?', element: 'CIVIL_SERVANT', scaleMax: 5 },
  { code: 'Q4', text: 'Kết quả đúng hẹn?', element: 'RESULT', scaleMax: 5 },
  { code: 'Q5', text: 'Tiếp nhận góp ý?', element: 'FEEDBACK', scaleMax: 3 },
];

async function setUp(): Promise<{ token: string; id: string }[]> {
  const units = Array.from({ length: opts.units }, (_, i) => `SOAK${String(i + 1).padStart(3, '0')}`);
  for (const [i, code] of units.entries()) {
    await gql(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name: `Sở thử tải ${i + 1}`, kind: 'DEPARTMENT' } });
  }
  const years = [...new Set([vietnamYear(Date.now()), vietnamYear(Date.now() + (opts.seconds + opts.drainSeconds + 600) * 1000)])];
  for (const year of years) {
    await gql(`mutation($year: Int!, $q: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $q) { code } }`, { year, q: QUESTIONS });
    await gql(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: {
      year, unitKind: 'DEPARTMENT', minResponses: 5,
      domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
        { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
        { code: 'S1', name: 'Mức độ hài lòng', maxPoints: 10, source: 'SURVEY', questionCodes: QUESTIONS.map((q) => q.code) },
      ] }],
    } });
    await gql(`mutation($year: Int!) { openCycle(year: $year, unitKind: DEPARTMENT) { status } }`, { year });
  }
  const kiosks: { token: string; id: string }[] = [];
  for (let i = 0; i < opts.kiosks; i++) {
    const d = await gql(`mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { kiosk { id } token } }`,
      { input: { unitCode: units[i % units.length], label: `Quầy ${i + 1}` } });
    kiosks.push({ token: d.registerKiosk.token, id: d.registerKiosk.kiosk.id });
  }
  return kiosks;
}

// ---------------------------------------------------------------------------
// Kiosks.

const SUBMIT = `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { clientId status responseId error { code message } } }`;

const stats = {
  requests: 0,
  accepted: 0,
  duplicate: 0,
  /** clientId → responseId, for every acknowledged response. */
  acked: new Map<string, string>(),
  /** clientIds sent but not (yet) acknowledged. */
  pending: new Set<string>(),
  refused: 0,
  errors: new Map<string, number>(),
  latencies: [] as number[],
  ackedPerWindow: [] as number[],
  maxAttempts: 0,
};
const countError = (key: string) => stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1);

let stopSending = false; // the run is over: make no new responses
let giveUp = false; // the drain is over: stop retrying

async function kioskLoop(token: string): Promise<void> {
  while (!stopSending) {
    const clientId = randomUUID();
    const answers = QUESTIONS.filter(() => Math.random() < 0.8).map((q) => ({ questionCode: q.code, value: 1 + Math.floor(Math.random() * q.scaleMax) }));
    if (answers.length === 0) answers.push({ questionCode: 'Q1', value: 5 });
    // The kiosk makes the request once and resends it unchanged, submittedAt included.
    const body = JSON.stringify({ query: SUBMIT, variables: { input: { clientId, submittedAt: new Date().toISOString(), answers } } });
    stats.pending.add(clientId);
    let backoff = 50;
    let attempts = 0;
    for (;;) {
      if (giveUp) return;
      attempts++;
      const started = Date.now();
      stats.requests++;
      let retry = true;
      try {
        const res = await fetch(url(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        const json = (await res.json()) as { data?: { submitSurveyResponse?: { status: string; responseId: string } }; errors?: { extensions?: { code?: string } }[] };
        const sub = json.data?.submitSurveyResponse;
        if (sub && (sub.status === 'ACCEPTED' || sub.status === 'DUPLICATE')) {
          stats.latencies.push(Date.now() - started);
          if (sub.status === 'ACCEPTED') stats.accepted++; else stats.duplicate++;
          const earlier = stats.acked.get(clientId);
          if (earlier !== undefined && earlier !== sub.responseId) countError('responseId changed between acknowledgements');
          stats.acked.set(clientId, sub.responseId);
          stats.pending.delete(clientId);
          stats.maxAttempts = Math.max(stats.maxAttempts, attempts);
          break;
        }
        const code = json.errors?.[0]?.extensions?.code ?? `HTTP ${res.status} without a code`;
        countError(code);
        if (code === 'BAD_USER_INPUT' || code === 'FORBIDDEN') {
          // A refusal, not a fault: resending will not help (a bug in this script or the service).
          stats.refused++;
          retry = false;
        }
      } catch (e) {
        const err = e as { name?: string; cause?: { code?: string }; message?: string };
        countError(err.name === 'TimeoutError' ? 'timeout' : err.cause?.code ?? err.message ?? 'fetch failed');
      }
      if (!retry) { stats.pending.delete(clientId); break; }
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 2, 1000);
    }
    if (opts.thinkMs) await sleep(opts.thinkMs * (0.5 + Math.random()));
  }
}

// ---------------------------------------------------------------------------

interface RssSample { t: number; generation: number; pid: number; mib: number | null; acked: number }

async function main(): Promise<void> {
  log(`soak: ${opts.kiosks} kiosks for ${opts.seconds} s; PostgreSQL crash at ${opts.crashAt} s (down ${opts.pgDownSeconds} s), service SIGKILL at ${opts.killAt} s, SIGTERM at ${opts.termAt} s; work dir ${workDir}`);
  await startPostgres(await freePort());
  log(`PostgreSQL on port ${pgPort}`);
  servicePort = await freePort();
  await startService();
  log(`service #1 (pid ${service!.pid}) ready on port ${servicePort}, RSS ${rssMiB(service!.pid)} MiB`);
  const kiosks = await setUp();
  log(`set up ${opts.units} units, the questionnaire and framework, ${kiosks.length} kiosks`);

  const samples: RssSample[] = [];
  let midRunTermExit: number | null = null;
  const sample = () => samples.push({ t: Math.round(elapsed() - runStart), generation: serviceGeneration, pid: service!.pid!, mib: rssMiB(service!.pid), acked: stats.acked.size });
  const runStart = elapsed();
  const rssStart = rssMiB(service!.pid);
  sample();
  const sampler = setInterval(sample, 10_000);
  const progress = setInterval(() => {
    log(`acknowledged ${stats.acked.size}, in flight ${stats.pending.size}, requests ${stats.requests}, errors ${JSON.stringify(Object.fromEntries(stats.errors))}`);
  }, 5_000);

  const loops = kiosks.map((k) => kioskLoop(k.token));

  const faults = (async () => {
    const at = (s: number) => sleep(Math.max(0, runStart * 1000 + s * 1000 - (Date.now() - t0)));
    if (opts.crashAt < opts.seconds) {
      await at(opts.crashAt);
      log(`CRASH: PostgreSQL stopped in immediate mode (SIGQUIT)`);
      const crashed = pg;
      crashed.crash();
      for (let i = 0; i < 200 && crashed.running; i++) await sleep(50);
      await sleep(opts.pgDownSeconds * 1000);
      for (let i = 0; i < 200 && !(await portFree(pgPort)); i++) await sleep(50);
      await startPostgres(pgPort);
      log(`PostgreSQL started again on port ${pgPort} (same data directory)`);
    }
    if (opts.killAt < opts.seconds) {
      await at(opts.killAt);
      const old = service!.pid;
      log(`KILL: SIGKILL to the service (pid ${old}), RSS was ${rssMiB(old)} MiB`);
      await killService('SIGKILL');
      await startService();
      log(`service #${serviceGeneration} (pid ${service!.pid}) ready again, RSS ${rssMiB(service!.pid)} MiB`);
    }
    if (opts.termAt < opts.seconds) {
      await at(opts.termAt);
      log(`TERM: SIGTERM to the service (pid ${service!.pid}) in the middle of the storm`);
      await killService('SIGTERM');
      midRunTermExit = service!.exitCode;
      log(`the service drained and exited with code ${midRunTermExit}`);
      await startService();
      log(`service #${serviceGeneration} (pid ${service!.pid}) ready again`);
    }
  })();

  await sleep(opts.seconds * 1000);
  const rssEnd = rssMiB(service!.pid);
  if (elapsed() - runStart - samples[samples.length - 1].t > 2) sample();
  clearInterval(sampler);
  stopSending = true;
  const sendSeconds = elapsed() - runStart;
  const requestsAtStop = stats.requests;
  log(`time is up: no new ratings; ${stats.pending.size} in flight get ${opts.drainSeconds} s to be acknowledged`);
  const drained = Promise.all(loops);
  await Promise.race([drained, sleep(opts.drainSeconds * 1000)]);
  giveUp = true;
  await Promise.race([drained, sleep(opts.timeoutMs + 1000)]);
  await faults;
  clearInterval(progress);

  // Verify in the database.
  const db = new Client({ connectionString: pg.url });
  await db.connect();
  const [{ stored }] = (await db.query(`SELECT count(*)::int AS stored FROM survey_response`)).rows;
  const [{ doubled }] = (await db.query(
    `SELECT count(*)::int AS doubled FROM (SELECT client_id FROM survey_response GROUP BY kiosk_id, client_id HAVING count(*) > 1) d`)).rows;
  const [{ doubledAny }] = (await db.query(
    `SELECT count(*)::int AS "doubledAny" FROM (SELECT client_id FROM survey_response GROUP BY client_id HAVING count(*) > 1) d`)).rows;
  const ackedIds = [...stats.acked.keys()];
  // Each acknowledged clientId: how many rows hold it, and the opaque id of the stored one (responseIdOf its kiosk and clientId).
  const found: { client_id: string; n: number; kiosk_id: number }[] = (await db.query(`
    SELECT a.client_id::text AS client_id, count(r.id)::int AS n, min(r.kiosk_id) AS kiosk_id
      FROM unnest($1::uuid[]) AS a(client_id) LEFT JOIN survey_response r ON r.client_id = a.client_id
     GROUP BY a.client_id`, [ackedIds])).rows;
  const check = {
    missing: found.filter((f) => f.n === 0).length,
    storedTwice: found.filter((f) => f.n > 1).length,
    wrongResponseId: found.filter((f) => f.n === 1 && responseIdOf(f.kiosk_id, f.client_id) !== stats.acked.get(f.client_id)).length,
  };
  const pendingIds = [...stats.pending];
  const [{ storedUnacked }] = (await db.query(
    `SELECT count(*)::int AS "storedUnacked" FROM survey_response WHERE client_id = ANY($1::uuid[])`, [pendingIds])).rows;
  const [{ withoutAnswers }] = (await db.query(
    `SELECT count(*)::int AS "withoutAnswers" FROM survey_response r WHERE NOT EXISTS (SELECT 1 FROM survey_answer a WHERE a.response_id = r.id)`)).rows;
  await db.end();

  // Shut down in order.
  await killService('SIGTERM');
  const exitCode = service!.exitCode;
  await pg.stop();

  const lat = [...stats.latencies].sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : 0);
  const explained = stored === stats.acked.size + storedUnacked;
  const ok = check.missing === 0 && check.storedTwice === 0 && check.wrongResponseId === 0 && doubled === 0 && doubledAny === 0
    && explained && withoutAnswers === 0 && (opts.termAt >= opts.seconds || midRunTermExit === 0) && stats.refused === 0 && !stats.errors.has('responseId changed between acknowledgements');

  const rows: [string, string | number][] = [
    ['kiosks', opts.kiosks],
    ['duration (s)', `${sendSeconds.toFixed(1)} sending + drain`],
    ['faults', `PostgreSQL crash at ${opts.crashAt} s (down ${opts.pgDownSeconds} s), service SIGKILL at ${opts.killAt} s, SIGTERM at ${opts.termAt} s`],
    ['requests sent', `${stats.requests} (${(requestsAtStop / sendSeconds).toFixed(0)} /s while sending)`],
    ['acknowledged', `${stats.acked.size} (${(stats.acked.size / sendSeconds).toFixed(0)} /s); ACCEPTED answers ${stats.accepted}, DUPLICATE answers ${stats.duplicate}`],
    ['stored (count of survey_response)', stored],
    ['acknowledged and stored exactly once', stats.acked.size - check.missing - check.storedTwice],
    ['acknowledged but missing', check.missing],
    ['acknowledged but stored more than once', check.storedTwice],
    ['acknowledged with another responseId than stored', check.wrongResponseId],
    ['duplicates stored (clientIds stored more than once)', doubledAny],
    ['never acknowledged (in flight at the end)', `${pendingIds.length}, of which stored ${storedUnacked}`],
    ['stored = acknowledged + stored-but-unacknowledged', `${stored} = ${stats.acked.size} + ${storedUnacked}: ${explained ? 'yes' : 'NO'}`],
    ['responses stored without answers', withoutAnswers],
    ['refused (BAD_USER_INPUT/FORBIDDEN)', stats.refused],
    ['most attempts for one rating', stats.maxAttempts],
    ['ack latency ms p50 / p95 / p99 / max', `${pct(50)} / ${pct(95)} / ${pct(99)} / ${lat[lat.length - 1] ?? 0}`],
    ['errors seen (retried)', JSON.stringify(Object.fromEntries(stats.errors))],
    ['service RSS MiB at start / end', `${rssStart} / ${rssEnd} (service #${serviceGeneration} at the end)`],
    ['service exit code on SIGTERM mid-storm', String(midRunTermExit)],
    ['service exit code on SIGTERM', String(exitCode)],
  ];
  process.stdout.write('\n=== soak results ===\n');
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(52)} ${v}\n`);
  process.stdout.write('\nservice RSS every 10 s (t = seconds into the run):\n');
  for (const s of samples) process.stdout.write(`  t=${String(s.t).padStart(4)} s  service #${s.generation} pid ${s.pid}  RSS ${s.mib ?? '-'} MiB  acknowledged ${s.acked}\n`);
  const lastGen = samples.filter((s) => s.generation === serviceGeneration && s.mib !== null);
  if (lastGen.length >= 6) {
    const third = Math.floor(lastGen.length / 3);
    const mid = Math.max(...lastGen.slice(third, 2 * third).map((s) => s.mib!));
    const end = Math.max(...lastGen.slice(2 * third).map((s) => s.mib!));
    process.stdout.write(`memory (service #${serviceGeneration}): peak of the middle third ${mid} MiB, of the last third ${end} MiB: `
      + `${end <= mid * 1.1 ? 'levels off' : 'still growing'}\n`);
  }
  process.stdout.write(`
Notes: a rating is acknowledged when the service answered ACCEPTED or DUPLICATE for
its clientId. DUPLICATE answers come from resends whose first answer was lost (the
service was killed, or a request timed out, after the commit): the rating was stored
once and acknowledged on the resend. "Never acknowledged" ratings were still being
retried when the run ended; those of them that are stored were committed but their
answer never arrived. Every acknowledged clientId must be stored exactly once.
`);
  process.stdout.write(`\n${ok ? 'PASS' : 'FAIL'}: ${ok ? 'every acknowledged rating is stored exactly once' : 'acknowledged ratings lost or doubled, or refusals seen'}\n`);
  if (!opts.keep) fs.rmSync(workDir, { recursive: true, force: true });
  else process.stdout.write(`work dir kept: ${workDir}\n`);
  process.exit(ok ? 0 : 1);
}

async function cleanupAndFail(e: unknown): Promise<never> {
  process.stderr.write(`soak failed: ${(e as Error)?.stack ?? e}\n`);
  try { service?.kill('SIGKILL'); } catch { /* gone */ }
  try { await pg?.stop(); } catch { /* gone */ }
  process.stderr.write(`service log: ${path.join(workDir, 'service.log')}\n`);
  process.exit(2);
}

process.on('SIGINT', () => { void cleanupAndFail(new Error('interrupted')); });
main().catch(cleanupAndFail);

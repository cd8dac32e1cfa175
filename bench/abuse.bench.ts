import './as-deployed';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from 'pg';
import { withScratchDatabase } from '../src/db/scratch-database';
import { demoYears } from '../src/seed/demo-years';
import { DEPLOYED_NODE_FLAGS } from './as-deployed';
import { compileProject, ROOT } from './compiled';

/**
 * Hostile-load benchmark (`npm run bench:abuse`; not a test), issue 11.
 *
 * Starts the service as a child process, as deployed (compiled by tsc into
 * a temporary directory, NODE_ENV=production, `npm start`'s node flags),
 * on a scratch database (on DATABASE_URL's server when set, else an embedded
 * PostgreSQL) seeded with the demo province. Then, in one run:
 *
 *   1. idle, BENCH_IDLE_SECONDS (30, as long as the flood: each p99 of the
 *      portal's streams is then read off as many answers, 150, not the
 *      slowest of 50): BENCH_KIOSKS (50) kiosks submit
 *      ratings (each one every ~500 ms, resending the same clientId until it
 *      is acknowledged) and a portal reads a ranking of the published year,
 *      uncached (a #nonce comment) and cached, 5 requests/s each;
 *   2. flood, BENCH_SECONDS (30): the same, while hostile callers, each from
 *      one loopback IP of its own (127.0.0.x), send the floods of issue 11:
 *      - sat30:  30 aliased province-wide `satisfaction` fields with a
 *                #nonce comment, anonymous, 40 requests/s from 35 connections;
 *      - sat5:   the same with 5 aliases (within one operation's budget),
 *                anonymous, 40 requests/s from 35 connections;
 *      - sat30-analyst: sat30 with an ANALYST token, 24/s from 20 connections;
 *      - schema30: 30 aliases of a deep `__schema` query, 16/s from 50 connections;
 *      - schema1: one deep `__schema` (what the IDE does), 16/s from 50 connections;
 *      - mutation: anonymous `mutation { __typename }`, 65/s from 20 connections.
 *
 * The floods run in a child process of their own, so that they do not slow
 * the loop timing the kiosks and the portal. /readyz is polled every 100 ms
 * throughout. Prints, per phase, kiosk and
 * portal latency (p50, p99), the 503s, the /readyz flaps, how each flood was
 * answered (by code and reason), and at the end the kiosks' acknowledged
 * ratings against those stored. Loopback only; every loop is bounded by
 * the phase's end; the service and database are stopped and removed.
 *
 * Knobs (environment): BENCH_SECONDS (30), BENCH_IDLE_SECONDS (30),
 * BENCH_WARMUP_SECONDS (5, before idle, not measured),
 * BENCH_KIOSKS (50), BENCH_FLOODS (comma-separated names above; all),
 * BENCH_TS_NODE (set: run the service under ts-node instead of compiled),
 * BENCH_SERVICE_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
 * DATABASE_URL, and the service's own variables (DB_POOL_SIZE, …), passed on.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const KIOSKS = Number(process.env.BENCH_KIOSKS ?? 50);
const FLOOD_NICE = Number(process.env.BENCH_FLOOD_NICE ?? 10);
const FLOODS = process.env.BENCH_FLOODS?.split(',').map((s) => s.trim()).filter(Boolean);
const ADMIN = `abuse-admin-${randomBytes(12).toString('hex')}`;
/** The demo's open year (the current one in Vietnam, rated by kiosks) and the published one before it. */
const { open: OPEN_YEAR, published: PUBLISHED_YEAR } = demoYears();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// HTTP from a chosen loopback address.

interface Answer {
  status: number; ms: number; json: any; retryAfter: string | null;
  /** When it was sent (ms since the run began), whether on a new connection, and when its socket connected and its first byte came (ms after sending). */
  trace?: { at: number; wall: number; localPort: number | undefined; newSocket: boolean; connectedMs: number | null; firstByteMs: number | null };
}

function agentFrom(localAddress: string, maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, localAddress });
}

let port = 0;

function request(agent: http.Agent, pathname: string, body?: unknown, token?: string): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const t0 = performance.now();
  let connectedMs: number | null = null;
  let firstByteMs: number | null = null;
  return new Promise((resolve) => {
    const req = http.request({
      agent, host: '127.0.0.1', port, path: pathname, method: payload === undefined ? 'GET' : 'POST',
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      timeout: 60_000,
    }, (res) => {
      firstByteMs = performance.now() - t0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: any;
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { json = undefined; }
        resolve({
          status: res.statusCode ?? 0, ms: performance.now() - t0, json, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          trace: { at: t0, wall: Date.now() - (performance.now() - t0), localPort: req.socket?.localPort, newSocket: !req.reusedSocket, connectedMs, firstByteMs },
        });
      });
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t0, json: undefined, retryAfter: null }));
    });
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => { connectedMs = performance.now() - t0; });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, json: undefined, retryAfter: null }));
    req.end(payload);
  });
}

const adminAgent = agentFrom('127.0.0.1', 8);
async function gql(query: string, variables: Record<string, unknown> = {}, token: string | undefined = ADMIN): Promise<any> {
  const r = await request(adminAgent, '/graphql', { query, variables }, token);
  if (r.json?.errors) throw new Error(JSON.stringify(r.json.errors));
  return r.json.data;
}

// ---------------------------------------------------------------------------
// Measurements.

type Phase = 'idle' | 'flood';
/** Nothing is recorded while warming up (the service's first recomputations, connections opening). */
let phase: Phase | 'warmup' = 'warmup';
const latencies: Record<string, Record<Phase, number[]>> = {};
const outcomes: Record<string, Record<Phase, Map<string, number>>> = {};
const count503: Record<Phase, number> = { idle: 0, flood: 0 };
/** The first answer of each kind that was not a success, to show what refusals say. */
const examples = new Map<string, string>();

/** The kiosks' and the portal's slowest answers under flood, with how their time was spent. */
const slowest: Record<string, Answer[]> = {};
const runStart = performance.now();
/** When the flood phase began, and each timed stream's answers under flood by the second they came in. */
let floodStart = 0;
const floodSeconds: Record<string, number[][]> = {};

function record(stream: string, a: Answer, ok: boolean): void {
  if (phase === 'warmup') return;
  (latencies[stream] ??= { idle: [], flood: [] })[phase].push(a.ms);
  if (phase === 'flood' && (stream.startsWith('portal') || stream === 'kiosk')) {
    ((floodSeconds[stream] ??= [])[Math.floor((performance.now() - floodStart) / 1000)] ??= []).push(a.ms);
    const list = (slowest[stream] ??= []);
    list.push(a);
    list.sort((x, y) => y.ms - x.ms).splice(5);
  }
  const byPhase = (outcomes[stream] ??= { idle: new Map(), flood: new Map() })[phase];
  const e = a.json?.errors?.[0]?.extensions;
  const key = ok ? `${a.status} ok` : `${a.status} ${e?.code ?? (a.status === 0 ? 'no answer' : 'error')}${e?.reason ? `/${e.reason}` : ''}`;
  byPhase.set(key, (byPhase.get(key) ?? 0) + 1);
  if (!ok && !examples.has(`${stream} ${key}`)) examples.set(`${stream} ${key}`, (JSON.stringify(a.json?.errors?.[0] ?? a.json) ?? `no answer (status ${a.status})`).slice(0, 240));
  if (a.status === 503) count503[phase]++;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------
// Load.

/** Open loop: `rate` requests per second until `until`, at most `maxInFlight` at once (beyond: not sent, counted). */
async function openLoop(name: string, rate: number, maxInFlight: number, until: number, send: () => Promise<{ a: Answer; ok: boolean }>): Promise<void> {
  let inFlight = 0;
  let skipped = 0;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; ; i++) {
    const at = start + (i * 1000) / rate;
    if (Date.now() + (at - performance.now()) >= until) break;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= maxInFlight) { skipped++; continue; }
    inFlight++;
    const p: Promise<void> = send().then(({ a, ok }) => record(name, a, ok)).finally(() => { inFlight--; pending.delete(p); });
    pending.add(p);
  }
  await Promise.all(pending);
  if (skipped > 0) notes.push(`${name}: ${skipped} requests not sent (all ${maxInFlight} connections busy)`);
}

const notes: string[] = [];
/** This process's event-loop delay per phase: a starved load generator times itself, not the service. */
const loopDelay = { idle: monitorEventLoopDelay({ resolution: 10 }), flood: monitorEventLoopDelay({ resolution: 10 }) };

function submission(i: number, kiosk: number) {
  // A moment ago (ratings are not from the future), in the open year.
  const at = new Date(Math.max(Date.now() - 60_000 - ((kiosk * 997 + i) % 3600) * 1000, Date.UTC(OPEN_YEAR, 0, 1)));
  return {
    clientId: randomUUID(),
    submittedAt: at.toISOString(),
    answers: ['Q01', 'Q02', 'Q03', 'Q04', 'Q05'].map((questionCode, q) => ({ questionCode, value: 1 + ((i + q + kiosk) % 3) })),
  };
}

const SUBMIT = `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { clientId status responseId error { code message } } }`;

/** One kiosk: a rating every ~500 ms, each resent with its clientId until acknowledged (bounded by `giveUpAt`). */
async function kiosk(index: number, token: string, until: number, giveUpAt: number, acknowledged: Set<string>, refused: string[]): Promise<void> {
  const agent = agentFrom('127.0.0.1', 1);
  for (let i = 0; Date.now() < until; i++) {
    const input = submission(i, index);
    const started = Date.now();
    for (;;) {
      const a = await request(agent, '/graphql', { query: SUBMIT, variables: { input } }, token);
      const status = a.json?.data?.submitSurveyResponse?.status;
      if (status === 'REJECTED') notes.push(`kiosk rejected: ${JSON.stringify(a.json.data.submitSurveyResponse.error)}`);
      const ok = status === 'ACCEPTED' || status === 'DUPLICATE';
      record('kiosk', a, ok);
      if (ok) { acknowledged.add(input.clientId); break; }
      if (status === 'REJECTED') { refused.push(JSON.stringify(a.json.data.submitSurveyResponse.error)); break; }
      if (Date.now() > giveUpAt) { notes.push(`kiosk ${index}: gave up on a rating after ${Date.now() - started} ms`); break; }
      await sleep(a.retryAfter ? Math.min(1000, Number(a.retryAfter) * 1000) : 200);
    }
    await sleep(400 + Math.random() * 200);
  }
  agent.destroy();
}

/** A deep introspection of every type (what an IDE asks), its fragments apart so that 30 copies fit in a document. */
const DEEP_SCHEMA = '__schema { queryType { name } mutationType { name } types { ...T } directives { name description locations args { ...V } } }';
const DEEP_FRAGMENTS = `
fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }
fragment V on __InputValue { name description type { ...R } defaultValue }
fragment T on __Type { kind name description fields(includeDeprecated: true) { name description args { ...V } type { ...R } isDeprecated deprecationReason }
  inputFields { ...V } interfaces { ...R } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...R } }`;

const satisfactionAliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `s${i}: satisfaction(year: ${PUBLISHED_YEAR}) { key responses rate }`).join(' ')} }`;

interface Flood { name: string; from: string; rate: number; connections: number; token?: () => string; query: () => string }

function floods(analyst: string): Flood[] {
  const nonce = () => `#${randomBytes(6).toString('hex')}\n`;
  const all: Flood[] = [
    { name: 'sat30', from: '127.0.0.66', rate: 40, connections: 35, query: () => nonce() + satisfactionAliases(30) },
    { name: 'sat5', from: '127.0.0.69', rate: 40, connections: 35, query: () => nonce() + satisfactionAliases(5) },
    { name: 'sat30-analyst', from: '127.0.0.71', rate: 24, connections: 20, token: () => analyst, query: () => nonce() + satisfactionAliases(30) },
    { name: 'schema30', from: '127.0.0.67', rate: 16, connections: 50, query: () => `${nonce()}{ ${Array.from({ length: 30 }, (_, i) => `i${i}: ${DEEP_SCHEMA}`).join(' ')} }${DEEP_FRAGMENTS}` },
    { name: 'schema1', from: '127.0.0.70', rate: 16, connections: 50, query: () => `${nonce()}{ ${DEEP_SCHEMA} }${DEEP_FRAGMENTS}` },
    { name: 'mutation', from: '127.0.0.68', rate: 65, connections: 20, query: () => 'mutation { __typename }' },
  ];
  return FLOODS ? all.filter((f) => FLOODS.includes(f.name)) : all;
}

const RANKING = `{ rankings(year: ${PUBLISHED_YEAR}, unitKind: DEPARTMENT, first: 20) { totalCount edges { rank score node { unit { code name } band { code } } } } }`;

async function portal(until: number): Promise<void> {
  // Two readers of the portal, each its own client (agent, sockets, IP): one's slow answers do not queue the other's.
  const uncached = agentFrom('127.0.0.2', 16);
  const cached = agentFrom('127.0.0.3', 16);
  const read = (agent: http.Agent, query: string) => request(agent, '/graphql', { query })
    .then((a) => ({ a, ok: a.status === 200 && !a.json?.errors && a.json?.data?.rankings?.totalCount > 0 }));
  await Promise.all([
    openLoop('portal-uncached', 5, 16, until, () => read(uncached, `#${randomBytes(6).toString('hex')}\n${RANKING}`)),
    openLoop('portal-cached', 5, 16, until, () => read(cached, RANKING)),
  ]);
  uncached.destroy();
  cached.destroy();
}

interface PoolSeen { maxInUse: number; maxWaiting: number; busyRefusals: number }
interface Readiness { polls: number; notReady: number; flaps: number; pools: { read: PoolSeen; work: PoolSeen } }
const readiness = (): Readiness => ({
  polls: 0, notReady: 0, flaps: 0,
  pools: { read: { maxInUse: 0, maxWaiting: 0, busyRefusals: 0 }, work: { maxInUse: 0, maxWaiting: 0, busyRefusals: 0 } },
});

/** Polls /readyz every 100 ms until `until`; counts the polls that were not 200 and the flaps (200 → not 200). */
async function watchReadiness(until: number, seen: Readiness): Promise<void> {
  const agent = agentFrom('127.0.0.3', 1);
  let last = 200;
  while (Date.now() < until) {
    const a = await request(agent, '/readyz');
    seen.polls++;
    for (const name of ['read', 'work'] as const) {
      const pool = a.json?.pools?.[name];
      if (!pool) continue;
      seen.pools[name].maxInUse = Math.max(seen.pools[name].maxInUse, pool.inUse);
      seen.pools[name].maxWaiting = Math.max(seen.pools[name].maxWaiting, pool.waiting);
      seen.pools[name].busyRefusals = pool.busyRefusals;
      if (process.env.BENCH_DEBUG_POOLS && pool.inUse >= pool.size) console.log(name, JSON.stringify(pool));
    }
    if (a.status !== 200) seen.notReady++;
    if (last === 200 && a.status !== 200) seen.flaps++;
    last = a.status;
    await sleep(100);
  }
  agent.destroy();
}

// ---------------------------------------------------------------------------
// The service.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startServiceProcess(databaseUrl: string, logPath: string, compiledMain: string | undefined): Promise<ChildProcess> {
  port = await freePort();
  const log = fs.createWriteStream(logPath);
  const extraFlags = process.env.BENCH_SERVICE_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const entry = compiledMain ? [compiledMain] : ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, [...DEPLOYED_NODE_FLAGS, ...extraFlags, ...entry], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, ADMIN_TOKEN: ADMIN,
      SEED_DEMO: 'true', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', TS_NODE_TRANSPILE_ONLY: 'true',
    },
  });
  // Whatever ends this process ends the service too.
  process.on('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const until = Date.now() + 180_000;
  const probe = agentFrom('127.0.0.1', 1);
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the service exited while starting; see ${logPath}`);
    const a = await request(probe, '/readyz');
    if (a.status === 200) { probe.destroy(); return child; }
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`the service was not ready within 180 s; see ${logPath}`);
}

function stopServiceProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------

/**
 * The floods run in a process of their own: in this one their hundreds of
 * requests per second would slow the event loop that times the kiosks and
 * the portal, and the figures would measure the load generator.
 */
function floodInChild(analyst: string, start: number, until: number): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, '--flood'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_FLOOD: JSON.stringify({ port, analyst, start, until }) },
  });
  process.on('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  // The attackers' own CPU is not the server's: on a machine shared with them, they run at a lower priority.
  if (FLOOD_NICE > 0 && child.pid !== undefined) os.setPriority(child.pid, FLOOD_NICE);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the flood process exited with ${code}`));
      const got: { outcomes: Record<string, [string, number][]>; count503: number; examples: [string, string][]; notes: string[] } = JSON.parse(out);
      for (const [stream, entries] of Object.entries(got.outcomes)) {
        const byPhase = (outcomes[stream] ??= { idle: new Map(), flood: new Map() }).flood;
        for (const [k, n] of entries) byPhase.set(k, (byPhase.get(k) ?? 0) + n);
      }
      count503.flood += got.count503;
      for (const [k, v] of got.examples) if (!examples.has(k)) examples.set(k, v);
      notes.push(...got.notes);
      resolve();
    });
  });
}

async function floodProcess(): Promise<void> {
  const { port: p, analyst, start, until } = JSON.parse(process.env.BENCH_FLOOD!);
  port = p;
  // Started early (loading takes seconds): the floods begin when the parent's flood phase does.
  await sleep(Math.max(0, start - Date.now()));
  phase = 'flood';
  await Promise.all(floods(analyst).map((f) => {
    const agent = agentFrom(f.from, f.connections);
    return openLoop(f.name, f.rate, f.connections, until, () => request(agent, '/graphql', { query: f.query() }, f.token?.())
      .then((a) => ({ a, ok: a.status === 200 && !a.json?.errors }))).finally(() => agent.destroy());
  }));
  process.stdout.write(JSON.stringify({
    outcomes: Object.fromEntries(Object.entries(outcomes).map(([k, v]) => [k, [...v.flood.entries()]])),
    count503: count503.flood, examples: [...examples.entries()], notes,
  }));
}

/** The service's count of GraphQL documents it parsed and validated (GET /metrics, open to loopback). */
async function documentsValidated(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('par_graphql_documents_validated_total '));
  return Number(line?.split(' ')[1]);
}

async function main(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-abuse-'));
  const logPath = path.join(workDir, 'service.log');
  console.log(`bench:abuse — ${KIOSKS} kiosks and a portal, ${IDLE_SECONDS} s idle then ${SECONDS} s under flood; service log ${logPath}`);
  await withScratchDatabase('par_abuse', async ({ url }) => {
    const t0 = Date.now();
    // Run compiled (bench/as-deployed.ts), this benchmark's own tree holds the compiled service; else it is compiled here.
    const compiled = process.env.BENCH_TS_NODE ? undefined
      : process.env.BENCH_COMPILED ? path.join(__dirname, '..', 'src', 'main.js') : path.join(compileProject(workDir), 'src', 'main.js');
    const child = await startServiceProcess(url, logPath, compiled);
    console.log(`service ready with the demo province in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${child.pid}, port ${port})`);
    const sql = new Client({ connectionString: url });
    await sql.connect();
    try {
      const units: { code: string }[] = (await sql.query(`SELECT code FROM unit WHERE kind IN ('DEPARTMENT', 'DISTRICT') ORDER BY code`)).rows;
      const tokens: string[] = [];
      for (let i = 0; i < KIOSKS; i++) {
        const d = await gql(`mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { token } }`,
          { input: { unitCode: units[i % units.length].code, label: `abuse-bench-${i}` } });
        tokens.push(d.registerKiosk.token);
      }
      const analyst = (await gql(`mutation { issueToken(input: {role: ANALYST, name: "abuse bench analyst"}) }`)).issueToken as string;

      const acknowledged = new Set<string>();
      const refused: string[] = [];
      const ready = { idle: readiness(), flood: readiness() };
      const kioskEnd = Date.now() + (WARMUP_SECONDS + IDLE_SECONDS + SECONDS) * 1000;
      const kiosks = tokens.map((token, i) => kiosk(i, token, kioskEnd, kioskEnd + 30_000, acknowledged, refused));
      await portal(Date.now() + WARMUP_SECONDS * 1000);

      const validatedAt = [await documentsValidated()];
      phase = 'idle';
      loopDelay.idle.enable();
      const idleEnd = Date.now() + IDLE_SECONDS * 1000;
      const floodEnd = idleEnd + SECONDS * 1000;
      const flooding = floodInChild(analyst, idleEnd, floodEnd);
      await Promise.all([portal(idleEnd), watchReadiness(idleEnd, ready.idle)]);
      validatedAt.push(await documentsValidated());

      phase = 'flood';
      floodStart = performance.now();
      loopDelay.idle.disable();
      loopDelay.flood.enable();
      await Promise.all([portal(floodEnd), watchReadiness(floodEnd, ready.flood), flooding]);
      loopDelay.flood.disable();
      validatedAt.push(await documentsValidated());
      await Promise.all(kiosks);

      // Acknowledged against stored: every acknowledged rating is stored once, nothing else is.
      const [{ stored }] = (await sql.query(
        `SELECT count(*)::int AS stored FROM survey_response r JOIN kiosk k ON k.id = r.kiosk_id WHERE k.label LIKE 'abuse-bench-%'`)).rows;

      const fmt = (v: number) => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
      console.log('\nlatency (ms)            idle p50   idle p99   flood p50   flood p99   flood p99 / idle p99   requests idle / flood');
      for (const stream of ['kiosk', 'portal-uncached', 'portal-cached']) {
        const l = latencies[stream] ?? { idle: [], flood: [] };
        const ratio = percentile(l.flood, 99) / percentile(l.idle, 99);
        console.log(`${stream.padEnd(22)} ${fmt(percentile(l.idle, 50)).padStart(9)} ${fmt(percentile(l.idle, 99)).padStart(10)} ${fmt(percentile(l.flood, 50)).padStart(11)} ${fmt(percentile(l.flood, 99)).padStart(11)} ${ratio.toFixed(2).padStart(22)}   ${l.idle.length} / ${l.flood.length}`);
      }
      console.log(`\nthis process's event loop (it times the kiosks and the portal): delay p99 idle ${fmt(loopDelay.idle.percentile(99) / 1e6)} ms, max ${fmt(loopDelay.idle.max / 1e6)} ms; flood p99 ${fmt(loopDelay.flood.percentile(99) / 1e6)} ms, max ${fmt(loopDelay.flood.max / 1e6)} ms`);
      for (const [stream, seconds] of Object.entries(floodSeconds)) {
        console.log(`${stream} p99 by second of the flood (ms): ${Array.from(seconds, (v, i) => `${i + 1}:${v ? fmt(percentile(v, 99)) : '–'}`).join(' ')}`);
      }
      for (const [stream, list] of Object.entries(slowest)) {
        console.log(`slowest ${stream} answers under flood (sent at s, total ms, new connection, connected ms, first byte ms):`);
        for (const a of list) {
          const t = a.trace;
          console.log(`  ${t ? ((t.at - runStart) / 1000).toFixed(2) : '?'} (${t?.wall.toFixed(0)} :${t?.localPort})  ${fmt(a.ms)}  ${t?.newSocket ? 'new' : 'reused'}  ${t?.connectedMs == null ? '–' : fmt(t.connectedMs)}  ${t?.firstByteMs == null ? '–' : fmt(t.firstByteMs)}`);
        }
      }
      console.log('\nanswers by stream and phase (status code/reason: count)');
      for (const [stream, byPhase] of Object.entries(outcomes)) {
        for (const p of ['idle', 'flood'] as Phase[]) {
          if (byPhase[p].size === 0) continue;
          const parts = [...byPhase[p].entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
          console.log(`  ${stream} (${p}): ${parts.join(', ')}`);
        }
      }
      const errorsLogged = fs.readFileSync(logPath, 'utf8').split('\n').filter((l) => l.includes('"level":"error"'));
      console.log(`\nkiosk ratings acknowledged: ${acknowledged.size}, stored: ${stored} (${acknowledged.size === stored ? 'equal' : 'DIFFERENT'}); refused as invalid: ${refused.length}`);
      console.log(`503 answers: idle ${count503.idle}, flood ${count503.flood}`);
      console.log(`/readyz: idle ${ready.idle.polls} polls, ${ready.idle.notReady} not ready, ${ready.idle.flaps} flaps; flood ${ready.flood.polls} polls, ${ready.flood.notReady} not ready, ${ready.flood.flaps} flaps`);
      for (const p of ['idle', 'flood'] as Phase[]) {
        const { read, work } = ready[p].pools;
        console.log(`pools (${p}, as /readyz saw them): read at most ${read.maxInUse} in use and ${read.maxWaiting} waiting; work at most ${work.maxInUse} in use and ${work.maxWaiting} waiting; waits refused as busy so far: read ${read.busyRefusals}, work ${work.busyRefusals}`);
      }
      console.log(`GraphQL documents parsed and validated (not found in Apollo's store): idle ${validatedAt[1] - validatedAt[0]}, flood ${validatedAt[2] - validatedAt[1]}`);
      console.log(`service log lines at error level: ${errorsLogged.length}${errorsLogged.length ? ` (first: ${errorsLogged[0].slice(0, 300)})` : ''}`);
      for (const n of [...new Set(notes)].slice(0, 10)) console.log(`note: ${n}`);
      console.log('\nwhat each kind of refusal said (first of each):');
      for (const [k, v] of examples) console.log(`  ${k}: ${v}`);
      if (refused.length) console.log(`first refusal: ${refused[0]}`);
    } finally {
      await sql.end();
      await stopServiceProcess(child);
    }
  });
}

(process.argv.includes('--flood') ? floodProcess() : main()).then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});

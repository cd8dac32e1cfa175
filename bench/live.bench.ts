import 'reflect-metadata';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startService, type RunningService } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { withScratchDatabase } from '../src/db/scratch-database';
import { loadLiveConfig } from '../src/live/config';

/**
 * Live data benchmark (`npm run bench:live`; not a test).
 *
 * The service in-process on a scratch database; CONCURRENCY kiosks send
 * single submissions (as bench:ingest's first phase) spread over UNITS
 * departments, twice: once with no subscriber, once with SUBSCRIBERS
 * satisfactionChanged subscriptions over WebSocket spread over the units
 * (held by a child process of their own, so that the clients' work is not
 * the service's), then once more with none. Prints the ingest rates and
 * the ratio of the one with subscribers to the mean of the two without (target ≥ 0.9),
 * and the time from each accepted response to the message that first
 * carries it, at the last of its unit's subscribers to get it: p50, p99
 * (target p99 < 5 s).
 *
 * Knobs: BENCH_CONCURRENCY (32), BENCH_SINGLES (60 per kiosk and run),
 * BENCH_SUBSCRIBERS (1000), BENCH_UNITS (40).
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 60);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const UNITS = Number(process.env.BENCH_UNITS ?? 40);
const ADMIN = 'bench-admin-token-0123456789';
const SUBMIT = `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status } }`;
const SAT = `subscription($year: Int!, $unitCode: String!) { satisfactionChanged(year: $year, unitCode: $unitCode) { key answers } }`;

const year = new Date(Date.now() + 7 * 3600e3).getUTCFullYear();
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 4 });

function post(url: URL, token: string, body: unknown): Promise<any> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); } });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Child process: SUBSCRIBERS subscriptions; per (unit, answers), the time the last subscriber of the unit got it. */
async function subscribers(): Promise<void> {
  const url = process.env.LIVE_URL!.replace(/^http/, 'ws');
  const arrivals = new Map<string, { count: number; last: number }>();
  const perUnit = new Map<string, number>();
  let ready = 0;
  const clients: ReturnType<typeof createClient>[] = [];
  // 50 subscriptions per connection at most would also do; one per connection is the harder case for the server.
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const unitCode = `U${i % UNITS}`;
    perUnit.set(unitCode, (perUnit.get(unitCode) ?? 0) + 1);
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
    clients.push(client);
    client.on('connected', () => { ready++; });
    client.subscribe({ query: SAT, variables: { year, unitCode } }, {
      next: (v: any) => {
        const answers = v.data?.satisfactionChanged?.[0]?.answers ?? 0;
        const key = `${unitCode}:${answers}`;
        const a = arrivals.get(key) ?? { count: 0, last: 0 };
        a.count++;
        a.last = Date.now();
        arrivals.set(key, a);
      },
      error: (e) => console.error('subscriber error', JSON.stringify(e)?.slice(0, 200)),
      complete: () => undefined,
    });
  }
  while (ready < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 100));
  process.send!({ ready: true });
  process.on('message', async (m: { report?: boolean }) => {
    if (!m.report) return;
    const out: [string, number, number, number][] = [];
    for (const [key, a] of arrivals) out.push([key.split(':')[0], Number(key.split(':')[1]), a.last, a.count]);
    process.send!({ arrivals: out, perUnit: [...perUnit] }, () => {
      for (const c of clients) void c.dispose();
      setTimeout(() => process.exit(0), 500);
    });
  });
}

/** CPU ms of this process (the service; the subscribers are a child of their own) per response of the last run. */
let cpuPerResponse = 0;

async function run(url: URL, kiosks: { token: string; unit: string }[], accepted: { unit: string; at: number }[]): Promise<number> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(kiosks.map(async (k) => {
    for (let i = 0; i < SINGLES; i++) {
      const r = await post(url, k.token, { query: SUBMIT, variables: { input: {
        clientId: randomUUID(), submittedAt: new Date(Date.now() - 1000).toISOString(), answers: [{ questionCode: 'Q1', value: 1 + (i % 5) }],
      } } });
      if (r.data?.submitSurveyResponse?.status === 'ACCEPTED') accepted.push({ unit: k.unit, at: Date.now() });
      else throw new Error(JSON.stringify(r));
    }
  }));
  const used = process.cpuUsage(cpu);
  cpuPerResponse = (used.user + used.system) / 1000 / (kiosks.length * SINGLES);
  return (kiosks.length * SINGLES) / ((performance.now() - started) / 1000);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const logger = createLogger('warn');
  await withScratchDatabase('par_bench_live', async ({ url: dbUrl }) => {
    let service: RunningService | undefined;
    try {
      service = await startService({
        ...loadConfig({}), port: 0, databaseUrl: dbUrl, adminToken: ADMIN, seedDemo: false, logLevel: 'warn',
        kioskRatePerSecond: 1_000_000, kioskRateBurst: 10_000_000,
        live: { ...loadLiveConfig(process.env), maxConnections: SUBSCRIBERS + 100, maxSubscriptions: SUBSCRIBERS * 2 },
      }, logger);
      const url = new URL(service.url);
      console.log(`service at ${service.url}; ${CONCURRENCY} kiosks (single submissions), ${UNITS} units, ${SUBSCRIBERS} subscribers, ${os.cpus().length} CPUs`);
      for (let u = 0; u < UNITS; u++) {
        await post(url, ADMIN, { query: `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, variables: { input: { code: `U${u}`, name: `Sở ${u}`, kind: 'DEPARTMENT' } } });
      }
      await post(url, ADMIN, { query: `mutation { defineQuestionnaire(year: ${year}, questions: [{ code: "Q1", text: "Câu hỏi", element: ACCESS, scaleMax: 5 }]) { code } }` });
      const kiosks: { token: string; unit: string }[] = [];
      for (let k = 0; k < CONCURRENCY; k++) {
        const unit = `U${k % UNITS}`;
        const d = await post(url, ADMIN, { query: `mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { token } }`, variables: { input: { unitCode: unit, label: `Kiosk ${k}` } } });
        kiosks.push({ token: d.data.registerKiosk.token, unit });
      }
      // Warm-up, not counted.
      await Promise.all(kiosks.map((k) => post(url, k.token, { query: SUBMIT, variables: { input: { clientId: randomUUID(), submittedAt: new Date(Date.now() - 1000).toISOString(), answers: [{ questionCode: 'Q1', value: 3 }] } } })));
      await service.services.tallies.rollUp();

      const rateWithout = await run(url, kiosks, []);
      console.log(`without subscribers: ${rateWithout.toFixed(0)} responses/s, ${cpuPerResponse.toFixed(2)} CPU ms per response in the service process`);
      await service.services.tallies.rollUp();
      await new Promise((r) => setTimeout(r, 1000));

      // Each unit's answers so far: the messages of the second run count from there.
      const base = new Map<string, number>();
      for (const row of (await service.db.query(
        `SELECT u.code, coalesce(sum(t.answers), 0)::int AS n FROM unit u LEFT JOIN survey_tally t ON t.unit_id = u.id AND t.year = $1 GROUP BY u.code`, [year])) as { code: string; n: number }[]) base.set(row.code, row.n);

      const child = fork(__filename, ['subscribers'], { env: { ...process.env, LIVE_URL: service.url }, execArgv: ['-r', 'ts-node/register/transpile-only'] });
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`subscribers exited ${code}`)));
      });
      console.log(`${SUBSCRIBERS} subscribers connected (live connections: ${service.live.hub.subscriptions} subscriptions)`);
      const accepted: { unit: string; at: number }[] = [];
      const rateWith = await run(url, kiosks, accepted);
      console.log(`with ${SUBSCRIBERS} subscribers: ${rateWith.toFixed(0)} responses/s, ${cpuPerResponse.toFixed(2)} CPU ms per response (messages included)`);
      await new Promise((r) => setTimeout(r, 6000));
      const report = await new Promise<{ arrivals: [string, number, number, number][]; perUnit: [string, number][] }>((resolve) => {
        child.on('message', (m: any) => { if (m.arrivals) resolve(m); });
        child.send({ report: true });
      });
      // Per unit, the messages in order of answers; a response's n-th place in its unit is carried by the first message with ≥ base + n answers.
      const perUnit = new Map(report.perUnit);
      const messages = new Map<string, { answers: number; last: number; count: number }[]>();
      for (const [unit, answers, last, count] of report.arrivals) {
        if (!messages.has(unit)) messages.set(unit, []);
        messages.get(unit)!.push({ answers, last, count });
      }
      for (const list of messages.values()) list.sort((a, b) => a.answers - b.answers);
      const seen = new Map<string, number>();
      const latencies: number[] = [];
      let missing = 0;
      let partial = 0;
      for (const a of accepted.sort((x, y) => x.at - y.at)) {
        const n = (seen.get(a.unit) ?? 0) + 1;
        seen.set(a.unit, n);
        const m = messages.get(a.unit)?.find((x) => x.answers >= (base.get(a.unit) ?? 0) + n);
        if (!m) { missing++; continue; }
        if (m.count < (perUnit.get(a.unit) ?? 0)) partial++;
        latencies.push(Math.max(0, m.last - a.at));
      }
      latencies.sort((x, y) => x - y);
      const total = report.arrivals.reduce((s, [, , , c]) => s + c, 0);
      console.log(`accepted → satisfactionChanged (at the last subscriber of the unit): p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms (target p99 < 5000)`);
      // The run without subscribers again, after them: the machine is shared, the two runs without bracket the one with.
      await new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()); });
      await service.services.tallies.rollUp();
      const rateAfter = await run(url, kiosks, []);
      const meanWithout = (rateWithout + rateAfter) / 2;
      console.log(`without subscribers again: ${rateAfter.toFixed(0)} responses/s, ${cpuPerResponse.toFixed(2)} CPU ms per response; with / mean of the two without: ${(rateWith / meanWithout).toFixed(2)} (target ≥ 0.9)`);
      console.log(`${accepted.length} responses, ${total} messages delivered (${(total / SUBSCRIBERS).toFixed(1)} per subscriber), ${missing} responses never carried, ${partial} carried by a message some subscribers missed`);
    } finally {
      await service?.stop();
    }
  });
}

if (process.argv[2] === 'subscribers') {
  subscribers().catch((e) => { console.error(e); process.exit(1); });
} else {
  main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import WebSocket from 'ws';
import { loadLiveConfig } from '../../src/live/config';
import { topics, type SatisfactionEvent } from '../../src/live/hub';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { liveClient, wsUrl, type LiveClient } from '../support/live-client';
import { buildProvince } from './survey-fixtures';

/**
 * The live server's bounds, each on a real socket: connections and
 * subscriptions in total, the heartbeat that closes a peer which stopped
 * answering, a slow consumer dropped instead of buffered for, and a real
 * process that, sent SIGTERM with subscribers connected, closes them with
 * 1001 and exits 0.
 */
const ALERTS = 'subscription { kioskAlerts { id rule } }';
const SAT = 'subscription($year: Int!, $unitCode: String!) { satisfactionChanged(year: $year, unitCode: $unitCode) { key responses answers } }';
/** A year with a questionnaire in the survey fixtures. */
const YEAR = 2024;

let t: TestService;
const clients: LiveClient[] = [];
const sockets: WebSocket[] = [];

function connect(token: string | null = ADMIN_TOKEN): LiveClient {
  const c = liveClient(t.url, token);
  clients.push(c);
  return c;
}

/** A bare graphql-ws peer over `ws`, past connection_ack; `autoPong: false` makes it a peer that stopped answering pings. */
async function rawPeer(options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl(t.url), 'graphql-transport-ws', options);
  ws.on('error', () => undefined);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
  await new Promise<void>((resolve) => ws.once('message', () => resolve()));
  return ws;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  t = await startTestService({
    live: { ...loadLiveConfig({}), maxConnections: 4, maxSubscriptions: 3, maxSubscriptionsPerConnection: 5, maxBufferedBytes: 64 * 1024 },
  });
  await buildProvince(t);
});

afterAll(async () => {
  for (const c of clients) await c.dispose().catch(() => undefined);
  for (const s of sockets) s.terminate();
  await t?.stop();
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.dispose().catch(() => undefined);
  for (const s of sockets.splice(0)) s.terminate();
  await until('every connection of the test is gone', () => t.service.live.hub.subscriptions === 0);
});

test('subscriptions in total: beyond LIVE_MAX_SUBSCRIPTIONS (3 here) over two connections, RATE_LIMITED; one completed frees its place', async () => {
  const a = connect();
  const b = connect();
  const first = [a.subscribe(ALERTS), a.subscribe(ALERTS)];
  await until('two subscriptions are held', () => t.service.live.hub.subscriptions === 2);
  const third = b.subscribe(ALERTS);
  await until('three subscriptions are held', () => t.service.live.hub.subscriptions === 3);
  const fourth = b.subscribe(ALERTS);
  await fourth.ended;
  expect(fourth.errors[0].extensions.code).toBe('RATE_LIMITED');
  expect(fourth.errors[0].extensions.reason).toBe('TOO_MANY_SUBSCRIPTIONS');
  expect([...first, third].every((s) => s.errors.length === 0)).toBe(true);
  first[0].dispose();
  await until('the completed subscription is released', () => t.service.live.hub.subscriptions === 2);
  const again = b.subscribe(ALERTS);
  await until('the freed place is taken', () => t.service.live.hub.subscriptions === 3);
  expect(again.errors).toEqual([]);
}, 30000);

test('connections in total: beyond LIVE_MAX_CONNECTIONS (4 here) the upgrade is refused 503', async () => {
  for (let i = 0; i < 4; i++) await rawPeer();
  const status = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(wsUrl(t.url), 'graphql-transport-ws');
    ws.on('error', () => undefined);
    sockets.push(ws);
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => reject(new Error('a fifth connection was accepted')));
  });
  expect(status).toBe(503);
  // A place freed is a place for the next.
  const gone = new Promise((resolve) => sockets[0].once('close', resolve));
  sockets[0].close();
  await gone;
  await sleep(200);
  await rawPeer();
}, 30000);

test('heartbeat: a peer that stops answering pings is closed within two intervals; one that answers stays', async () => {
  // Its own instance, pinging every 400 ms (the others keep the default 30 s, so that nothing else is closed by it).
  const main = t;
  t = await startTestService({ live: { ...loadLiveConfig({}), heartbeatMs: 400 } });
  try {
    const silent = await rawPeer({ autoPong: false });
    const answering = await rawPeer();
    let pings = 0;
    silent.on('ping', () => { pings++; });
    const started = Date.now();
    const code = await new Promise<number>((resolve) => silent.once('close', (c) => resolve(c)));
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(code).not.toBe(1000);
    await sleep(1000); // two more intervals
    expect(answering.readyState).toBe(WebSocket.OPEN);
    for (const s of sockets.splice(0)) s.terminate();
  } finally {
    await t.stop();
    t = main;
  }
}, 60000);

test('a slow consumer (its socket no longer read) is dropped with 1008, not buffered for; a reading one keeps its events', async () => {
  const [{ id: unitId }] = await t.sql<{ id: number }>(`SELECT id FROM unit WHERE code = 'STP'`);
  // The slow one: subscribed, then its TCP socket paused, so that what the server sends piles up in the kernel and then in ws.
  const slow = await rawPeer();
  slow.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: SAT, variables: { year: YEAR, unitCode: 'STP' } } }));
  const reader = connect();
  const heard = reader.subscribe(SAT, { year: YEAR, unitCode: 'STP' });
  await until('both subscriptions are held', () => t.service.live.hub.subscriptions === 2);
  // Each listens once its scope is checked (in-process bus: its listeners can be counted).
  const listeners = () => (t.service.live.hub.shared as unknown as { emitter: import('node:events').EventEmitter }).emitter.listenerCount(topics.satisfaction(YEAR, unitId));
  await until('both subscriptions listen', () => listeners() === 2);
  const closed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
  (slow as unknown as { _socket: net.Socket })._socket.pause();
  // Events of ~8 KB each, published as the roll-up would: 2,000 of them are 16 MB, beyond any socket buffer.
  const stats = Array.from({ length: 60 }, (_, i) => ({
    key: `Q${String(i).padStart(3, '0')}-tiep-can-dich-vu-hanh-chinh-cong-${'x'.repeat(40)}`, responses: 1, answers: 1, satisfied: 1,
    rate: 100, rateLow: 20.65, rateHigh: 100, mean: 5,
  }));
  const event = (n: number): SatisfactionEvent => ({ year: YEAR, unitId, stats: stats.map((s) => ({ ...s, responses: n })) as never, at: new Date().toISOString() });
  // Paced by the reader, which keeps up: only the slow one falls behind.
  for (let n = 1; n <= 4000 && t.service.live.hub.subscriptions === 2; n++) {
    await t.service.live.hub.shared.publish(topics.satisfaction(YEAR, unitId), event(n));
    if (n % 20 === 0) await until(`the reader keeps up (heard ${heard.events.length} of ${n}, ${t.service.live.hub.subscriptions} subscriptions, errors ${JSON.stringify(heard.errors)})`, () => heard.events.length >= n - 20);
  }
  await until('the slow subscription is released', () => t.service.live.hub.subscriptions === 1, 15000);
  (slow as unknown as { _socket: net.Socket })._socket.resume();
  // Dropped by the slow-consumer bound (the heartbeat, every 30 s here, had no time to): 1008 when the close frame got
  // through, 1006 when the socket, still full, was cut a second after it.
  expect([1008, 1006]).toContain(await closed);
  // The reader was never dropped and heard the flood's events, in order.
  expect(heard.errors).toEqual([]);
  await until('the reader heard events', () => heard.events.length > 0);
  const seen = heard.events.map((e) => e.satisfactionChanged[0].responses as number);
  expect(seen).toEqual([...seen].sort((x, y) => x - y));
}, 60000);

describe('a real process', () => {
  test('SIGTERM with subscribers connected: they are closed with 1001 and the process exits 0', async () => {
    const admin = process.env.TEST_PG_ADMIN_URL!;
    const name = `par_live_exit_${randomBytes(5).toString('hex')}`;
    const c = new Client({ connectionString: admin });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    });
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url.toString(), PORT: String(port), HOST: '127.0.0.1', SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn' };
    delete env.TEST_PG_ADMIN_URL;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], { cwd: path.join(__dirname, '..', '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      // Generous: a loaded machine takes long to compile and migrate; this bounds a hang, it times nothing.
      await until('the process listens', () => /listening on/.test(out) || child.exitCode !== null, 180000).catch((e) => { throw new Error(`${e.message}:\n${out}`); });
      expect(child.exitCode).toBeNull();
      const peers = [liveClient(`http://127.0.0.1:${port}/graphql`, ADMIN_TOKEN), liveClient(`http://127.0.0.1:${port}/graphql`, ADMIN_TOKEN)];
      clients.push(...peers);
      const subs = peers.map((p) => p.subscribe(ALERTS));
      await sleep(500);
      expect(subs.every((s) => s.errors.length === 0)).toBe(true);
      child.kill('SIGTERM');
      const codes = await Promise.all(peers.map((p) => p.closed));
      expect(codes.map((x) => x.code)).toEqual([1001, 1001]);
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    }
  }, 240000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The service as a fresh machine runs it: no DATABASE_URL, so an embedded
 * PostgreSQL in DATA_DIR with the demo seed. SIGTERM exits 0; a restart keeps
 * the data and the admin token printed on the first start; after SIGKILL
 * (which leaves PostgreSQL orphaned with its postmaster.pid) the next start
 * recovers and serves.
 */

const ROOT = path.resolve(__dirname, '../..');
const SLOW = 600_000;

interface Running {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let dataDir: string;
const started: ChildProcess[] = [];

async function start(): Promise<Running> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SEED_DEMO: 'true', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.ADMIN_TOKEN;
  delete env.TEST_PG_ADMIN_URL;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // Generous: a shared machine under load once took 35 s to seed the demo; this bounds a hang, it times nothing.
  const deadline = Date.now() + 180_000;
  while (!/listening on/.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited (${child.exitCode ?? child.signalCode}) before listening:\n${out}\n${err}`);
    }
    if (Date.now() > deadline) throw new Error(`the service did not listen within 180 s:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(out).toContain(`http://127.0.0.1:${port}/graphql`);
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

async function gql(port: number, query: string, token?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}

async function departments(port: number): Promise<number> {
  const r = await gql(port, '{ units(kind: DEPARTMENT) { totalCount } }');
  expect(r.errors).toBeUndefined();
  return r.data.units.totalCount;
}

async function stop(s: Running, signal: NodeJS.Signals) {
  s.child.kill(signal);
  return s.exited;
}

/** The PostgreSQL of the data dir, if its pid file names a live process. */
function postmasterPid(): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!fs.existsSync(file)) return null;
  const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-lifecycle-'));
});

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // A PostgreSQL orphaned by a failed step: stop the one this test's data dir names, by its pid.
  const pid = postmasterPid();
  if (pid !== null) {
    process.kill(pid, 'SIGQUIT');
    for (let i = 0; i < 50 && postmasterPid() !== null; i++) await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('starts on an embedded PostgreSQL with the demo, survives SIGTERM and SIGKILL, keeps its data and its admin token', async () => {
  // First start: a fresh cluster, migrations, an admin token printed once, the demo seeded.
  const first = await start();
  const token = /\b(par_a_[A-Za-z0-9_-]{20,})\b/.exec(first.stdout())?.[1];
  expect(token).toBeDefined();
  const count = await departments(first.port);
  expect(count).toBeGreaterThanOrEqual(20);
  const districts = await gql(first.port, '{ units(kind: DISTRICT) { totalCount } }');
  expect(districts.data.units.totalCount).toBe(9);
  expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${first.port}/readyz`)).status).toBe(200);
  const created = await gql(first.port, 'mutation { createUnit(input: {code: "LIFECYCLE", name: "Sở Thử nghiệm", kind: DEPARTMENT}) { code } }', token);
  expect(created.errors).toBeUndefined();

  // SIGTERM: drains, stops PostgreSQL, exits 0.
  expect(await stop(first, 'SIGTERM')).toEqual({ code: 0, signal: null });
  expect(postmasterPid()).toBeNull();

  // Second start: the data and the token are kept, no new token is printed, nothing is seeded twice.
  const second = await start();
  expect(second.stdout()).not.toMatch(/par_a_/);
  expect(await departments(second.port)).toBe(count + 1);
  const issued = await gql(second.port, 'mutation { issueToken(input: {role: ANALYST, name: "sau khởi động lại"}) }', token);
  expect(issued.errors).toBeUndefined();
  expect(typeof issued.data.issueToken).toBe('string');
  const anonymous = await gql(second.port, 'mutation { issueToken(input: {role: ANALYST, name: "ẩn danh"}) }');
  expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  // SIGKILL: node dies at once; its PostgreSQL is orphaned, still holding postmaster.pid.
  expect(await stop(second, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  const orphan = postmasterPid();
  expect(orphan).not.toBeNull();

  // Third start: recovers the cluster and serves the same data.
  const third = await start();
  expect(third.stdout()).not.toMatch(/par_a_/);
  expect(await departments(third.port)).toBe(count + 1);
  expect((await gql(third.port, 'mutation { issueToken(input: {role: APPRAISER, name: "sau SIGKILL"}) }', token)).errors).toBeUndefined();
  expect(postmasterPid()).not.toBe(orphan);

  expect(await stop(third, 'SIGTERM')).toEqual({ code: 0, signal: null });
  expect(postmasterPid()).toBeNull();
}, SLOW);

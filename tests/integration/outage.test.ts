import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';
import { EmbeddedPostgres, quietClient } from '../../src/db/embedded-postgres';

/**
 * The database goes away and comes back: the service stays up, readiness
 * follows the database, requests fail fast with SERVICE_UNAVAILABLE, and the
 * pool recovers without a restart. Each test owns its PostgreSQL.
 */
jest.setTimeout(120000);

const ADMIN = 'outage-admin-token-0123456789';
const logger = createLogger('error');

async function post(url: string, query: string): Promise<{ status: number; ms: number; body: any }> {
  const t0 = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, ms: Date.now() - t0, body: await res.json() };
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  let last = await probe();
  while (!ok(last) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-outage-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test('an external PostgreSQL outage: SERVICE_UNAVAILABLE fast, /readyz false, /healthz true, then recovery without restart', async () => {
  const dataDir = tmpDir();
  let pg = new EmbeddedPostgres({ dataDir, logger, port: 57432 });
  await pg.start();
  const port = new URL(pg.url).port;
  const service: RunningService = await startService(
    { ...loadConfig({}), port: 0, databaseUrl: pg.url, adminToken: ADMIN, seedDemo: false, connectTimeoutMs: 1000, dbHealthIntervalMs: 200 },
    logger,
  );
  const base = service.url.replace('/graphql', '');
  try {
    const created = await post(service.url, 'mutation { createUnit(input: {code: "STP", name: "Sở Tư pháp", kind: DEPARTMENT}) { code } }');
    expect(created.body.data.createUnit.code).toBe('STP');

    await pg.stop();
    // Within the bound (1 s connect timeout, 0.2 s probes), requests fail fast and say to retry.
    const down = await eventually(() => post(service.url, '{ units { totalCount } }'), (r) => r.status === 503, 3000);
    expect(down.status).toBe(503);
    expect(down.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    const fast = await post(service.url, 'mutation { createUnit(input: {code: "SNV", name: "Sở Nội vụ", kind: DEPARTMENT}) { code } }');
    expect(fast.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(fast.ms).toBeLessThan(1500);
    expect(await status(`${base}/readyz`)).toBe(503);
    expect(await status(`${base}/healthz`)).toBe(200);

    pg = new EmbeddedPostgres({ dataDir, logger, port: Number(port) });
    await pg.start();
    expect(new URL(pg.url).port).toBe(port);
    expect(await eventually(() => status(`${base}/readyz`), (s) => s === 200, 5000)).toBe(200);
    const after = await eventually(() => post(service.url, '{ units { totalCount } }'), (r) => r.status === 200 && !r.body.errors, 5000);
    expect(after.body.data.units.totalCount).toBe(1);
  } finally {
    await service.stop();
    await pg.stop();
  }
});

test('the embedded PostgreSQL crashing is noticed and restarted; data is kept', async () => {
  const service = await startService(
    { ...loadConfig({}), port: 0, databaseUrl: undefined, dataDir: tmpDir(), adminToken: ADMIN, seedDemo: false, connectTimeoutMs: 1000, dbHealthIntervalMs: 200 },
    logger,
  );
  const base = service.url.replace('/graphql', '');
  try {
    await post(service.url, 'mutation { createUnit(input: {code: "STP", name: "Sở Tư pháp", kind: DEPARTMENT}) { code } }');
    service.embedded!.crash();
    expect(await eventually(() => status(`${base}/readyz`), (s) => s === 503, 3000)).toBe(503);
    expect(await eventually(() => status(`${base}/readyz`), (s) => s === 200, 20000)).toBe(200);
    const after = await eventually(() => post(service.url, '{ units { totalCount } }'), (r) => r.status === 200 && !r.body.errors, 5000);
    expect(after.body.data.units.totalCount).toBe(1);
  } finally {
    await service.stop();
  }
});

test('an admin connection open when PostgreSQL shuts down fails its next statement; the FATAL is not thrown from the socket', async () => {
  const pg = new EmbeddedPostgres({ dataDir: tmpDir(), logger, port: 57434 });
  await pg.start();
  const client = quietClient(pg.adminUrl, 1000);
  await client.connect();
  expect((await client.query('select 1 AS one')).rows[0].one).toBe(1);
  await pg.stop();
  await expect(client.query('select 1')).rejects.toThrow();
  await client.end().catch(() => undefined);
});

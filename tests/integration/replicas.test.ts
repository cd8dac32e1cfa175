import fs from 'node:fs';
import { Client } from 'pg';
import { startService, type RunningService } from '../../src/bootstrap';
import { loadConfig, type Config } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';
import {
  freePort, type PgServer, type RedisServer, redisUnavailable, replicationUnavailable, scratchDir, startRedis, startReplicatedDatabase,
} from '../../scripts/replicated-postgres';

/**
 * Read replicas (DATABASE_READ_URLS): a primary and a streaming replica
 * from Debian's PostgreSQL 15 binaries (pg_basebackup), a Redis, and two
 * service instances on them. Anonymous reads are served by the replica
 * (counted by the router and by the replica's own statistics); a lagging
 * (replay paused), frozen (SIGSTOP) or stopped replica is skipped and
 * reads stay correct and bounded; a write is read right after it on
 * another instance even with replay paused (the write fence in Redis).
 */
jest.setTimeout(120000);

const unavailable = replicationUnavailable() ?? redisUnavailable();
if (unavailable) console.log(`replicas.test skipped: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

const ADMIN = 'replica-admin-token-0123456789';
const logger = createLogger((process.env.TEST_LOG_LEVEL as 'debug' | undefined) ?? 'error');

suite('read replicas', () => {
  let dir: string;
  let primary: PgServer | undefined;
  let replica: PgServer | undefined;
  let redis: RedisServer | undefined;
  /** A: skips a replica more than 400 ms behind. B: never skips for lag (only the write fence keeps it off). */
  let a: RunningService | undefined;
  let b: RunningService | undefined;
  let replicaSql: Client | undefined;
  let primarySql: Client | undefined;
  let config: (maxReplicaLagMs: number) => Config;

  beforeAll(async () => {
    dir = scratchDir('par-replicas-');
    ({ primary, replica } = await startReplicatedDatabase(dir, 56500));
    redis = await startRedis(await freePort(56520));
    const base = loadConfig({});
    config = (maxReplicaLagMs: number): Config => ({
      ...base, port: 0, databaseUrl: primary!.url('par'), databaseReadUrls: [replica!.url('par')], maxReplicaLagMs,
      dbHealthIntervalMs: 250, adminToken: ADMIN, seedDemo: false, poolSize: 4, workPoolSize: 4, shutdownGraceMs: 1000,
      // Every read reaches the database: a cached answer would hide where it was read.
      cacheMaxAgeSeconds: 0, live: { ...base.live, redisUrl: redis!.url },
      // The loops below read as fast as answers come (hundreds a second): routing is tested here, not the per-IP limit.
      anonymousRatePerSec: 100_000, anonymousBurst: 100_000,
    });
    a = await startService(config(400), logger);
    b = await startService(config(600_000), logger);
    replicaSql = new Client({ connectionString: replica.url('par') });
    replicaSql.on('error', () => undefined); // the replica is stopped at the end
    await replicaSql.connect();
    primarySql = new Client({ connectionString: primary.url('par') });
    await primarySql.connect();
  });

  afterAll(async () => {
    await replicaSql?.end().catch(() => undefined);
    await primarySql?.end().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await b?.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    await replica?.stop().catch(() => undefined);
    await primary?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function gql(service: RunningService, query: string, token: string | null = null): Promise<{ status: number; ms: number; body: any }> {
    const t0 = Date.now();
    const res = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, ms: Date.now() - t0, body: await res.json() };
  }

  /** The unit's code as an anonymous reader sees it on `service`: null when absent. */
  async function anonymousUnit(service: RunningService, code: string): Promise<string | null> {
    const r = await gql(service, `{ unit(code: "${code}") { code } }`);
    if (r.status !== 200 || r.body.errors) throw new Error(`read failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data.unit?.code ?? null;
  }

  async function createUnit(service: RunningService, code: string): Promise<void> {
    const r = await gql(service, `mutation { createUnit(input: { code: "${code}", name: "Sở ${code}", kind: DEPARTMENT }) { code } }`, ADMIN);
    expect(r.body.errors).toBeUndefined();
  }

  async function onReplica(code: string): Promise<boolean> {
    return (await replicaSql!.query('SELECT 1 FROM unit WHERE code = $1', [code])).rowCount === 1;
  }

  async function until(what: string, ok: () => Promise<boolean> | boolean, withinMs: number): Promise<number> {
    const t0 = Date.now();
    while (!(await ok())) {
      if (Date.now() - t0 > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - t0;
  }

  const replicaState = (s: RunningService) => s.reads!.replicas.replicas[0];

  test('anonymous reads are served by the replica: counted by the router and by the replica itself', async () => {
    await createUnit(a!, 'R1');
    await until('the replica replays R1', () => onReplica('R1'), 5000);
    // The write fence is passed once a probe has seen the replica replay it.
    await until('A routes to the replica', async () => { await anonymousUnit(a!, 'R1'); return a!.reads!.counts.replica > 0; }, 5000);
    const before = { ...a!.reads!.counts };
    for (let i = 0; i < 10; i++) expect(await anonymousUnit(a!, 'R1')).toBe('R1');
    const after = a!.reads!.counts;
    expect(after.replica - before.replica).toBeGreaterThanOrEqual(10);
    expect(after.primary - before.primary).toBeLessThanOrEqual(2); // a probe-timeout blip on a loaded machine at most
    // The replica's own view: the service's replica connections there, their last statement the unit lookup.
    const { rows } = await replicaSql!.query(
      `SELECT query FROM pg_stat_activity WHERE application_name = 'par-index-replica' AND datname = 'par'`);
    // (unit(code) is written whole by one statement: src/query-plan/unit-page.ts.)
    expect(rows.some((r: { query: string }) => /FROM unit u\b/i.test(r.query) && /u\.code = \$1/.test(r.query))).toBe(true);
    // An ANALYST's query is routed too (once its token's issue has been replayed); an admin's read goes to the primary.
    const issued = await gql(a!, 'mutation { issueToken(input: { name: "analyst", role: ANALYST }) }', ADMIN);
    const analyst = issued.body.data.issueToken as string;
    await until('A routes to the replica after the token write', async () => {
      const before = a!.reads!.counts.replica;
      expect((await gql(a!, '{ unit(code: "R1") { code } }', analyst)).body.data.unit.code).toBe('R1');
      return a!.reads!.counts.replica > before;
    }, 5000);
    const replicaBefore = a!.reads!.counts.replica;
    expect((await gql(a!, '{ unit(code: "R1") { code } }', ADMIN)).body.data.unit.code).toBe('R1');
    expect(a!.reads!.counts.replica).toBe(replicaBefore);
  });

  test('replay paused: once the lag exceeds MAX_REPLICA_LAG_MS, reads come from the primary; back to the replica after resume', async () => {
    await replicaSql!.query('SELECT pg_wal_replay_pause()');
    try {
      // A write outside the service (no fence): only the measured lag can send readers to the primary.
      await primarySql!.query(`UPDATE unit SET code = 'R1B' WHERE code = 'R1'`);
      const took = await until('A reads R1B (from the primary)', async () => (await anonymousUnit(a!, 'R1B')) === 'R1B', 5000);
      expect(took).toBeLessThan(3000);
      expect(replicaState(a!).lagMs).toBeGreaterThan(400);
      expect(await onReplica('R1B')).toBe(false); // the replica still has the old row
      const before = { ...a!.reads!.counts };
      for (let i = 0; i < 5; i++) expect(await anonymousUnit(a!, 'R1B')).toBe('R1B');
      expect(a!.reads!.counts.primary - before.primary).toBeGreaterThanOrEqual(5);
      expect(a!.reads!.counts.replica).toBe(before.replica);

      // Read-your-writes across instances, replay still paused: an admin's write on A, read at once on B,
      // whose replica is never too far behind for it (MAX_REPLICA_LAG_MS 10 min): the fence in Redis sends it to the primary.
      await createUnit(a!, 'R2');
      const bBefore = { ...b!.reads!.counts };
      expect(await anonymousUnit(b!, 'R2')).toBe('R2');
      expect(await anonymousUnit(a!, 'R2')).toBe('R2');
      expect(b!.reads!.counts.primary - bBefore.primary).toBeGreaterThanOrEqual(1);
      expect(await onReplica('R2')).toBe(false);
    } finally {
      await replicaSql!.query('SELECT pg_wal_replay_resume()');
    }
    await until('the replica replays R2', () => onReplica('R2'), 5000);
    await until('A reads from the replica again', async () => {
      const before = a!.reads!.counts.replica;
      expect(await anonymousUnit(a!, 'R2')).toBe('R2');
      return a!.reads!.counts.replica > before;
    }, 5000);
    expect(replicaState(a!).lagMs).toBeLessThanOrEqual(400);
  });

  test('a frozen replica (SIGSTOP) never hangs a read: answers stay correct and bounded', async () => {
    await until('A reads from the replica', () => replicaState(a!).usable, 5000);
    replica!.freeze();
    try {
      const times: number[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 2500) {
        const r = await gql(a!, '{ unit(code: "R2") { code } }');
        expect(r.status).toBe(200);
        expect(r.body.data.unit.code).toBe('R2');
        times.push(r.ms);
      }
      // A read caught on the frozen replica is cut when the probe gives up (interval 250 ms + probe 500 ms) and runs on the primary.
      expect(Math.max(...times)).toBeLessThan(3000);
      expect(replicaState(a!).up).toBe(false);
    } finally {
      replica!.thaw();
    }
    await until('the thawed replica is back', () => replicaState(a!).usable, 5000);
  });

  test('a stopped replica: every read still answered, from the primary, /readyz ready, and an instance starts without it', async () => {
    await replica!.stop();
    let answered = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      const r = await gql(a!, '{ unit(code: "R2") { code } }');
      expect(r.status).toBe(200);
      expect(r.body.data.unit.code).toBe('R2');
      expect(r.ms).toBeLessThan(3000);
      answered++;
    }
    expect(answered).toBeGreaterThan(3);
    expect(replicaState(a!).up).toBe(false);
    const ready = await fetch(a!.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { replicas: { up: boolean }[] }).replicas[0].up).toBe(false);
    const before = { ...a!.reads!.counts };
    expect(await anonymousUnit(a!, 'R2')).toBe('R2');
    expect(a!.reads!.counts.primary).toBeGreaterThan(before.primary);
    expect(a!.reads!.counts.replica).toBe(before.replica);
    // An instance started while its replica is down starts all the same (within a probe) and answers from the primary.
    const startedAt = Date.now();
    const c = await startService(config(400), logger);
    try {
      expect(Date.now() - startedAt).toBeLessThan(20000);
      expect(c.reads!.replicas.replicas[0].up).toBe(false);
      expect(await anonymousUnit(c, 'R2')).toBe('R2');
    } finally {
      await c.stop();
    }
  });
});

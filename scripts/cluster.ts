/**
 * `npm run cluster [-- --instances 2] [--port 4000] [--dist]`: the
 * production shape on one machine, for a demo or a try-out:
 *
 *   - a PostgreSQL primary (initdb, from Debian's PostgreSQL 15 binaries:
 *     PG_BIN, default /usr/lib/postgresql/15/bin) and one streaming replica
 *     of it (pg_basebackup -R), on free ports, in a temporary directory;
 *   - a Redis (the machine's redis-server; nothing saved to disk);
 *   - N service instances (src/main.ts through ts-node, or
 *     dist/src/main.js with --dist after `npm run build`) with
 *     DATABASE_URL on the primary, DATABASE_READ_URLS on the replica and
 *     REDIS_URL; the first one seeds the demo, the others start after it;
 *   - a round-robin proxy on one port (PORT, default 4000) in front of them,
 *     WebSocket subscriptions included.
 *
 * Ctrl-C (or SIGTERM) stops everything in order: the proxy, the instances
 * (their own graceful shutdown), Redis, the replica, the primary, and
 * removes the directory (--keep leaves it).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import { startInstance, startProxy, type Instance } from './cluster-parts';
import {
  freePort, type PgServer, type RedisServer, redisUnavailable, replicationUnavailable, scratchDir, startRedis, startReplicatedDatabase,
} from './replicated-postgres';

function parseArgs(argv: string[]) {
  const opts = { instances: 2, port: Number(process.env.PORT ?? 4000), host: process.env.HOST ?? '127.0.0.1', dist: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--instances') opts.instances = Number(argv[++i]);
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--host') opts.host = argv[++i];
    else if (a === '--dist') opts.dist = true;
    else if (a === '--keep') opts.keep = true;
    else {
      process.stderr.write(`usage: npm run cluster -- [--instances N] [--port 4000] [--host 127.0.0.1] [--dist] [--keep]\nunknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.instances) || opts.instances < 1 || opts.instances > 32) {
    process.stderr.write('--instances must be a whole number from 1 to 32\n');
    process.exit(2);
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const missing = replicationUnavailable() ?? redisUnavailable();
  if (missing) {
    process.stderr.write(`cannot start the cluster: ${missing}\n`);
    process.exit(1);
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const dir = scratchDir('par-cluster-');
  let primary: PgServer | undefined;
  let replica: PgServer | undefined;
  let redis: RedisServer | undefined;
  let proxy: http.Server | undefined;
  const instances: Instance[] = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping: proxy, instances, redis, replica, primary');
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    proxy?.closeAllConnections();
    await Promise.all(instances.map((i) => i.stop()));
    await redis?.stop().catch(() => undefined);
    await replica?.stop().catch((e) => say(`stopping the replica failed: ${e}`));
    await primary?.stop().catch((e) => say(`stopping the primary failed: ${e}`));
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir}`);
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    ({ primary, replica } = await startReplicatedDatabase(dir, 56600));
    say(`primary  ${primary.url('par')}`);
    say(`replica  ${replica.url('par')} (streaming, hot standby)`);
    redis = await startRedis(await freePort(56690));
    say(`redis    ${redis.url}`);

    const adminToken = process.env.ADMIN_TOKEN ?? randomBytes(18).toString('hex');
    const env = {
      DATABASE_URL: primary.url('par'), DATABASE_READ_URLS: replica.url('par'), REDIS_URL: redis.url,
      ADMIN_TOKEN: adminToken, SEED_DEMO: 'false', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    const log = (line: string) => { if (!stopping) say(line); };
    // The first instance migrates and seeds the demo; the others find both done.
    say('starting instance 1 (migrations, demo seed)...');
    instances.push(await startInstance('i1', { ...env, SEED_DEMO: 'true' }, { dist: opts.dist, log }));
    if (opts.instances > 1) say(`starting instances 2..${opts.instances}...`);
    instances.push(...await Promise.all(Array.from({ length: opts.instances - 1 }, (_, k) => startInstance(`i${k + 2}`, env, { dist: opts.dist, log }))));
    for (const instance of instances) {
      void instance.exited.then(() => { if (!stopping) say(`[${instance.name}] exited (code ${instance.process.exitCode}); the proxy skips it`); });
    }
    proxy = await startProxy(opts.port, opts.host, () => instances.filter((i) => i.process.exitCode === null && i.process.signalCode === null).map((i) => i.port));
    say('');
    say(`PAR INDEX cluster: ${instances.length} instance(s) (${instances.map((i) => `${i.name} :${i.port}`).join(', ')}) behind http://${opts.host}:${opts.port}/`);
    say(`  GraphQL   http://${opts.host}:${opts.port}/graphql   (subscriptions: ws://${opts.host}:${opts.port}/graphql)`);
    say(`  portal    http://${opts.host}:${opts.port}/`);
    say(`  ADMIN token: ${adminToken}`);
    say('Ctrl-C stops everything.');
  } catch (e) {
    say(`the cluster failed to start: ${(e as Error)?.stack ?? e}`);
    await stopAll(1);
  }
}

void main();

/**
 * `npm run bench:cluster`: what more instances and a read replica give, in
 * one run, on this machine.
 *
 * 1. The portal query (top 20 of a national-scale COMMUNE ranking with each
 *    unit's eight domain scores, as bench:query sends it, response cache off)
 *    through the round-robin proxy of `npm run cluster` to 1 instance and
 *    to 2 instances: same machine, same database, same load generator.
 * 2. Anonymous reads (the same query) through one instance without a
 *    replica and through one with DATABASE_READ_URLS: requests per second,
 *    and the CPU time the primary's processes (postmaster and its backends,
 *    from /proc) and the replica's spent per 1,000 requests.
 *
 * The database: a primary and a pg_basebackup replica from Debian's
 * PostgreSQL 15 (PG_BIN), a national year of BENCH_UNITS (12,000) communes
 * written with SQL (bench/national-year.ts). Instances are child processes
 * of src/main.ts through ts-node (--dist: dist/src/main.js), with the
 * per-IP and per-caller limits lifted (one load generator is one caller).
 *
 * BENCH_SECONDS (8, per side and round), BENCH_ROUNDS (2: sides measured in
 * turn so that other load on the machine falls on each alike),
 * BENCH_CONCURRENCY (16). Ratios printed at the end.
 */
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import { Client } from 'pg';
import { startInstance, startProxy, type Instance } from '../scripts/cluster-parts';
import {
  freePort, type PgServer, replicationUnavailable, scratchDir, startReplicatedDatabase,
} from '../scripts/replicated-postgres';
import { checkPortal as check, loadHttp, portalBody, type LoadRun } from './load-generator';
import { loadNationalYear } from './national-year';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const UNITS = Number(process.env.BENCH_UNITS ?? 12000);
const DIST = process.argv.includes('--dist');
const YEAR = 2024;

const BODY = portalBody(YEAR);

type Run = LoadRun;

function load(url: string, seconds: number, warmup: number): Promise<Run> {
  return loadHttp({ url, body: BODY, concurrency: CONCURRENCY, seconds, warmup });
}


const TICKS = 100; // USER_HZ on Linux

/** CPU seconds spent by a PostgreSQL server: the postmaster, its live children, and the children it has reaped. */
function cpuSeconds(server: PgServer): number {
  let ticks = 0;
  const root = server.pid;
  for (const pid of server.processes()) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14-17 of stat (utime, stime, cutime, cstime) are f[11..14] after the name.
      ticks += Number(f[11]) + Number(f[12]);
      if (pid === root) ticks += Number(f[13]) + Number(f[14]);
    } catch { /* exited */ }
  }
  return ticks / TICKS;
}

interface Side {
  name: string;
  url: string;
  runs: Run[];
  primaryCpu: number;
  replicaCpu: number;
}

async function main(): Promise<void> {
  const missing = replicationUnavailable();
  if (missing) {
    process.stderr.write(`bench:cluster needs a primary and a replica: ${missing}\n`);
    process.exit(1);
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const dir = scratchDir('par-bench-cluster-');
  let primary: PgServer | undefined;
  let replica: PgServer | undefined;
  const instances: Instance[] = [];
  const proxies: http.Server[] = [];
  try {
    ({ primary, replica } = await startReplicatedDatabase(dir, 56700));
    const env = {
      DATABASE_URL: primary.url('par'), SEED_DEMO: 'false', LOG_LEVEL: 'error', DB_POOL_SIZE: '10',
      CACHE_MAX_AGE_SECONDS: '0', RESPONSE_CACHE_MAX_ENTRIES: '0', RECOMPUTE_INTERVAL_MS: '60000',
      ANON_RATE_PER_SEC: '1000000', ANON_BURST: '1000000',
      CALLER_COST_PER_SEC_ANONYMOUS: '1000000000', CALLER_COST_PER_SEC_TOKEN: '1000000000', CALLER_DB_MS_PER_SEC: '1000000',
      CALLER_DB_SHARE_PERCENT: '100', CALLER_MAX_CONCURRENT: '10000',
    };
    say(`starting: the first instance migrates the database (${DIST ? 'dist' : 'ts-node'})...`);
    instances.push(await startInstance('i1', env, { dist: DIST }));
    say(`loading a national year of ${UNITS} communes...`);
    const client = new Client({ connectionString: primary.url('par') });
    await client.connect();
    await loadNationalYear(client, { year: YEAR, communes: UNITS });
    await client.query('ANALYZE');
    await client.end();
    say('starting a second instance, and one reading from the replica...');
    instances.push(...await Promise.all([
      startInstance('i2', env, { dist: DIST }),
      startInstance('r1', { ...env, DATABASE_READ_URLS: replica.url('par') }, { dist: DIST }),
    ]));
    const [i1, i2, r1] = instances;
    const proxy = async (targets: Instance[]) => {
      const p = await freePort(0);
      proxies.push(await startProxy(p, '127.0.0.1', () => targets.map((t) => t.port)));
      return `http://127.0.0.1:${p}/graphql`;
    };
    const sides: Side[] = [
      { name: 'portal query, 1 instance (behind the proxy)', url: await proxy([i1]), runs: [], primaryCpu: 0, replicaCpu: 0 },
      { name: 'portal query, 2 instances (behind the proxy)', url: await proxy([i1, i2]), runs: [], primaryCpu: 0, replicaCpu: 0 },
      { name: 'anonymous reads, 1 instance, primary only', url: await proxy([i1]), runs: [], primaryCpu: 0, replicaCpu: 0 },
      { name: 'anonymous reads, 1 instance, with the replica', url: await proxy([r1]), runs: [], primaryCpu: 0, replicaCpu: 0 },
    ];
    say(`measuring: ${ROUNDS} round(s) of ${SECONDS} s per side, ${CONCURRENCY} concurrent requests, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of sides) {
        const p0 = cpuSeconds(primary);
        const r0 = cpuSeconds(replica);
        const run = await load(side.url, SECONDS, round === 0 ? 2 : 1);
        side.primaryCpu += cpuSeconds(primary) - p0;
        side.replicaCpu += cpuSeconds(replica) - r0;
        check(side.name, run.sample);
        side.runs.push(run);
        say(`  round ${round + 1}: ${side.name}: ${(run.requests / run.seconds).toFixed(0)} req/s${run.failed ? `, ${run.failed} failed` : ''}`);
      }
    }
    const rate = (s: Side) => s.runs.reduce((n, r) => n + r.requests, 0) / s.runs.reduce((n, r) => n + r.seconds, 0);
    const requests = (s: Side) => s.runs.reduce((n, r) => n + r.all, 0);
    say('');
    say('| side | requests/s | primary CPU s per 1,000 requests | replica CPU s per 1,000 requests |');
    say('|---|---|---|---|');
    for (const s of sides) {
      const n = requests(s) / 1000;
      say(`| ${s.name} | ${rate(s).toFixed(0)} | ${(s.primaryCpu / n).toFixed(2)} | ${(s.replicaCpu / n).toFixed(2)} |`);
    }
    const [one, two, withoutReplica, withReplica] = sides;
    const share = (s: Side) => s.primaryCpu / (s.primaryCpu + s.replicaCpu);
    say('');
    say(`2 instances / 1 instance: ${(rate(two) / rate(one)).toFixed(2)}x the portal queries per second (target 1.3x on 2 CPUs)`);
    say(`with the replica / primary only: ${(rate(withReplica) / rate(withoutReplica)).toFixed(2)}x the anonymous reads per second; `
      + `primary CPU per request ${((withReplica.primaryCpu / requests(withReplica)) / (withoutReplica.primaryCpu / requests(withoutReplica))).toFixed(2)}x; `
      + `primary share of the database CPU ${(100 * share(withoutReplica)).toFixed(0)}% -> ${(100 * share(withReplica)).toFixed(0)}%`);
    say(`load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    for (const p of proxies) { p.close(); p.closeAllConnections(); }
    await Promise.all(instances.map((i) => i.stop()));
    await replica?.stop().catch(() => undefined);
    await primary?.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench:cluster failed: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});

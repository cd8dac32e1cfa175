// First: reruns this script as the service is deployed (NODE_ENV, V8 flags) before anything else loads.
import { DEPLOYED_NODE_FLAGS } from './as-deployed';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { startService, type RunningService } from '../src/bootstrap';
import { loadConfig, type Config } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';
import { executionStats } from '../src/http/jit-executor';
import { PassThrough } from 'node:stream';
import {
  anonymousRateGuard, bodyGuard, databaseGuard, documentSizeGuard, jsonBodyGuard, jsonDepthGuard, passGuards, tokenGuard, type EdgeRequest,
} from '../src/http/guards';
import { TokenBuckets } from '../src/http/token-bucket';
import { checkPortal as check, loadHttp, portalBody, type LoadRun } from './load-generator';
import { loadNationalYear } from './national-year';

/**
 * `npm run bench:query`: the portal's query (top 20 of a ranking with each
 * unit's eight domain scores) through the service, uncached and cached,
 * against a baseline: a bare Node HTTP server answering the same figures
 * with one prepared, hand-written SQL statement that builds the whole JSON
 * answer inside PostgreSQL. Same data (a national-scale year of 12,000
 * communes), same pool size, same concurrency, same load generator (a
 * worker thread with keep-alive connections).
 *
 * DATABASE_URL: a PostgreSQL server to make a throwaway database on
 * (default: the embedded one, in a temporary directory).
 * BENCH_SECONDS (10, per side), BENCH_ROUNDS (3: the sides are measured in
 * turn, SECONDS / ROUNDS at a time, so that other load on the machine falls
 * on each alike), BENCH_CONCURRENCY (16), BENCH_UNITS (12000);
 * SQL_RENDERED_QUERIES=false: the service without rendered queries.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const UNITS = Number(process.env.BENCH_UNITS ?? 12000);
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
export const POOL = 10;
const YEAR = 2024;

const BODY = portalBody(YEAR);

/**
 * The analysts' mix (issue 12): each query through the service against a
 * hand-written one-statement SQL baseline for the same answer, in the same
 * interleaved rounds. (`satisfaction` by month for the province is measured
 * by bench:satisfaction, bench/satisfaction.bench.ts: the national year has
 * no survey answers to aggregate.)
 */
interface MixQuery { name: string; body: string; sql: string; values: unknown[]; check: (data: any) => boolean }
const UNIT_CODE = 'NC01234';
const MIX: MixQuery[] = [
  {
    name: "a commune's page: unit(code) { name results { year score rank band domains } }",
    body: JSON.stringify({
      query: `query UnitPage($code: String!) { unit(code: $code) { name results { year score rank band { code } domains { code score } } } }`,
      variables: { code: UNIT_CODE }, operationName: 'UnitPage',
    }),
    sql: `SELECT json_build_object('data', json_build_object('unit', (
            SELECT json_build_object('name', u.name, 'results', coalesce((
              SELECT json_agg(json_build_object('year', c.year, 'score', ir.score, 'rank', ir.rank,
                       'band', CASE WHEN b.code IS NULL THEN NULL ELSE json_build_object('code', b.code) END,
                       'domains', (SELECT json_agg(json_build_object('code', d.code, 'score', coalesce(dr.score, 0)) ORDER BY d.position)
                                     FROM domain_result dr JOIN criterion d ON d.id = dr.domain_id
                                    WHERE dr.cycle_id = ir.cycle_id AND dr.unit_id = ir.unit_id)) ORDER BY c.year DESC)
                FROM index_result ir JOIN cycle c ON c.id = ir.cycle_id AND c.status = 'PUBLISHED'
                LEFT JOIN band b ON b.cycle_id = ir.cycle_id AND b.code = ir.band_code
               WHERE ir.unit_id = u.id), '[]'::json))
              FROM unit u WHERE u.code = $1)))::text AS body`,
    values: [UNIT_CODE],
    check: (d) => d?.unit?.results?.length === 1 && d.unit.results[0].domains.length === 8,
  },
  {
    name: 'a domain ranking: rankings(domainCode) top 20 with units',
    body: JSON.stringify({
      query: `query DomainRanking($year: Int!) { rankings(year: $year, unitKind: COMMUNE, domainCode: "LV3", first: 20) { edges { rank score node { unit { code name } } } } }`,
      variables: { year: YEAR }, operationName: 'DomainRanking',
    }),
    sql: `WITH top AS (
            SELECT dr.unit_id, dr.rank, dr.score, dr.position FROM domain_result dr
             WHERE dr.cycle_id = (SELECT id FROM cycle WHERE year = $1 AND unit_kind = 'COMMUNE' AND status = 'PUBLISHED')
               AND dr.domain_id = (SELECT d.id FROM criterion d JOIN cycle c ON c.id = d.cycle_id WHERE c.year = $1 AND c.unit_kind = 'COMMUNE' AND d.depth = 0 AND d.code = 'LV3')
             ORDER BY dr.position LIMIT 20)
          SELECT json_build_object('data', json_build_object('rankings', json_build_object('edges', coalesce(json_agg(
                   json_build_object('rank', t.rank, 'score', t.score, 'node', json_build_object('unit', json_build_object('code', u.code, 'name', u.name)))
                   ORDER BY t.position), '[]'::json))))::text AS body
            FROM top t JOIN unit u ON u.id = t.unit_id`,
    values: [YEAR],
    check: (d) => d?.rankings?.edges?.length === 20,
  },
  {
    name: 'a search: units(search: "xa 123") first 20, codes and names',
    body: JSON.stringify({
      query: `query Search($q: String!) { units(search: $q, first: 20) { edges { node { code name } } } }`,
      variables: { q: 'xa 123' }, operationName: 'Search',
    }),
    sql: `SELECT json_build_object('data', json_build_object('units', json_build_object('edges', coalesce(json_agg(
                   json_build_object('node', json_build_object('code', s.code, 'name', s.name)) ORDER BY s.name COLLATE "vietnamese", s.code), '[]'::json))))::text AS body
            FROM (SELECT code, name FROM unit WHERE search_text LIKE '%xa%' AND search_text LIKE '%123%'
                   ORDER BY name COLLATE "vietnamese", code LIMIT 20) s`,
    values: [],
    check: (d) => d?.units?.edges?.length === 20,
  },
];

/** The baseline's one statement: the whole answer, shaped as the GraphQL one, built by PostgreSQL. */
const BASELINE_SQL = `
WITH top AS (
  SELECT ir.cycle_id, ir.unit_id, ir.rank, ir.score, ir.position
    FROM index_result ir
   WHERE ir.cycle_id = (SELECT id FROM cycle WHERE year = $1 AND unit_kind = 'COMMUNE' AND status = 'PUBLISHED')
   ORDER BY ir.position
   LIMIT $2)
SELECT json_build_object('data', json_build_object('rankings', json_build_object('edges', coalesce(json_agg(
         json_build_object(
           'rank', t.rank, 'score', t.score,
           'node', json_build_object(
             'unit', json_build_object('code', u.code, 'name', u.name),
             'domains', (SELECT json_agg(json_build_object('code', d.code, 'score', dr.score) ORDER BY d.position)
                           FROM domain_result dr JOIN criterion d ON d.id = dr.domain_id
                          WHERE dr.cycle_id = t.cycle_id AND dr.unit_id = t.unit_id)))
         ORDER BY t.position), '[]'::json))))::text AS body
  FROM top t JOIN unit u ON u.id = t.unit_id`;

function startBaseline(url: string): Promise<{ server: http.Server; pool: Pool; url: string }> {
  const pool = new Pool({ connectionString: url, max: POOL });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables: { year: number; first: number }; operationName: string };
      const mix = MIX.findIndex((m) => JSON.parse(m.body).operationName === operationName);
      const statement = mix >= 0
        ? { name: `mix${mix}`, text: MIX[mix].sql, values: MIX[mix].values }
        : { name: 'portal', text: BASELINE_SQL, values: [variables.year, variables.first] };
      pool.query(statement).then(
        (r) => {
          const body = r.rows[0].body as string;
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
        (e) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, pool, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
  }));
}

/**
 * The ceiling: a bare node:http server that reads each request and answers
 * the same bytes from memory (the baseline's answer, with its headers),
 * nothing else. No server can answer a cached page faster on this machine,
 * with this load generator, than this one: the cached target (10 × the
 * baseline) is read against it.
 */
function startCeiling(body: string): Promise<{ server: http.Server; url: string }> {
  const bytes = Buffer.from(body, 'utf8');
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) };
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(bytes);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
  }));
}

/** The load generator (bench/load-generator.ts), at this benchmark's concurrency. */
function load(url: string, seconds: number, warmup: number, body = BODY): Promise<LoadRun> {
  return loadHttp({ url, body, concurrency: CONCURRENCY, seconds, warmup });
}


/**
 * The HTTP edge's own cost (issue 12): the guards of /graphql (src/http/guards.ts) run in this process on
 * the portal's request as node:http hands it over (a readable body with its headers), anonymous, so that no
 * database is involved: microseconds of the one JavaScript thread per request.
 */
async function edgeMicros(config: Config): Promise<number> {
  const buckets = new TokenBuckets(1e9, 1e9);
  const rate = { ratePerSec: 1e9, take: (ip: string) => buckets.take(ip), retryAfter: (ip: string) => buckets.retryAfter(ip) };
  const guards = [bodyGuard(config.maxBodyBytes), jsonBodyGuard, jsonDepthGuard, documentSizeGuard(config.queryLimits), databaseGuard({ ready: true }),
    tokenGuard(async () => null, rate), anonymousRateGuard(rate)];
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)) };
  const url = new URL('/graphql', 'http://localhost');
  const once = async () => {
    const req = new PassThrough();
    Object.assign(req, { method: 'POST', headers, url: '/graphql' });
    req.end(Buffer.from(BODY));
    const edge: EdgeRequest = { req: req as unknown as http.IncomingMessage, url, ip: '127.0.0.1', text: '', body: undefined, principal: null };
    await passGuards(guards, edge);
  };
  for (let i = 0; i < 2000; i++) await once();
  const n = 20000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  return Number(process.hrtime.bigint() - started) / 1000 / n;
}

/** The service's configuration in these benchmarks: on `dbUrl`, pool POOL, no limit that one load generator would trip. */
export function benchConfig(dbUrl: string): Config {
  return {
    ...loadConfig({}),
    port: 0, databaseUrl: dbUrl, dataDir: path.resolve('.data'), seedDemo: false, adminToken: undefined,
    poolSize: POOL, logLevel: 'error', anonymousRatePerSec: 1_000_000, anonymousBurst: 1_000_000, recomputeIntervalMs: 60000,
    // One load generator is one caller (one IP): the per-caller budgets would refuse its 16 concurrent requests.
    callerBudgets: { costPerSecAnonymous: 1e9, costPerSecToken: 1e9, dbMsPerSec: 1_000_000, dbSharePercent: 100, maxConcurrent: 10000 },
    // ... and its 16 requests at once may hold the whole readers' pool, as the baseline's do (one caller holds a quarter by default).
    callerPoolPercent: 100,
    // SQL_RENDERED_QUERIES=false measures the service with every field resolved in Node.
    sqlRenderedQueries: loadConfig({ SQL_RENDERED_QUERIES: process.env.SQL_RENDERED_QUERIES }).sqlRenderedQueries,
  };
}

async function main(): Promise<void> {
  const logger = createLogger('error');
  const adminUrl = process.env.DATABASE_URL;
  let dbUrl: string | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  let embedded: EmbeddedPostgres | undefined;
  if (adminUrl) {
    const name = `par_bench_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    dbUrl = u.toString();
    dropDb = async () => {
      const a = new Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    };
  } else {
    // One embedded PostgreSQL for both runs and the baseline (a service's stop() would stop its own).
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-bench-'));
    embedded = new EmbeddedPostgres({ dataDir, logger });
    await embedded.start();
    dbUrl = embedded.url;
  }
  const base = benchConfig(dbUrl!);

  // Uncached: the response cache off. Started first, it also migrates the database.
  const service: RunningService = await startService({ ...base, cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0 }, logger);
  const url = dbUrl!;
  const client = new Client({ connectionString: url });
  await client.connect();
  const t0 = Date.now();
  const year = await loadNationalYear(client, { year: YEAR, communes: UNITS });
  await client.end();
  process.stdout.write(`loaded ${year.communes} communes under ${year.districts} districts, 8 domains each, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`concurrency ${CONCURRENCY}, ${SECONDS} s per side in ${ROUNDS} interleaved rounds, pool ${POOL}, ${os.cpus().length} CPUs, `
    + `NODE_ENV=${process.env.NODE_ENV}, node ${DEPLOYED_NODE_FLAGS.join(' ')}\n\n`);

  // Both services (response cache off and on) run side by side on the same database; one side is loaded at a time.
  const cachedService = await startService({ ...base, databaseUrl: url }, logger);
  const baseline = await startBaseline(url);
  const { variables } = JSON.parse(BODY) as { variables: { year: number; first: number } };
  const ceiling = await startCeiling((await baseline.pool.query(BASELINE_SQL, [variables.year, variables.first])).rows[0].body as string);
  const sides = [
    { name: 'baseline (one prepared SQL statement, JSON built in PostgreSQL)', url: baseline.url, body: BODY, requests: 0, seconds: 0, failed: 0, sample: '' },
    { name: 'service, uncached', url: service.url, body: BODY, requests: 0, seconds: 0, failed: 0, sample: '' },
    { name: 'service, cached (response cache hit)', url: cachedService.url, body: BODY, requests: 0, seconds: 0, failed: 0, sample: '' },
    { name: 'ceiling (bare node:http, the same bytes from memory)', url: ceiling.url, body: BODY, requests: 0, seconds: 0, failed: 0, sample: '' },
  ];
  // The analysts' mix: per query, its baseline and the service uncached (BENCH_MIX=false: the portal only).
  const mixSides = process.env.BENCH_MIX === 'false' ? [] : MIX.flatMap((m) => [
    { name: `  baseline: ${m.name}`, url: baseline.url, body: m.body, requests: 0, seconds: 0, failed: 0, sample: '', check: m.check },
    { name: `  service, uncached: ${m.name}`, url: service.url, body: m.body, requests: 0, seconds: 0, failed: 0, sample: '', check: m.check },
  ]);
  try {
    // Interleaved rounds, so that other load on the machine falls on every side alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of [...sides, ...mixSides]) {
        const r = await load(side.url, SECONDS / ROUNDS, round === 0 ? 2 : 0.5, side.body);
        side.requests += r.requests;
        side.seconds += r.seconds;
        side.failed += r.failed;
        side.sample ||= r.sample;
      }
    }
    for (const side of sides) {
      check(side.name, side.sample);
      if (side.failed > 0) process.stdout.write(`note: ${side.failed} failed requests (${side.name})\n`);
    }
    for (let i = 0; i < mixSides.length; i += 2) {
      for (const side of [mixSides[i], mixSides[i + 1]]) {
        if (side.failed > 0) process.stdout.write(`note: ${side.failed} failed requests (${side.name.trim()})\n`);
        if (!side.check(JSON.parse(side.sample || '{}').data)) throw new Error(`${side.name.trim()} answered something else: ${side.sample.slice(0, 300)}`);
      }
      if (JSON.stringify(JSON.parse(mixSides[i].sample)) !== JSON.stringify(JSON.parse(mixSides[i + 1].sample))) {
        process.stdout.write(`note: the answers differ (${mixSides[i].name.trim()}): ${mixSides[i].sample.slice(0, 200)} vs ${mixSides[i + 1].sample.slice(0, 200)}\n`);
      }
    }
    // Same figures: the service's answer is the baseline's, field for field.
    for (const side of sides.slice(1)) {
      if (JSON.stringify(JSON.parse(side.sample)) !== JSON.stringify(JSON.parse(sides[0].sample))) {
        throw new Error(`${side.name} answered other figures than the baseline: ${side.sample.slice(0, 300)} vs ${sides[0].sample.slice(0, 300)}`);
      }
    }
  } finally {
    await new Promise((r) => baseline.server.close(r));
    await new Promise((r) => ceiling.server.close(r));
    await baseline.pool.end();
    await service.stop();
    await cachedService.stop();
    await dropDb?.();
    await embedded?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const rates = sides.map((side) => side.requests / side.seconds);
  sides.forEach((side, i) => {
    process.stdout.write(`${side.name.padEnd(66)} ${rates[i].toFixed(0).padStart(7)} req/s   ${(rates[i] / rates[0]).toFixed(2)} × baseline\n`);
  });
  // The edge's share of an uncached request: its microseconds of the one thread × the requests the thread served per second.
  const edge = await edgeMicros(base);
  process.stdout.write(`\nthe HTTP edge (src/http/guards.ts, in-process on the portal's request): ${edge.toFixed(1)} µs per request, `
    + `${(edge * rates[1] / 1e4).toFixed(2)} % of the uncached service's time at ${rates[1].toFixed(0)} req/s (target ≤ 5 %)\n`);
  // How the service's executions went: rendered whole in SQL, or resolved (compiled or interpreted).
  process.stdout.write(`\nservice executions: ${executionStats.renderedRuns} rendered in SQL, `
    + `${executionStats.compiledRuns + executionStats.interpretedRuns} resolved (SQL_RENDERED_QUERIES=${base.sqlRenderedQueries})\n`);
  if (mixSides.length) process.stdout.write(`\nthe analysts' mix (each × its own one-statement baseline, target ≥ 0.5):\n`);
  for (let i = 0; i < mixSides.length; i += 2) {
    const [b, sv] = [mixSides[i], mixSides[i + 1]].map((side) => side.requests / side.seconds);
    process.stdout.write(`${mixSides[i].name.padEnd(96)} ${b.toFixed(0).padStart(7)} req/s\n`);
    process.stdout.write(`${mixSides[i + 1].name.padEnd(96)} ${sv.toFixed(0).padStart(7)} req/s   ${(sv / b).toFixed(2)} × (${sv / b >= 0.5 ? 'met' : 'NOT met'})\n`);
  }
  const uncached = rates[1] / rates[0];
  const cached = rates[2] / rates[0];
  process.stdout.write(`\nthe cached service answers at ${(100 * rates[2] / rates[3]).toFixed(0)} % of the ceiling's rate; `
    + `the ceiling is ${(rates[3] / rates[0]).toFixed(2)} × the baseline, so ${(rates[3] / rates[0]) >= 10 ? 'the cached target is within this machine\'s reach' : 'no server could meet the cached target on this machine'}\n`);
  process.stdout.write(`\ntargets: uncached ≥ 0.8 × baseline (${uncached >= 0.8 ? 'met' : 'NOT met'}), cached ≥ 10 × baseline (${cached >= 10 ? 'met' : 'NOT met'})\n`);
}

// Run, unless imported by another benchmark (bench/satisfaction.bench.ts) for its knobs and configuration.
if (require.main === module) {
  main().then(() => process.exit(0), (e) => {
    process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  });
}

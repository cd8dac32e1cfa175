// First: reruns this script as the service is deployed (NODE_ENV, V8 flags) before anything else loads.
import { DEPLOYED_NODE_FLAGS } from './as-deployed';
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { Client, Pool } from 'pg';
import { startService, type RunningService } from '../src/bootstrap';
import { createLogger } from '../src/config/logger';
import { createDataSource } from '../src/db/data-source';
import { withScratchDatabase } from '../src/db/scratch-database';
import { addAllStatements } from '../src/survey/tally-roller';
import { loadHttp } from './load-generator';
import { benchConfig, POOL, ROUNDS } from './query.bench';

/**
 * `npm run bench:satisfaction`: the last query of the analysts' mix
 * (issue 12), `satisfaction` by month for the whole province, through the
 * service uncached (response cache off, as bench:query's "uncached")
 * against a baseline: a bare Node HTTP server answering the same JSON with
 * one prepared, hand-written SQL statement over the same roll-up tables.
 * Same pool size, load generator and interleaved rounds as bench:query,
 * whose knobs it shares: BENCH_ROUNDS (3), DATABASE_URL (a server to make a
 * throwaway database on; default: an embedded PostgreSQL), and with other
 * defaults, since one answer takes about a second of a core where the
 * portal's takes a millisecond: BENCH_SECONDS (60 per side, so that a round
 * counts tens of answers, not a handful begun before it), BENCH_CONCURRENCY
 * (2: one load generator is one caller, and the service lets one caller
 * hold a quarter of the read pool, 2 of its 10 connections, src/bootstrap.ts;
 * with these one-second statements, a third request waits beyond
 * DB_POOL_WAIT_MS and is answered 429, busy, where the baseline queues it).
 * Its own:
 * BENCH_ANSWERS (10,000,000 survey answers, 5 per response); BENCH_KEEP_DB=1
 * keeps the database built (its name is printed), BENCH_DB_URL=<its url>
 * measures on it again without building (BENCH_ANSWERS must be the same).
 *
 * The year is built as kiosks leave it: a province of 20 departments, 10
 * districts and 150 communes with one kiosk each, every kiosk's responses
 * spread over every day of the year (office hours, Vietnam time) and four
 * procedure codes (one of them none), 1 % of them late; each response
 * answers 5 of the 10 questions. The roll-ups are then written by the
 * service's own rebuild statements (src/survey/tally-roller.ts,
 * addAllStatements) and a sample checked against the raw answers.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 10_000_000);
const ANSWERS_PER_RESPONSE = 5;
const RESPONSES = Math.round(ANSWERS / ANSWERS_PER_RESPONSE);
const YEAR = 2024; // the last year with districts
const UNITS = { DEPARTMENT: 20, DISTRICT: 10, COMMUNE: 150 };
const KIOSKS = UNITS.DEPARTMENT + UNITS.DISTRICT + UNITS.COMMUNE; // one each

const BODY = JSON.stringify({
  query: `query Satisfaction($year: Int!) { satisfaction(year: $year, groupBy: MONTH) { key responses rate } }`,
  variables: { year: YEAR }, operationName: 'Satisfaction',
});

/**
 * The baseline: what a developer would write by hand on the same schema for
 * the same answer (the published kinds' units of the year, late responses
 * left out), the JSON built by PostgreSQL.
 */
const BASELINE_SQL = `
WITH units AS NOT MATERIALIZED (
  SELECT u.id FROM unit u
    JOIN cycle c ON c.year = $1 AND c.unit_kind = u.kind AND (c.status = 'PUBLISHED' OR c.published_at IS NOT NULL)
   WHERE u.first_year <= $1 AND (u.last_year IS NULL OR u.last_year >= $1)),
a AS (
  SELECT to_char(t.day, 'YYYY-MM') AS key, sum(t.answers) AS answers,
         sum(t.n5 + CASE q.satisfied_min WHEN 1 THEN t.n1 + t.n2 + t.n3 + t.n4 WHEN 2 THEN t.n2 + t.n3 + t.n4
                                         WHEN 3 THEN t.n3 + t.n4 WHEN 4 THEN t.n4 ELSE 0 END) AS satisfied
    FROM survey_tally t JOIN question q ON q.id = t.question_id
   WHERE t.year = $1 AND NOT t.late AND t.unit_id IN (SELECT id FROM units)
   GROUP BY 1),
r AS (
  SELECT to_char(r.day, 'YYYY-MM') AS key, sum(r.responses) AS responses
    FROM survey_response_tally r
   WHERE r.year = $1 AND NOT r.late AND r.unit_id IN (SELECT id FROM units)
   GROUP BY 1)
SELECT json_build_object('data', json_build_object('satisfaction', coalesce(json_agg(
         json_build_object('key', a.key, 'responses', coalesce(r.responses, 0), 'rate', round(a.satisfied::numeric / a.answers, 4))
         ORDER BY a.key), '[]'::json)))::text AS body
  FROM a LEFT JOIN r ON r.key = a.key`;

function startBaseline(url: string): Promise<{ server: http.Server; pool: Pool; url: string }> {
  const pool = new Pool({ connectionString: url, max: POOL });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      pool.query({ name: 'satisfaction', text: BASELINE_SQL, values: [YEAR] }).then((r) => {
        const body = r.rows[0].body as string;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }, (e) => {
        res.writeHead(500);
        res.end(String(e));
      });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, pool, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
  }));
}

async function step<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  process.stdout.write(`  ${label.padEnd(60)} ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s\n`);
  return result;
}

/** The province's year of survey answers, as kiosks leave them, and its roll-ups. */
async function buildYear(db: Client): Promise<void> {
  await step('units, kiosks, questionnaire, published cycles', async () => {
    await db.query(
      `INSERT INTO unit (code, name, kind, search_text)
       SELECT 'S' || lpad(g::text, 2, '0'), 'Sở ' || g, 'DEPARTMENT'::unit_kind, 'so ' || g FROM generate_series(1, $1::int) g
       UNION ALL
       SELECT 'H' || lpad(g::text, 2, '0'), 'Huyện ' || g, 'DISTRICT'::unit_kind, 'huyen ' || g FROM generate_series(1, $2::int) g`,
      [UNITS.DEPARTMENT, UNITS.DISTRICT]);
    await db.query(
      `INSERT INTO unit (code, name, kind, parent_id, search_text)
       SELECT 'X' || lpad(g::text, 3, '0'), 'Xã ' || g, 'COMMUNE', d.id, 'xa ' || g
         FROM generate_series(1, $1::int) g JOIN unit d ON d.code = 'H' || lpad((1 + g % $2::int)::text, 2, '0')`,
      [UNITS.COMMUNE, UNITS.DISTRICT]);
    await db.query(`INSERT INTO kiosk (unit_id, label, token_hash) SELECT id, 'Kiosk', md5(id::text) || md5(code) FROM unit ORDER BY id`);
    await db.query(
      `INSERT INTO question (year, code, text, element, scale_max, satisfied_min, position)
       SELECT $1, 'Q' || g, 'Câu hỏi ' || g, (ARRAY['ACCESS','PROCEDURE','CIVIL_SERVANT','RESULT','FEEDBACK'])[1 + g % 5]::service_element,
              CASE WHEN g % 2 = 0 THEN 5 ELSE 3 END, CASE WHEN g % 2 = 0 THEN 4 ELSE 2 END, g - 1
         FROM generate_series(1, 10) g`, [YEAR]);
    await db.query(
      `INSERT INTO cycle (year, unit_kind, status, published_at)
       SELECT $1, k::unit_kind, 'PUBLISHED', make_timestamptz($1 + 1, 3, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh')
         FROM unnest(ARRAY['DEPARTMENT', 'DISTRICT', 'COMMUNE']) k`, [YEAR]);
  });
  // Response g comes from kiosk g % K; its s-th response (s = g / K) falls on day s % 366 of the year, in office hours,
  // for one of four procedures (none, or a code) in turn. Stored already rolled up: the rebuild below counts them.
  await step(`${RESPONSES.toLocaleString('en')} survey responses`, () => db.query(
    `WITH k AS (SELECT id, unit_id, row_number() OVER (ORDER BY id) - 1 AS n FROM kiosk)
     INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, received_at, procedure_code, late, tallied)
     SELECT k.id, k.unit_id, gen_random_uuid(), $2, at, at + interval '2 minutes',
            (ARRAY[NULL, '1.000001', '1.000002', '2.000105'])[1 + (g / $3::int / 366) % 4], g % 100 = 99, true
       FROM generate_series(0, $1::int - 1) g
       JOIN k ON k.n = g % $3::int
      CROSS JOIN LATERAL (SELECT make_timestamptz($2, 1, 1, 7, 30, 0, 'Asia/Ho_Chi_Minh')
                                 + ((g / $3::int) % 366) * interval '1 day' + (g % 34200) * interval '1 second' AS at) t`,
    [RESPONSES, YEAR, KIOSKS]));
  // Each response answers the 5 questions whose position has its id's parity.
  await step(`${(RESPONSES * ANSWERS_PER_RESPONSE).toLocaleString('en')} survey answers`, () => db.query(
    `INSERT INTO survey_answer (response_id, question_id, value)
     SELECT r.id, q.id, 1 + floor(random() * q.scale_max)::int
       FROM survey_response r JOIN question q ON q.year = $1 AND (q.position + r.id) % 2 = 0`, [YEAR]));
  // The service's rebuild (what rebuildTallies runs after emptying the tables): one pass per roll-up table.
  await step('roll-ups (the service\'s rebuild statements)', async () => {
    for (const sql of addAllStatements('WHERE r.year = $1')) await db.query(sql, [YEAR]);
  });
  await step('VACUUM ANALYZE', () => db.query('VACUUM ANALYZE'));
}

/** Throws unless a sample of the roll-ups (a unit's month, and the province's totals) matches the raw answers. */
async function checkRollUps(db: Client): Promise<void> {
  const sample = `SELECT r.unit_id, to_char((r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, 'YYYY-MM') AS month, r.late,
                         count(*) AS answers, count(*) FILTER (WHERE a.value >= q.satisfied_min) AS satisfied,
                         sum(a.value) AS total, count(DISTINCT r.id) AS responses
                    FROM survey_response r JOIN survey_answer a ON a.response_id = r.id JOIN question q ON q.id = a.question_id`;
  // A commune and the month of its last response.
  const { rows: [raw] } = await db.query(
    `WITH u AS (SELECT min(id) + 7 AS id FROM unit WHERE kind = 'COMMUNE'),
          m AS (SELECT to_char((max(submitted_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, 'YYYY-MM') AS month
                  FROM survey_response WHERE unit_id = (SELECT id FROM u))
     ${sample} WHERE r.unit_id = (SELECT id FROM u) AND r.year = $1 AND NOT r.late
                 AND to_char((r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, 'YYYY-MM') = (SELECT month FROM m)
      GROUP BY 1, 2, 3`, [YEAR]);
  const { rows: [rolled] } = await db.query(
    `SELECT sum(t.answers) AS answers,
            sum(CASE WHEN q.satisfied_min <= 1 THEN t.n1 ELSE 0 END + CASE WHEN q.satisfied_min <= 2 THEN t.n2 ELSE 0 END
              + CASE WHEN q.satisfied_min <= 3 THEN t.n3 ELSE 0 END + CASE WHEN q.satisfied_min <= 4 THEN t.n4 ELSE 0 END + t.n5) AS satisfied,
            sum(t.n1 + 2 * t.n2 + 3 * t.n3 + 4 * t.n4 + 5 * t.n5) AS total,
            (SELECT sum(responses) FROM survey_response_tally WHERE unit_id = $2 AND year = $1 AND NOT late AND to_char(day, 'YYYY-MM') = $3) AS responses
       FROM survey_tally t JOIN question q ON q.id = t.question_id
      WHERE t.unit_id = $2 AND t.year = $1 AND NOT t.late AND to_char(t.day, 'YYYY-MM') = $3`, [YEAR, raw.unit_id, raw.month]);
  for (const k of ['answers', 'satisfied', 'total', 'responses'] as const) {
    if (String(raw[k]) !== String(rolled[k])) throw new Error(`roll-ups of unit ${raw.unit_id} in ${raw.month}: ${k} ${rolled[k]}, the raw answers ${raw[k]}`);
  }
  const { rows: [totals] } = await db.query(
    `SELECT (SELECT count(*) FROM survey_answer) AS answers, (SELECT sum(answers) FROM survey_tally) AS tallied_answers,
            (SELECT count(*) FROM survey_response) AS responses, (SELECT sum(responses) FROM survey_response_tally) AS tallied_responses,
            (SELECT count(*) FROM survey_tally) AS tally_rows, (SELECT count(*) FROM survey_response_tally) AS response_tally_rows`);
  if (totals.answers !== totals.tallied_answers || totals.responses !== totals.tallied_responses) {
    throw new Error(`roll-ups count ${totals.tallied_answers} answers of ${totals.tallied_responses} responses, stored: ${totals.answers} of ${totals.responses}`);
  }
  process.stdout.write(`  checked: unit ${raw.unit_id} in ${raw.month} (${raw.answers} answers, ${raw.responses} responses) as the raw answers; `
    + `${Number(totals.answers).toLocaleString('en')} answers of ${Number(totals.responses).toLocaleString('en')} responses in `
    + `${Number(totals.tally_rows).toLocaleString('en')} survey_tally rows and ${Number(totals.response_tally_rows).toLocaleString('en')} survey_response_tally rows\n`);
}

/** Throws unless a month of the answer (the middle one) is what the raw answers give for the province (late responses left out). */
async function checkAnswer(db: Client, answer: { key: string; responses: number; rate: number }[]): Promise<string> {
  const month = answer[Math.floor(answer.length / 2)];
  const { rows: [raw] } = await db.query(
    `SELECT count(DISTINCT r.id)::int AS responses, round(count(*) FILTER (WHERE a.value >= q.satisfied_min)::numeric / count(*), 4)::float8 AS rate
       FROM survey_response r JOIN survey_answer a ON a.response_id = r.id JOIN question q ON q.id = a.question_id
      WHERE r.year = $1 AND NOT r.late AND to_char((r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, 'YYYY-MM') = $2`,
    [YEAR, month?.key]);
  const months = Math.min(12, Math.ceil(RESPONSES / KIOSKS / 366 * 12));
  if (answer.length !== months || month.responses !== raw.responses || month.rate !== raw.rate) {
    throw new Error(`the answer's ${month?.key} is ${JSON.stringify(month)} (of ${answer.length} months), the raw answers give ${JSON.stringify(raw)}`);
  }
  return month.key;
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_DB_URL;
  if (reuse) return run(reuse, false);
  await withScratchDatabase('par_bench', ({ url }) => run(url, true), { keep: !!process.env.BENCH_KEEP_DB });
}

async function run(url: string, build: boolean): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  if (build) {
    // Migrated, then built before the service starts: its background work (roll-up, kiosk alerts) does not run into the build.
    const migrating = createDataSource({ url, poolSize: 1 });
    await migrating.initialize();
    await migrating.runMigrations();
    await migrating.destroy();
    process.stdout.write(`building a province's year: ${UNITS.DEPARTMENT} departments, ${UNITS.DISTRICT} districts, ${UNITS.COMMUNE} communes, `
      + `one kiosk each, ${RESPONSES.toLocaleString('en')} responses × ${ANSWERS_PER_RESPONSE} answers\n`);
    const t0 = performance.now();
    await buildYear(db);
    process.stdout.write(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  await step('sample of the roll-ups checked against the raw answers', () => checkRollUps(db));
  // The response cache off: every request is answered from the database.
  const logger = createLogger('error');
  const service: RunningService = await startService({ ...benchConfig(url), cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0 }, logger);
  const baseline = await startBaseline(url);
  try {
    process.stdout.write(`concurrency ${CONCURRENCY}, ${SECONDS} s per side in ${ROUNDS} interleaved rounds, pool ${POOL}, ${os.cpus().length} CPUs, `
      + `NODE_ENV=${process.env.NODE_ENV}, node ${DEPLOYED_NODE_FLAGS.join(' ')}\n\n`);

    const sides = [
      { name: 'baseline (one prepared SQL statement, JSON built in PostgreSQL)', url: baseline.url, requests: 0, seconds: 0, failed: 0, sample: '' },
      { name: 'service, uncached: satisfaction(year, groupBy: MONTH) { key responses rate }', url: service.url, requests: 0, seconds: 0, failed: 0, sample: '' },
    ];
    // Interleaved rounds, so that other load on the machine falls on both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of sides) {
        const r = await loadHttp({ url: side.url, body: BODY, concurrency: CONCURRENCY, seconds: SECONDS / ROUNDS, warmup: round === 0 ? 5 : 2 });
        side.requests += r.requests;
        side.seconds += r.seconds;
        side.failed += r.failed;
        if (!side.sample && r.sample.startsWith('HTTP')) side.sample = r.sample;
      }
    }
    for (const side of sides) {
      if (side.failed > 0) process.stdout.write(`note: ${side.failed} requests not answered 200 (${side.name}), e.g. ${side.sample.slice(0, 200) || '(none kept)'}\n`);
    }
    // Same answer, field for field, and the one the raw answers give (asked once more, unloaded: under load the
    // service may answer 429, busy, when no connection frees up within DB_POOL_WAIT_MS).
    const [b, s] = await Promise.all(sides.map(async (side) => {
      const res = await fetch(side.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
      return JSON.stringify(await res.json());
    }));
    if (b !== s) throw new Error(`the service answered other figures than the baseline: ${s.slice(0, 300)} vs ${b.slice(0, 300)}`);
    const checked = await checkAnswer(db, JSON.parse(s).data.satisfaction);
    process.stdout.write(`same answer on both sides (${JSON.parse(s).data.satisfaction.length} months, ${checked} checked against the raw answers): ${s.slice(0, 120)}…\n\n`);
    const rates = sides.map((side) => side.requests / side.seconds);
    sides.forEach((side, i) => process.stdout.write(
      `${side.name.padEnd(80)} ${rates[i].toFixed(2).padStart(7)} req/s   ${(rates[i] / rates[0]).toFixed(2)} × baseline   `
      + `(${side.requests} answers in ${side.seconds.toFixed(0)} s)\n`));
    process.stdout.write(`\ntarget: the service ≥ 0.5 × baseline (${rates[1] / rates[0] >= 0.5 ? 'met' : 'NOT met'})\n`);
  } finally {
    await db.end();
    await new Promise((r) => baseline.server.close(r));
    await baseline.pool.end();
    await service.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});

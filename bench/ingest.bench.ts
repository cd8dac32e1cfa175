import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { Pool } from 'pg';
import { startService, type RunningService } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { withScratchDatabase } from '../src/db/scratch-database';

/**
 * Kiosk ingestion benchmark (`npm run bench:ingest`; not a test).
 *
 * Starts the service in-process on a fresh database (on DATABASE_URL's
 * server if set, else an embedded PostgreSQL in a temp dir), registers
 * kiosks through the API, and drives it over HTTP with CONCURRENCY simulated
 * kiosks, each sending its responses one after another:
 *   1. single submissions (submitSurveyResponse), SINGLES per kiosk;
 *   2. batches of 100 (submitSurveyResponses), BATCHES per kiosk;
 * then a baseline that inserts the same kind of rows straight through pg,
 * one transaction per response (BEGIN; INSERT response; INSERT answers;
 * COMMIT), at the same concurrency and with a pool of the same size.
 * Prints the rates and ratios, and checks the stored count equals the
 * accepted count exactly (and the roll-ups agree with it).
 *
 * Knobs (environment): BENCH_CONCURRENCY (32), BENCH_SINGLES (60 per kiosk),
 * BENCH_BATCHES (4 per kiosk), BENCH_ANSWERS (5 per response), BENCH_POOL (20),
 * BENCH_DAYS (30: the days of the year the responses are spread over).
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 60);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 4);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 5);
const POOL = Number(process.env.BENCH_POOL ?? 20);
/** Responses are spread over this many days of the year (a live kiosk sends the ratings of the moment). */
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const BATCH_SIZE = 100;
const YEAR = 2025;
const ADMIN = 'bench-admin-token-0123456789';

const SUBMIT = `mutation($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) { status responseId } }`;
const SUBMIT_MANY = `mutation($inputs: [SubmitSurveyResponseInput!]!) { submitSurveyResponses(inputs: $inputs) { status } }`;

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
      res.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function gql(url: URL, token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const r = await post(url, token, { query, variables });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

let seq = 0;
/** A response of YEAR at a spread-out time, with ANSWERS answers on Q1…Q<ANSWERS>. */
function makeResponse() {
  const i = seq++;
  const at = new Date(Date.UTC(YEAR, 0, 1, 1) + (i % DAYS) * 86_400_000 + (i % 600) * 1000);
  return {
    clientId: randomUUID(),
    submittedAt: at.toISOString(),
    procedureCode: i % 3 === 0 ? `TT.${i % 7}` : null,
    answers: Array.from({ length: ANSWERS }, (_, q) => ({ questionCode: `Q${q + 1}`, value: 1 + ((i + q) % 5) })),
  };
}

/** Runs fn; returns its result, the seconds it took, and the share of one core this Node process used meanwhile. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const out = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return [out, seconds, (used.user + used.system) / 1e6 / seconds];
}

async function main(): Promise<void> {
  const logger = createLogger('warn');
  let failed = false;
  await withScratchDatabase('par_bench', async ({ url: dbUrl }) => {
    let service: RunningService | undefined;
    let pool: Pool | undefined;
    try {
      service = await startService({
        ...loadConfig({}), port: 0, databaseUrl: dbUrl, adminToken: ADMIN, seedDemo: false,
        poolSize: POOL, logLevel: 'warn',
        // The benchmark floods on purpose: limits far above what it sends.
        kioskRatePerSecond: 1_000_000, kioskRateBurst: 10_000_000,
      }, logger);
      const url = new URL(service.url);
      console.log(`service at ${service.url}; ${CONCURRENCY} concurrent kiosks, ${ANSWERS} answers per response, pool ${POOL}, ${os.cpus().length} CPUs`);

      // Setup through the API: units, a questionnaire, one kiosk per simulated kiosk.
      const units = 20;
      for (let u = 0; u < units; u++) {
        await gql(url, ADMIN, `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, {
          input: { code: `U${u}`, name: `Sở ${u}`, kind: 'DEPARTMENT' },
        });
      }
      await gql(url, ADMIN, `mutation($q: [QuestionInput!]!) { defineQuestionnaire(year: ${YEAR}, questions: $q) { code } }`, {
        q: Array.from({ length: Math.max(ANSWERS, 5) }, (_, i) => ({
          code: `Q${i + 1}`, text: `Câu hỏi ${i + 1}`, element: ['ACCESS', 'PROCEDURE', 'CIVIL_SERVANT', 'RESULT', 'FEEDBACK'][i % 5], scaleMax: 5,
        })),
      });
      const kiosks: { id: number; token: string; unitId: number }[] = [];
      for (let k = 0; k < CONCURRENCY * 2; k++) {
        const d = await gql(url, ADMIN, `mutation($input: RegisterKioskInput!) { registerKiosk(input: $input) { token kiosk { id } } }`, {
          input: { unitCode: `U${k % units}`, label: `Kiosk ${k}` },
        });
        // Kiosk.id is opaque: the baseline's rows need the internal key.
        const [{ id }] = (await service.db.query('SELECT id FROM kiosk WHERE public_id = $1', [d.registerKiosk.kiosk.id])) as { id: number }[];
        kiosks.push({ id, token: d.registerKiosk.token, unitId: 0 });
      }
      const httpKiosks = kiosks.slice(0, CONCURRENCY);
      const pgKiosks = kiosks.slice(CONCURRENCY);
      const unitOf: { id: number; unit_id: number }[] = (await service.db.query('SELECT id, unit_id FROM kiosk')) as never;
      for (const k of kiosks) k.unitId = unitOf.find((r) => r.id === k.id)!.unit_id;
      const qids: { id: number; code: string }[] = await service.db.query('SELECT id, code FROM question WHERE year = $1', [YEAR]);
      const qid = new Map(qids.map((q) => [q.code, q.id]));

      // Warm-up (JIT, caches, connections), not counted.
      await Promise.all(httpKiosks.map((k) => post(url, k.token, { query: SUBMIT, variables: { input: makeResponse() } })));

      let accepted = httpKiosks.length; // the warm-up
      let otherStatuses = 0;

      // 1. Single submissions.
      const [, singleSeconds, singleCpu] = await timed(() => Promise.all(httpKiosks.map(async (k) => {
        for (let i = 0; i < SINGLES; i++) {
          const r = await post(url, k.token, { query: SUBMIT, variables: { input: makeResponse() } });
          if (r.data?.submitSurveyResponse?.status === 'ACCEPTED') accepted++;
          else { otherStatuses++; if (otherStatuses < 3) console.error(JSON.stringify(r)); }
        }
      })));
      const singles = CONCURRENCY * SINGLES;
      const singleRate = singles / singleSeconds;

      // 2. Batches of 100.
      const [, batchSeconds, batchCpu] = await timed(() => Promise.all(httpKiosks.map(async (k) => {
        for (let b = 0; b < BATCHES; b++) {
          const inputs = Array.from({ length: BATCH_SIZE }, makeResponse);
          const r = await post(url, k.token, { query: SUBMIT_MANY, variables: { inputs } });
          for (const s of r.data?.submitSurveyResponses ?? []) {
            if (s.status === 'ACCEPTED') accepted++; else otherStatuses++;
          }
          if (!r.data) { otherStatuses += BATCH_SIZE; console.error(JSON.stringify(r.errors)); }
        }
      })));
      const batched = CONCURRENCY * BATCHES * BATCH_SIZE;
      const batchRate = batched / batchSeconds;

      // 3. Baseline: the same rows straight through pg, one transaction per response, same concurrency and pool size.
      pool = new Pool({ connectionString: dbUrl, max: POOL });
      const [, baseSeconds, baseCpu] = await timed(() => Promise.all(pgKiosks.map(async (k) => {
        for (let i = 0; i < SINGLES; i++) {
          const r = makeResponse();
          const at = new Date(r.submittedAt);
          const client = await pool!.connect();
          try {
            await client.query('BEGIN');
            const { rows } = await client.query(
              // tallied = true: the baseline stores the rows and nothing else (the service's roll-ups are extra work it does not do).
              `INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, procedure_code, comment, late, tallied)
               VALUES ($1, $2, $3, $4, $5, $6, NULL, false, true) RETURNING id`,
              [k.id, k.unitId, r.clientId, YEAR, at, r.procedureCode],
            );
            const values: unknown[] = [];
            const tuples = r.answers.map((a, j) => {
              values.push(rows[0].id, qid.get(a.questionCode), a.value);
              return `($${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3})`;
            });
            await client.query(`INSERT INTO survey_answer (response_id, question_id, value) VALUES ${tuples.join(', ')}`, values);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }
      })));
      const baseRate = singles / baseSeconds;

      // Exactly what was accepted is stored, and the roll-ups agree once the background roll-up has caught up.
      const rollUpStart = performance.now();
      const rolledUpAtEnd = await service.services.tallies.rollUp();
      const rollUpMs = performance.now() - rollUpStart;
      const [counts] = await service.db.query(
        `SELECT (SELECT count(*) FROM survey_response WHERE kiosk_id = ANY($1))::int AS stored,
                (SELECT sum(responses) FROM survey_response_tally WHERE kiosk_id = ANY($1))::int AS tallied,
                (SELECT count(*) FROM survey_answer a JOIN survey_response r ON r.id = a.response_id WHERE r.kiosk_id = ANY($1))::int AS answers,
                (SELECT sum(answers) FROM survey_tally WHERE kiosk_id = ANY($1))::int AS tallied_answers`,
        [httpKiosks.map((k) => k.id)],
      );
      const [explain] = await service.db.query(
        `EXPLAIN (FORMAT JSON) ${service.services.satisfaction.buildQuery({ year: YEAR, unitId: null, kinds: null, includeLate: false, groupBy: 'MONTH' as never }).sql}`,
        [YEAR, false],
      );
      const plan = JSON.stringify(explain);

      const f = (x: number) => x.toFixed(0).padStart(8);
      console.log('');
      console.log(`single submissions over HTTP : ${f(singleRate)} responses/s  (${singles} in ${singleSeconds.toFixed(2)} s; Node at ${(singleCpu * 100).toFixed(0)}% of a core)`);
      console.log(`batches of ${BATCH_SIZE} over HTTP      : ${f(batchRate)} responses/s  (${batched} in ${batchSeconds.toFixed(2)} s; Node at ${(batchCpu * 100).toFixed(0)}% of a core)`);
      console.log(`baseline, pg, 1 tx/response : ${f(baseRate)} responses/s  (${singles} in ${baseSeconds.toFixed(2)} s; Node at ${(baseCpu * 100).toFixed(0)}% of a core)`);
      console.log('');
      console.log(`single / baseline  = ${(singleRate / baseRate).toFixed(2)}  (target ≥ 0.33, aim 0.5)`);
      console.log(`batches / single   = ${(batchRate / singleRate).toFixed(2)}  (target ≥ 5)`);
      console.log(`accepted ${accepted}, stored ${counts.stored}, other statuses ${otherStatuses}; response tally ${counts.tallied} (the baseline's rows are not rolled up), answers ${counts.answers} = tallied ${counts.tallied_answers}`);
      console.log(`background roll-up backlog at the end: ${rolledUpAtEnd} responses, caught up in ${rollUpMs.toFixed(0)} ms`);
      console.log(`satisfaction (MONTH, province) plan reads survey_tally: ${plan.includes('survey_tally')}, survey_answer: ${plan.includes('survey_answer')}`);
      const exact = counts.stored === accepted && otherStatuses === 0 && counts.tallied === accepted && counts.answers === counts.tallied_answers;
      console.log(exact ? 'OK: the stored count equals the accepted count exactly' : 'MISMATCH between accepted and stored');
      if (!exact) failed = true;
    } finally {
      await pool?.end();
      agent.destroy();
      await service?.stop();
    }
  }, { port: 58432 });
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

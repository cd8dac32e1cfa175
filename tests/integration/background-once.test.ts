import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from 'pg';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { buildProvince, registerKiosk } from './survey-fixtures';

/*
 * Issue 18, background work once: two instances on one database, the second
 * a process of its own so that it can be SIGKILLed. The survey roll-up takes
 * its responses FOR UPDATE SKIP LOCKED and flags and counts them in one
 * statement: whichever instance takes a response counts it, once, and a
 * roll-up killed mid-statement leaves nothing half-done. Recomputation runs
 * on the instance holding the advisory lock; when it dies, the other one
 * takes over.
 */

const ROOT = path.resolve(__dirname, '../..');
const MANY = `mutation($inputs: [SubmitSurveyResponseInput!]!) { submitSurveyResponses(inputs: $inputs) { status } }`;

async function admin(text: string): Promise<void> {
  const client = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  await client.connect();
  try { await client.query(text); } finally { await client.end(); }
}

/** The service in a child process on `databaseUrl`; resolves with its URL once it listens. */
function startChild(databaseUrl: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'tests/support/service-process.ts')], {
    cwd: ROOT,
    // ts-node with swc (transpile only): the whole service compiled at start; a loaded machine takes most of a minute.
    env: { ...process.env, TS_NODE_SWC: 'true', DATABASE_URL: databaseUrl, PORT: '0', ADMIN_TOKEN, SEED_DEMO: 'false', LOG_LEVEL: 'error', REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child service did not start in 150 s: ${stderr}`)), 150_000);
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the child service exited (${code}): ${stderr}`)); });
  });
}

async function gql(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two instances, one roll-up', () => {
  let databaseUrl: string;
  let name: string;
  let child: ChildProcess | undefined;
  let a: TestService | undefined;
  let db: Client;
  /** Reads of the shared database (TestService.sql reads the test service's own, unused here). */
  const sql = async (text: string): Promise<any[]> => (await db.query(text)).rows;

  beforeAll(async () => {
    name = `par_test_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.TEST_PG_ADMIN_URL!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await a?.stop().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  test('10,000 responses through both, the leading instance SIGKILLed mid roll-up: every response counted exactly once, the other takes over', async () => {
    // B first: it migrates the database and takes the recomputation's lock; it rolls up every 2 s, 5,000 at a time.
    const b = await startChild(databaseUrl, {
      TALLY_INTERVAL_MS: '2000', TALLY_BATCH_SIZE: '5000', KIOSK_RATE_PER_SECOND: '100000', KIOSK_RATE_BURST: '100000', RECOMPUTE_INTERVAL_MS: '200',
    });
    child = b.child;
    a = await startTestService({ databaseUrl, kioskRatePerSecond: 100_000, kioskRateBurst: 100_000, recomputeIntervalMs: 200 });
    // A rolls up nothing until B is dead: only B's roll-up can be killed half-way.
    await a.service.services.tallies.stop();
    expect(a.service.services.recompute.leading).toBe(false);

    await buildProvince(a);
    const kiosks = [];
    for (let i = 0; i < 20; i++) kiosks.push(await registerKiosk(a, i % 2 === 0 ? 'STP' : 'SYT', `k-${i}`));
    // 20 batches of 500, alternately through A and B: Q1 = 1..5 and Q2 = 1..3 in turn.
    const expected = { Q1: [0, 0, 0, 0, 0], Q2: [0, 0, 0] };
    for (let k = 0; k < 20; k++) {
      const inputs = Array.from({ length: 500 }, (_, i) => {
        const n = k * 500 + i;
        expected.Q1[n % 5]++;
        expected.Q2[n % 3]++;
        return {
          clientId: randomUUID(), submittedAt: new Date(Date.UTC(2024, 2, 1 + (n % 28), 2)).toISOString(),
          answers: [{ questionCode: 'Q1', value: (n % 5) + 1 }, { questionCode: 'Q2', value: (n % 3) + 1 }],
        };
      });
      const d = await gql(k % 2 === 0 ? a.url : b.url, MANY, { inputs }, kiosks[k].token);
      expect(d.submitSurveyResponses.filter((r: { status: string }) => r.status === 'ACCEPTED')).toHaveLength(500);
    }

    // B's roll-up statement running (the only one: A's is stopped): kill B then, without a word to anyone.
    let killedMidStatement = false;
    await waitFor('a roll-up statement of B', async () => {
      const running = await sql(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
        AND query LIKE '%UPDATE survey_response r SET tallied = true%' AND pid <> pg_backend_pid()`);
      if (running.length === 0) {
        const [{ left }] = await sql('SELECT count(*)::int AS left FROM survey_response WHERE NOT tallied');
        if (left > 0) return false;
        // B rolled everything up between two looks: killed after its job, not in it (the figures must hold either way).
        b.child.kill('SIGKILL');
        return true;
      }
      b.child.kill('SIGKILL');
      killedMidStatement = true;
      return true;
    }, 30_000);
    await new Promise<void>((r) => (b.child.exitCode !== null || b.child.signalCode !== null ? r() : b.child.once('exit', () => r())));
    expect(b.child.signalCode).toBe('SIGKILL');
    console.info(`B was SIGKILLed ${killedMidStatement ? 'while its roll-up statement ran' : 'between roll-ups (none was running when looked at)'}`);

    // A takes over the recomputation (B's lock went with its connection) and rolls up what B left.
    await waitFor('A leading', () => a!.service.services.recompute.leading, 10_000);
    await a.service.services.tallies.rollUp();
    const [counts] = await sql(`SELECT (SELECT count(*)::int FROM survey_response) AS responses,
      (SELECT count(*)::int FROM survey_response WHERE NOT tallied) AS untallied,
      (SELECT sum(responses)::int FROM survey_response_tally) AS tallied,
      (SELECT sum(responses)::int FROM survey_element_tally) AS elements,
      (SELECT sum(responses)::int FROM survey_question_set_tally) AS sets`);
    expect(counts).toEqual({ responses: 10_000, untallied: 0, tallied: 10_000, elements: 10_000, sets: 10_000 });
    const perQuestion = await sql(`SELECT q.code, sum(t.answers)::int AS answers, sum(t.n1)::int AS n1, sum(t.n2)::int AS n2,
        sum(t.n3)::int AS n3, sum(t.n4)::int AS n4, sum(t.n5)::int AS n5
      FROM survey_question_tally t JOIN question q ON q.id = t.question_id GROUP BY q.code ORDER BY q.code`);
    // 10,000 answers each: Q1's values 1..5 in turn (2,000 each), Q2's 1..3 in turn (3,334, 3,333, 3,333).
    expect(perQuestion).toEqual([
      { code: 'Q1', answers: 10_000, n1: expected.Q1[0], n2: expected.Q1[1], n3: expected.Q1[2], n4: expected.Q1[3], n5: expected.Q1[4] },
      { code: 'Q2', answers: 10_000, n1: expected.Q2[0], n2: expected.Q2[1], n3: expected.Q2[2], n4: 0, n5: 0 },
    ]);
    expect(expected.Q2).toEqual([3334, 3333, 3333]);
    // The detailed table agrees with the stored answers themselves.
    const [{ differ }] = await sql(`SELECT count(*)::int AS differ FROM (
        SELECT r.unit_id, a.question_id, count(*) AS n FROM survey_response r JOIN survey_answer a ON a.response_id = r.id GROUP BY 1, 2
        EXCEPT SELECT unit_id, question_id, sum(answers) FROM survey_tally GROUP BY 1, 2) d`);
    expect(differ).toBe(0);
  }, 300_000);
});

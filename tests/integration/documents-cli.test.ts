import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';
import { readXlsx, writeXlsx } from './documents-fixture';

/**
 * `npx par-index` (bin/par-index.js) against a running service, as a
 * provincial IT officer's script would use it: the template, an import dry
 * run then the import, the ranking as CSV; a refusal exits non-zero with the
 * service's message.
 */
const run = promisify(execFile);
let t: TestService;
let dir: string;
let appraiser: string;

async function cli(args: string[], token = appraiser) {
  try {
    const r = await run(process.execPath, [path.join(__dirname, '../../bin/par-index.js'), ...args], {
      env: { ...process.env, PAR_INDEX_URL: t.url.replace(/\/graphql$/, ''), PAR_INDEX_TOKEN: token }, timeout: 60000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(async () => {
  t = await startTestService();
  dir = mkdtempSync(path.join(os.tmpdir(), 'par-index-cli-'));
  await t.ok(`mutation { createUnit(input: {code: "STP", name: "Sở Tư pháp", kind: DEPARTMENT}) { id } }`);
  appraiser = (await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "P1"}) }`)).issueToken;
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: {
    year: 2024, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo', criteria: [{ code: 'C1', name: 'Kế hoạch', maxPoints: 10, source: 'EXPERT' }] }],
  } });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
}, 60000);
afterAll(async () => { await t?.stop(); rmSync(dir, { recursive: true, force: true }); });

test('template, dry run, import and export from the command line', async () => {
  const template = path.join(dir, 'mau.xlsx');
  const got = await cli(['template', 'appraisal', '--year', '2024', '--kind', 'department', '--out', template]);
  expect(got).toMatchObject({ code: 0 });
  expect(got.stderr).toMatch(/mau\.xlsx: \d+ bytes, 1 rows/);
  const wb = await readXlsx(readFileSync(template));
  wb.getWorksheet('Thẩm định')!.getCell('D6').value = 7.5;
  const filled = path.join(dir, 'filled.xlsx');
  writeFileSync(filled, await writeXlsx(wb));

  const dry = await cli(['import', 'appraisal', filled, '--round', 'APPRAISAL', '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/^Dry run: would apply 1 units, 1 scores, 0 bonus\/penalty \(new 1, changed 0, unchanged 0\) in \d+ ms/);
  expect(await t.sql('SELECT count(*)::int AS n FROM expert_score')).toEqual([{ n: 0 }]);

  const done = await cli(['import', 'appraisal', filled, '--round', 'APPRAISAL', '--progress']);
  expect(done.code).toBe(0);
  expect(done.stdout).toMatch(/^Applied 1 units, 1 scores/);

  const csv = path.join(dir, 'xep-hang.csv');
  expect((await cli(['export', 'rankings', '--year', '2024', '--kind', 'DEPARTMENT', '--out', csv, '--progress'], ADMIN_TOKEN)).code).toBe(0);
  const lines = readFileSync(csv, 'utf8').replace(/^\uFEFF/, '').trimEnd().split('\r\n');
  expect(lines[1]).toBe('1,STP,Sở Tư pháp,7.50,7.50,0.00,0.00,0.00,7.50,75.00,Khá,1,');
}, 120000);

test('a refusal exits 1 with the service\'s message and the cell', async () => {
  const wb = await readXlsx(readFileSync(path.join(dir, 'mau.xlsx')));
  wb.getWorksheet('Thẩm định')!.getCell('D6').value = 12;
  const bad = path.join(dir, 'bad.xlsx');
  writeFileSync(bad, await writeXlsx(wb));
  const r = await cli(['import', 'appraisal', bad, '--round', 'APPRAISAL']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/HTTP 400: Thẩm định!D6: Ô D6 .* points 12 exceed the maximum 10 of criterion C1/);
  const usage = await cli(['export', 'rankings', '--year', '24', '--kind', 'DEPARTMENT', '--out', 'x.xlsx']);
  expect(usage.code).not.toBe(0);
  expect(usage.stderr).toMatch(/a year such as 2024/);
}, 60000);

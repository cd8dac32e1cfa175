import { createHash } from 'node:crypto';
import http from 'node:http';
import { deflateSync, crc32 } from 'node:zlib';
import ExcelJS from 'exceljs';
import { tinyPdf } from '../../src/evidence/pdf';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/**
 * Evidence files over HTTP (API.md, "Evidence files"; issue 14): POST
 * /evidence judged by content, bounded by MAX_EVIDENCE_BYTES (64 KiB here),
 * stored once per content; GET /evidence/{id} to the unit itself,
 * APPRAISER, ANALYST and ADMIN, 404 to anyone else; Unit.evidence and
 * removeEvidence in GraphQL.
 *
 * Departments STP and SYT; 2024 DEPARTMENT framework: domain D1 with the
 * leaves C1 and C2 (EXPERT, 10 each), OPEN with no window (open while the
 * cycle is OPEN). 2023 DEPARTMENT is defined, DRAFT.
 */
const LIMIT = 64 * 1024;
let t: TestService;
let base: string;
const tokens: Record<string, string> = {};

const framework = (year: number) => ({
  year, unitKind: 'DEPARTMENT', domains: [{ code: 'D1', name: 'Chỉ đạo, điều hành', criteria: [
    { code: 'C1', name: 'Kế hoạch CCHC', maxPoints: 10, source: 'EXPERT' },
    { code: 'C2', name: 'Kiểm tra CCHC', maxPoints: 10, source: 'EXPERT' },
  ] }],
});

interface Answer { status: number; body: any }

async function post(file: Buffer, fileName: string, fields: Record<string, string>, token: string | null): Promise<Answer> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file]), fileName);
  const res = await fetch(`${base}/evidence`, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function get(id: string, token: string | null) {
  const res = await fetch(`${base}/evidence/${id}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const stp = { year: '2024', unitCode: 'STP', criterionCode: 'C1' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const counts = async () => (await t.sql(
  `SELECT (SELECT count(*)::int FROM evidence) AS evidence, (SELECT count(*)::int FROM evidence_blob) AS blobs,
          (SELECT count(*)::int FROM evidence_blob_chunk) AS chunks, (SELECT count(*)::int FROM audit_entry WHERE operation LIKE '%Evidence') AS audits`))[0];

/** A 1×1 PNG, each chunk with its CRC. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))), chunk('IEND', Buffer.alloc(0))]);
}

/** A zip of one stored (uncompressed) text part: a zip, but no office document. */
function plainZip(): Buffer {
  const name = Buffer.from('notes.txt');
  const data = Buffer.from('not an office document');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(10, 4); local.writeUInt32LE(crc32(data) >>> 0, 14);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(name.length, 26);
  const cd = Buffer.alloc(46);
  cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(10, 4); cd.writeUInt16LE(10, 6); cd.writeUInt32LE(crc32(data) >>> 0, 16);
  cd.writeUInt32LE(data.length, 20); cd.writeUInt32LE(data.length, 24); cd.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  const cdOffset = 30 + name.length + data.length;
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12); end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, cd, name, end]);
}

async function xlsx(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('Minh chứng').addRow(['Tiêu chí', 'C1']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

beforeAll(async () => {
  t = await startTestService({ maxEvidenceBytes: LIMIT, recomputeIntervalMs: 60000 });
  base = t.url.replace(/\/graphql$/, '');
  for (const [code, name] of [['STP', 'Sở Tư pháp'], ['SYT', 'Sở Y tế']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind: 'DEPARTMENT' } });
  }
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2024) });
  await t.ok(`mutation { openCycle(year: 2024, unitKind: DEPARTMENT) { status } }`);
  await t.ok(`mutation($input: DefineCycleInput!) { defineCycle(input: $input) { year } }`, { input: framework(2023) });
  const issue = async (role: string, name: string, unitCode?: string) => (await t.ok(
    `mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name, ...(unitCode ? { unitCode } : {}) } })).issueToken as string;
  tokens.STP = await issue('UNIT', 'Cán bộ STP', 'STP');
  tokens.SYT = await issue('UNIT', 'Cán bộ SYT', 'SYT');
  tokens.APPRAISER = await issue('APPRAISER', 'P1');
  tokens.ANALYST = await issue('ANALYST', 'A1');
  tokens.KIOSK = (await t.ok(`mutation { registerKiosk(input: {unitCode: "STP", label: "K1"}) { token } }`)).registerKiosk.token;
}, 60000);
afterAll(async () => { await t?.stop(); });

test('a PDF from the unit is stored: 201 with its SHA-256, size, type and name; one audit entry', async () => {
  const pdf = tinyPdf(['Sở Tư pháp', 'Kế hoạch CCHC 2024']);
  const r = await post(pdf, 'ke-hoach.pdf', { ...stp, note: 'Kế hoạch số 12/KH-STP' }, tokens.STP);
  expect(r.status).toBe(201);
  expect(r.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), sha256: sha(pdf), bytes: pdf.length, contentType: 'application/pdf', fileName: 'ke-hoach.pdf' });
  expect(await counts()).toEqual({ evidence: 1, blobs: 1, chunks: 1, audits: 1 });
  const [audit] = await t.sql(`SELECT actor, role, operation, unit_code, year, after->>'sha256' AS sha FROM audit_entry WHERE operation = 'uploadEvidence'`);
  expect(audit).toEqual({ actor: 'Cán bộ STP', role: 'UNIT', operation: 'uploadEvidence', unit_code: 'STP', year: 2024, sha: sha(pdf) });
  const [stored] = await t.sql(`SELECT encode(sha256, 'hex') AS sha, bytes::int, note FROM evidence`);
  expect(stored).toEqual({ sha: sha(pdf), bytes: pdf.length, note: 'Kế hoạch số 12/KH-STP' });
});

test('the same content for the same leaf answers the same id; for another leaf a new id over the same stored bytes', async () => {
  const pdf = tinyPdf(['Sở Tư pháp', 'Báo cáo kiểm tra']);
  const first = await post(pdf, 'a.pdf', stp, tokens.STP);
  const again = await post(pdf, 'renamed.pdf', stp, ADMIN_TOKEN);
  expect(first.status).toBe(201);
  expect(again.status).toBe(201);
  expect(again.body.id).toBe(first.body.id);
  expect(again.body.fileName).toBe('a.pdf');
  const other = await post(pdf, 'a.pdf', { ...stp, criterionCode: 'C2' }, tokens.STP);
  expect(other.status).toBe(201);
  expect(other.body.id).not.toBe(first.body.id);
  const rows = await t.sql(`SELECT count(*)::int AS n FROM evidence WHERE sha256 = decode($1, 'hex')`, [sha(pdf)]);
  const blobs = await t.sql(`SELECT count(*)::int AS n FROM evidence_blob WHERE sha256 = decode($1, 'hex')`, [sha(pdf)]);
  expect([rows[0].n, blobs[0].n]).toEqual([2, 1]);
});

test('the type is judged by the bytes, not the name: PNG and XLSX named .pdf are stored as what they are; a zip, an exe and text are 415 and nothing is stored', async () => {
  const image = await post(png(), 'scan.pdf', stp, tokens.STP);
  expect(image.status).toBe(201);
  expect(image.body.contentType).toBe('image/png');
  const sheet = await post(await xlsx(), 'bang.pdf', stp, tokens.STP);
  expect(sheet.status).toBe(201);
  expect(sheet.body.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');

  const before = await counts();
  const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
  for (const [bytes, what] of [[plainZip(), /ZIP/], [exe, /EXE/], [Buffer.from('just some text, not a PDF\n'), /no recognised type/]] as const) {
    const r = await post(bytes, 'bao-cao.pdf', stp, tokens.STP);
    expect(r.status).toBe(415);
    expect(r.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'file' });
    expect(r.body.errors[0].message).toMatch(what);
    expect(r.body.errors[0].message).toMatch(/PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS/);
  }
  expect(await counts()).toEqual(before);
});

test('over MAX_EVIDENCE_BYTES: 413 on the declared length, and while streaming without one; nothing stored, the server keeps serving', async () => {
  const before = await counts();
  const big = await post(Buffer.alloc(1024 * 1024, 0x25), 'big.pdf', stp, tokens.STP);
  expect(big.status).toBe(413);
  expect(big.body.errors[0].extensions.field).toBe('file');
  expect(big.body.errors[0].message).toMatch(/exceeds 65536 bytes/);

  // Just over the limit: the declared length passes (multipart overhead), the file's bytes do not.
  const over = Buffer.concat([tinyPdf(['x']), Buffer.alloc(LIMIT, 0x20)]);
  expect((await post(over, 'over.pdf', stp, tokens.STP)).status).toBe(413);

  // Chunked, no Content-Length: refused once the file passes the bound, while the client still sends.
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${base}/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.STP}`, 'content-type': 'multipart/form-data; boundary=XYZ', 'transfer-encoding': 'chunked' },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.write('--XYZ\r\nContent-Disposition: form-data; name="year"\r\n\r\n2024\r\n--XYZ\r\nContent-Disposition: form-data; name="unitCode"\r\n\r\nSTP\r\n'
      + '--XYZ\r\nContent-Disposition: form-data; name="criterionCode"\r\n\r\nC1\r\n'
      + '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n');
    let sent = 0;
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pump = () => {
      while (sent < 4 * 1024 * 1024) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end('\r\n--XYZ--\r\n');
    };
    pump();
  }).catch((e) => ({ status: -1, body: String(e) }));
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body).errors[0].message).toMatch(/exceeds 65536 bytes/);
  expect(await counts()).toEqual(before);
  expect((await t.gql('{ units(first: 1) { totalCount } }')).data.units.totalCount).toBe(2);
}, 30000);

test('GET /evidence/{id}: the bytes to the unit itself, APPRAISER, ANALYST and ADMIN; 404 to another unit, a kiosk, anonymous, an unknown id', async () => {
  const pdf = tinyPdf(['Sở Tư pháp', 'Minh chứng đọc lại']);
  const { body: { id } } = await post(pdf, 'doc.pdf', stp, tokens.STP);
  for (const who of ['STP', 'APPRAISER', 'ANALYST']) {
    const r = await get(id, tokens[who]);
    expect([who, r.status]).toEqual([who, 200]);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('content-length')).toBe(String(pdf.length));
    expect(sha(r.body)).toBe(sha(pdf));
  }
  expect((await get(id, ADMIN_TOKEN)).status).toBe(200);
  for (const who of ['SYT', 'KIOSK', null]) {
    const r = await get(id, who === null ? null : tokens[who]);
    expect([who, r.status]).toEqual([who, 404]);
    expect(r.body.toString()).not.toContain('%PDF');
  }
  expect((await get('00000000-0000-4000-8000-000000000000', ADMIN_TOKEN)).status).toBe(404);
  expect((await get('not-a-uuid', ADMIN_TOKEN)).status).toBe(404);
});

test('a Vietnamese name is kept NFC, without folders, and sent back in Content-Disposition (RFC 5987 filename*)', async () => {
  const name = 'Báo cáo tự đánh giá (bản 2).pdf';
  const pdf = tinyPdf(['Sở Tư pháp', 'Báo cáo tự đánh giá']);
  const r = await post(pdf, `C:\\scans\\${name.normalize('NFD')}`, stp, tokens.STP);
  expect(r.status).toBe(201);
  expect(r.body.fileName).toBe(name);
  expect(r.body.fileName).toBe(r.body.fileName.normalize('NFC'));
  const got = await get(r.body.id, tokens.APPRAISER);
  const disposition = got.headers.get('content-disposition')!;
  expect(disposition).toContain(`filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20t%E1%BB%B1%20%C4%91%C3%A1nh%20gi%C3%A1%20%28b%E1%BA%A3n%202%29.pdf`);
  expect(disposition).toContain('filename="Bao_cao_tu_danh_gia_ban_2_.pdf"');
  expect(decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(disposition)![1])).toBe(name);

  const traversal = await post(tinyPdf(['x', 'y']), '../../etc/passwd.pdf', stp, tokens.STP);
  expect(traversal.body.fileName).toBe('passwd.pdf');
});

test('refusals name the field and store nothing: another unit, a reader role, anonymous, missing and unknown fields, an inner criterion', async () => {
  const before = await counts();
  const pdf = tinyPdf(['Sở Y tế', 'refused']);
  const cases: [Record<string, string>, string | null, number, string, string | undefined, RegExp][] = [
    [stp, tokens.SYT, 403, 'FORBIDDEN', 'unitCode', /its own unit only, not for STP/],
    [stp, tokens.APPRAISER, 403, 'FORBIDDEN', undefined, /UNIT, ADMIN, not to APPRAISER/],
    [stp, null, 401, 'UNAUTHENTICATED', undefined, /needs a bearer token/],
    [stp, tokens.KIOSK, 403, 'FORBIDDEN', undefined, /kiosk/],
    [{ unitCode: 'STP', criterionCode: 'C1' }, tokens.STP, 400, 'BAD_USER_INPUT', 'year', /year is required/],
    [{ ...stp, year: '20x4' }, tokens.STP, 400, 'BAD_USER_INPUT', 'year', /whole number from 2000 to 2100/],
    [{ ...stp, unitCode: 'NOPE' }, ADMIN_TOKEN, 404, 'NOT_FOUND', 'unitCode', /no unit has the code "NOPE"/],
    [{ ...stp, criterionCode: 'C9' }, tokens.STP, 404, 'NOT_FOUND', 'criterionCode', /"C9" is not a criterion of the 2024 DEPARTMENT framework/],
    [{ ...stp, criterionCode: 'D1' }, tokens.STP, 400, 'BAD_USER_INPUT', 'criterionCode', /has sub-criteria/],
    [{ ...stp, year: '2025' }, tokens.STP, 404, 'NOT_FOUND', 'year', /no framework is defined for 2025/],
    [{ ...stp, year: '2023' }, tokens.STP, 409, 'CONFLICT', 'year', /2023 DEPARTMENT cycle is DRAFT/],
  ];
  for (const [fields, token, status, code, field, message] of cases) {
    const r = await post(pdf, 'x.pdf', fields, token);
    expect([fields, r.status, r.body.errors[0].extensions]).toEqual([fields, status, { code, ...(field ? { field } : {}) }]);
    expect(r.body.errors[0].message).toMatch(message);
  }
  expect(await counts()).toEqual(before);
});

test('outside the self-assessment window only an unanswered explanation request on the leaf opens the upload; the window shows in Vietnam time', async () => {
  const [{ id: cycleId }] = await t.sql(`SELECT id FROM cycle WHERE year = 2024 AND unit_kind = 'DEPARTMENT'`);
  await t.sql(`INSERT INTO round_window (cycle_id, round, opens_at, closes_at) VALUES ($1, 'SELF_ASSESSMENT', '2024-01-01T01:00:00Z', '2024-03-31T10:00:00Z')`, [cycleId]);
  try {
    const pdf = tinyPdf(['Sở Tư pháp', 'after the window']);
    const closed = await post(pdf, 'late.pdf', stp, tokens.STP);
    expect(closed.status).toBe(409);
    expect(closed.body.errors[0].extensions).toEqual({ code: 'CONFLICT', field: 'year' });
    expect(closed.body.errors[0].message).toMatch(/2024-01-01 08:00–2024-03-31 17:00 \(giờ Việt Nam\) and has closed/);

    const due = new Date(Date.now() + 86400_000).toISOString();
    const { requestExplanation: request } = await t.ok(`mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) { id } }`,
      { input: { year: 2024, unitCode: 'STP', criterionCode: 'C1', question: 'Thiếu minh chứng kế hoạch', dueAt: due } }, tokens.APPRAISER);
    const open = await post(pdf, 'late.pdf', stp, tokens.STP);
    expect(open.status).toBe(201);
    // Only on that leaf.
    expect((await post(pdf, 'late.pdf', { ...stp, criterionCode: 'C2' }, tokens.STP)).status).toBe(409);
    // Answered, the request no longer opens it.
    await t.ok(`mutation($id: ID!, $e: [ID!]) { answerExplanation(id: $id, answer: "Đã bổ sung", evidenceIds: $e) { status } }`, { id: request.id, e: [open.body.id] }, tokens.STP);
    expect((await post(tinyPdf(['another']), 'late2.pdf', stp, tokens.STP)).status).toBe(409);
    // A unit's extension reopens it for that unit only.
    await t.sql(`INSERT INTO round_window_extension (cycle_id, round, unit_id, closes_at) SELECT $1, 'SELF_ASSESSMENT', id, now() + interval '1 day' FROM unit WHERE code = 'STP'`, [cycleId]);
    expect((await post(tinyPdf(['another']), 'late2.pdf', stp, tokens.STP)).status).toBe(201);
    expect((await post(tinyPdf(['another']), 'late2.pdf', { ...stp, unitCode: 'SYT' }, tokens.SYT)).status).toBe(409);
  } finally {
    await t.sql(`DELETE FROM round_window_extension WHERE cycle_id = $1`, [cycleId]);
    await t.sql(`DELETE FROM round_window WHERE cycle_id = $1`, [cycleId]);
  }
});

test('Unit.evidence lists a year\'s files to the unit itself and the readers, none to others; removeEvidence by the unit or ADMIN, the bytes leaving with the last file holding them', async () => {
  const pdf = tinyPdf(['Sở Tư pháp', 'to be removed']);
  const { body: uploaded } = await post(pdf, 'bo.pdf', { ...stp, criterionCode: 'C2', note: 'bản nháp' }, tokens.STP);
  const LIST = `query($c: String) { unit(code: "STP") { evidence(year: 2024, criterionCode: $c) { id criterionCode fileName contentType bytes sha256 note uploadedAt uploadedBy } } }`;
  const mine = (await t.ok(LIST, { c: 'C2' }, tokens.STP)).unit.evidence;
  expect(mine.find((e: any) => e.id === uploaded.id)).toEqual({
    id: uploaded.id, criterionCode: 'C2', fileName: 'bo.pdf', contentType: 'application/pdf', bytes: pdf.length, sha256: sha(pdf),
    note: 'bản nháp', uploadedAt: expect.any(String), uploadedBy: 'Cán bộ STP',
  });
  expect(mine.every((e: any) => e.criterionCode === 'C2')).toBe(true);
  const all = (await t.ok(LIST, { c: null }, tokens.ANALYST)).unit.evidence;
  expect(all.length).toBeGreaterThan(mine.length);
  // The argument left out is the same as null: every leaf's files.
  const omitted = (await t.ok(`{ unit(code: "STP") { evidence(year: 2024) { id } } }`, {}, tokens.ANALYST)).unit.evidence;
  expect(omitted.map((e: any) => e.id)).toEqual(all.map((e: any) => e.id));
  expect((await t.ok(LIST, { c: null }, tokens.SYT)).unit.evidence).toEqual([]);
  expect((await t.ok(LIST, { c: null }, null)).unit.evidence).toEqual([]);

  const REMOVE = `mutation($id: ID!) { removeEvidence(id: $id) }`;
  const other = await t.gql(REMOVE, { id: uploaded.id }, tokens.SYT);
  expect(other.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
  expect((await t.gql(REMOVE, { id: uploaded.id }, tokens.APPRAISER)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await t.gql(REMOVE, { id: uploaded.id }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect((await get(uploaded.id, tokens.STP)).status).toBe(200);

  expect((await t.ok(REMOVE, { id: uploaded.id }, tokens.STP)).removeEvidence).toBe(true);
  expect((await get(uploaded.id, ADMIN_TOKEN)).status).toBe(404);
  expect(await t.sql(`SELECT 1 FROM evidence_blob WHERE sha256 = decode($1, 'hex')`, [sha(pdf)])).toEqual([]);
  const [audit] = await t.sql(`SELECT actor, before->>'fileName' AS name, after FROM audit_entry WHERE operation = 'removeEvidence'`);
  expect(audit).toEqual({ actor: 'Cán bộ STP', name: 'bo.pdf', after: null });
  expect((await t.gql(REMOVE, { id: uploaded.id }, ADMIN_TOKEN)).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
});

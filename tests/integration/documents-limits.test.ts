import http from 'node:http';
import { crc32, deflateRawSync } from 'node:zlib';
import { startTestService, type TestService } from '../support/test-service';
import { baseOf, download, upload } from './documents-fixture';

/**
 * Uploads that must never reach the spreadsheet library (issue 15): not an
 * xlsx (415), a zip bomb, a 50 MB file, a sheet of 100,000 rows (413); each
 * refused quickly with a message, and the server keeps serving.
 */
let t: TestService;
let appraiser: string;

/** A zip of the given parts (deflated), each declaring `declared` as its size when given: sizes a bomb lies about. */
function zip(parts: [string, Buffer][], declared?: number): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of parts) {
    const packed = deflateRawSync(data, { level: 9 });
    const nameBuf = Buffer.from(name);
    const size = declared ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc32(data), 16); cd.writeUInt32LE(packed.length, 20); cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(nameBuf.length, 28); cd.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    central.push(cd, nameBuf);
    offset += 30 + nameBuf.length + packed.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(parts.length, 8); end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(cdBuf.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, end]);
}

/** The parts of a minimal workbook whose one sheet, "Thẩm định", holds `sheetXml`. */
function workbook(sheetXml: Buffer | string): [string, Buffer][] {
  return [
    ['[Content_Types].xml', Buffer.from('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')],
    ['xl/workbook.xml', Buffer.from('<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Thẩm định" sheetId="1" r:id="rId1"/></sheets></workbook>')],
    ['xl/_rels/workbook.xml.rels', Buffer.from('<Relationships><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')],
    ['xl/worksheets/sheet1.xml', typeof sheetXml === 'string' ? Buffer.from(sheetXml) : sheetXml],
  ];
}

async function stillServing() {
  expect((await fetch(`${baseOf(t)}/healthz`)).status).toBe(200);
  expect(await t.ok('{ units(kind: DEPARTMENT) { totalCount } }')).toEqual({ units: { totalCount: 1 } });
}

beforeAll(async () => {
  t = await startTestService();
  await t.ok(`mutation { createUnit(input: {code: "STP", name: "Sở Tư pháp", kind: DEPARTMENT}) { id } }`);
  appraiser = (await t.ok(`mutation { issueToken(input: {role: APPRAISER, name: "P1"}) }`)).issueToken;
}, 60000);
afterAll(async () => { await t?.stop(); });

const IMPORT = '/import/appraisal?round=APPRAISAL';

test('files that are not xlsx are refused with 415, judged by their content, not their name', async () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n'), /not a zip archive/],
    [Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600)]), /Excel 97–2003 \.xls file; save it as \.xlsx/],
    [Buffer.from('STT,Mã,Đơn vị\n1,STP,Sở Tư pháp\n'), /not a zip archive/],
    [zip([['[Content_Types].xml', Buffer.from('<Types/>')], ['word/document.xml', Buffer.from('<w:document/>')]]), /it is a Word document/],
  ];
  for (const [file, message] of cases) {
    const r = await upload(t, IMPORT, file, {}, appraiser);
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ applied: 0, errors: [{ sheet: null, cell: null, code: 'BAD_USER_INPUT', field: 'file' }] });
    expect(r.body.errors[0].message).toMatch(message);
    expect(r.body.errors[0].message).toMatch(/Tệp không phải bảng tính Excel/);
  }
  const notMultipart = await fetch(baseOf(t) + IMPORT, { method: 'POST', body: 'a,b\n', headers: { 'content-type': 'text/csv', authorization: `Bearer ${appraiser}` } });
  expect(notMultipart.status).toBe(415);
  expect(((await notMultipart.json()) as any).errors[0].message).toMatch(/multipart\/form-data with one "file" field/);
  await stillServing();
});

test('a zip bomb (120 MB of zeros in 120 KB, sizes declared small) is refused with 413 mid-inflation, quickly', async () => {
  const bomb = zip(workbook(Buffer.alloc(120 * 1024 * 1024)), 4096);
  expect(bomb.length).toBeLessThan(200 * 1024);
  const r = await upload(t, IMPORT, bomb, {}, appraiser);
  expect(r.status).toBe(413);
  expect(r.body.errors[0].message).toMatch(/expands to more than 100 MB \(a zip bomb/);
  expect(r.ms).toBeLessThan(5000);
  await stillServing();
}, 30000);

test('a sheet of 100,000 rows is refused with 413 naming the sheet, before it is parsed', async () => {
  const rows = Array.from({ length: 100_000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i}</v></c></row>`).join('');
  const r = await upload(t, IMPORT, zip(workbook(`<worksheet><sheetData>${rows}</sheetData></worksheet>`)), {}, appraiser);
  expect(r.status).toBe(413);
  expect(r.body.errors[0].message).toMatch(/sheet "Thẩm định" has 100000 rows; at most 50000 are read/);
  expect(r.ms).toBeLessThan(5000);
  await stillServing();
}, 30000);

test('a 50 MB upload is refused with 413 at once on its declared length, and while streaming without one', async () => {
  const big = Buffer.alloc(50 * 1024 * 1024, 1);
  const declared = await upload(t, IMPORT, big, {}, appraiser);
  expect(declared.status).toBe(413);
  expect(declared.body.errors[0].message).toMatch(/The upload exceeds 20 MB/);
  expect(declared.ms).toBeLessThan(5000);

  // Chunked (no Content-Length): refused as soon as the file passes the bound, while the client is still sending.
  const started = Date.now();
  const answer = await new Promise<{ status: number; body: string; sentMb: number }>((resolve, reject) => {
    let sent = 0;
    const req = http.request(`${baseOf(t)}${IMPORT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appraiser}`, 'content-type': 'multipart/form-data; boundary=XYZ', 'transfer-encoding': 'chunked' },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body, sentMb: sent / 1024 / 1024 }));
    });
    req.on('error', reject);
    req.write('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n');
    const chunk = Buffer.alloc(1024 * 1024, 1);
    const pump = () => {
      while (sent < 50 * 1024 * 1024) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end('\r\n--XYZ--\r\n');
    };
    pump();
  }).catch((e) => ({ status: -1, body: String(e), sentMb: 0 }));
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body).errors[0].message).toMatch(/The upload exceeds 20 MB/);
  expect(Date.now() - started).toBeLessThan(10000);
  await stillServing();
}, 60000);

test('export parameters are checked before anything is read, each refusal naming its parameter', async () => {
  const cases: [string, number, string, RegExp][] = [
    ['/export/rankings.xlsx?unitKind=DEPARTMENT', 400, 'year', /year is required/],
    ['/export/rankings.xlsx?year=20x4&unitKind=DEPARTMENT', 400, 'year', /year "20x4" is not a year/],
    ['/export/rankings.csv?year=2024&unitKind=PROVINCE', 400, 'unitKind', /unitKind "PROVINCE" is not allowed: use one of DEPARTMENT, DISTRICT, COMMUNE/],
    ['/export/rankings.xlsx?year=2024&unitKind=DEPARTMENT', 404, 'year', /No framework is defined for 2024 and DEPARTMENT/],
    ['/export/rankings.xlsx?year=2024&unitKind=DEPARTMENT&version=2', 404, 'version', /There is no version 2/],
    ['/export/scorecard.xlsx?year=2024', 400, 'unitCode', /unitCode is required/],
    ['/export/satisfaction.xlsx?year=2024&groupBy=WEEK', 400, 'groupBy', /groupBy "WEEK" is not allowed/],
    ['/templates/appraisal.xlsx?year=2024', 400, 'unitKind', /unitKind is required/],
  ];
  for (const [path, status, field, message] of cases) {
    const r = await download(t, path);
    expect([path, r.status]).toEqual([path, status]);
    expect(r.json().errors[0].extensions).toMatchObject({ field });
    expect(r.json().errors[0].message).toMatch(message);
  }
  expect((await download(t, '/export/unknown.xlsx')).status).toBe(404);
  expect((await download(t, '/export/rankings.xlsx?year=2024&unitKind=DEPARTMENT', 'not-a-token')).status).toBe(401);
  const kiosk = (await t.ok(`mutation { registerKiosk(input: {unitCode: "STP", label: "K1"}) { token } }`)).registerKiosk.token;
  const r = await download(t, '/export/rankings.xlsx?year=2024&unitKind=DEPARTMENT', kiosk);
  expect(r.status).toBe(403);
  expect(r.json().errors[0].message).toMatch(/kiosk token may only submit survey responses/);
});

import { deflateRawSync } from 'node:zlib';
import { cleanFileName } from '../../src/evidence/evidence.service';
import { contentDisposition } from '../../src/evidence/http';
import { tinyPdf } from '../../src/evidence/pdf';
import { judgeType } from '../../src/evidence/sniff';

/** A zip of the given parts (deflated, local headers only: what file-type reads). */
function zip(parts: [string, string][]): Buffer {
  return Buffer.concat(parts.flatMap(([name, text]) => {
    const data = deflateRawSync(Buffer.from(text));
    const nameBuf = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(text.length, 22); local.writeUInt16LE(nameBuf.length, 26);
    return [local, nameBuf, data];
  }));
}

/** A zip whose first part is `mimetype`, stored: how ODF files begin. */
function odf(mime: string): Buffer {
  const name = Buffer.from('mimetype');
  const data = Buffer.from(mime);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(10, 4);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(name.length, 26);
  return Buffer.concat([local, name, data, zip([['content.xml', '<office:document-content/>']])]);
}

/** The bytes cut into pieces of `size`, as an upload holds them. */
const pieces = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));

test('types come from the bytes, across the pieces an upload is held in: DOCX, XLSX, ODT, ODS, PDF; a bare zip is refused', async () => {
  const docx = zip([['[Content_Types].xml', '<Types/>'], ['_rels/.rels', '<Relationships/>'], ['word/document.xml', '<w:document/>']]);
  const xlsx = zip([['[Content_Types].xml', '<Types/>'], ['xl/workbook.xml', '<workbook/>']]);
  const cases: [Buffer, string][] = [
    [docx, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    [xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    [odf('application/vnd.oasis.opendocument.text'), 'application/vnd.oasis.opendocument.text'],
    [odf('application/vnd.oasis.opendocument.spreadsheet'), 'application/vnd.oasis.opendocument.spreadsheet'],
    [tinyPdf(['Sở Tư pháp']), 'application/pdf'],
    [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, ...Array(200).fill(0)]), 'image/jpeg'],
  ];
  for (const [bytes, type] of cases) {
    for (const size of [7, 64, bytes.length]) expect([type, size, await judgeType(pieces(bytes, size), bytes.length)]).toEqual([type, size, type]);
  }
  await expect(judgeType(pieces(zip([['notes.txt', 'hello']]), 16), zip([['notes.txt', 'hello']]).length)).rejects.toMatchObject({ status: 415, field: 'file' });
  await expect(judgeType([odf('application/vnd.oasis.opendocument.presentation')], odf('application/vnd.oasis.opendocument.presentation').length))
    .rejects.toMatchObject({ status: 415 });
});

test('file names: NFC, no folders or control characters, a fallback by type; Content-Disposition with an ASCII name and RFC 5987 filename*', () => {
  expect(cleanFileName('Quyết định số 1.pdf'.normalize('NFD'), 'application/pdf')).toBe('Quyết định số 1.pdf');
  expect(cleanFileName('C:\\Users\\a\\..\\bao-cao.pdf', 'application/pdf')).toBe('bao-cao.pdf');
  expect(cleanFileName('../../etc/passwd', 'application/pdf')).toBe('passwd');
  expect(cleanFileName('a\u0000b\u001f.pdf', 'application/pdf')).toBe('ab.pdf');
  expect(cleanFileName('', 'image/png')).toBe('evidence.png');
  expect(cleanFileName('..', 'application/pdf')).toBe('evidence.pdf');
  expect(cleanFileName('x'.repeat(300), 'application/pdf')).toHaveLength(255);
  expect(contentDisposition("Đề án (bản 2)'s*.pdf")).toBe(
    `attachment; filename="De_an_ban_2_s_.pdf"; filename*=UTF-8''%C4%90%E1%BB%81%20%C3%A1n%20%28b%E1%BA%A3n%202%29%27s%2A.pdf`);
  expect(contentDisposition('a"b\\c.pdf')).toBe(`attachment; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%5Cc.pdf`);
});

import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { DocumentError } from './document-error';

const inflate = promisify(inflateRaw) as (buf: Buffer, opts: { maxOutputLength: number }) => Promise<Buffer>;

export interface GuardLimits { maxExpandedBytes: number; maxZipEntries: number; maxSheetRows: number }

/** What the guard found: each worksheet's name and row count. */
export interface WorkbookShape { sheets: { name: string; rows: number }[] }

const notXlsx = (what: string) => new DocumentError(415, 'BAD_USER_INPUT',
  `The file is not an Excel workbook (.xlsx): ${what}. Tệp không phải bảng tính Excel (.xlsx). Download the sheet from /templates/appraisal.xlsx, fill it in and save it as .xlsx.`, 'file');

/**
 * Judges an upload by its content before any spreadsheet library sees it
 * (exceljs reads a workbook into memory and trusts the zip):
 * - not a zip, or a zip without a workbook (a .docx, an .ods, an old .xls, a
 *   CSV renamed): 415;
 * - a zip that expands past `maxExpandedBytes` (a zip bomb), counted by
 *   actually inflating each part with a bound on its output, never by
 *   trusting the sizes it declares: 413;
 * - a worksheet of more than `maxSheetRows` rows: 413.
 * Inflation runs on libuv's thread pool, so the server keeps answering.
 */
export async function guardXlsx(file: Buffer, limits: GuardLimits): Promise<WorkbookShape> {
  if (file.length >= 8 && file.readUInt32BE(0) === 0xd0cf11e0) throw notXlsx('it is an Excel 97–2003 .xls file; save it as .xlsx');
  if (file.length < 22 || file.readUInt32LE(0) !== 0x04034b50) throw notXlsx('it is not a zip archive');
  // The end of central directory record: in the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = file.length - 22; i >= Math.max(0, file.length - 65557); i--) {
    if (file.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw notXlsx('its zip directory is missing');
  const entries = file.readUInt16LE(eocd + 10);
  const cdOffset = file.readUInt32LE(eocd + 16);
  if (entries > limits.maxZipEntries) throw tooLarge(`it holds ${entries} parts; a workbook has a few dozen`);
  if (entries === 0xffff || cdOffset === 0xffffffff) throw notXlsx('it is a ZIP64 archive, which no appraisal sheet needs');

  const parts = new Map<string, { method: number; offset: number; compressed: number }>();
  let p = cdOffset;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > file.length || file.readUInt32LE(p) !== 0x02014b50) throw notXlsx('its zip directory is damaged');
    const method = file.readUInt16LE(p + 10);
    const compressed = file.readUInt32LE(p + 20);
    const nameLength = file.readUInt16LE(p + 28);
    const extra = file.readUInt16LE(p + 30);
    const comment = file.readUInt16LE(p + 32);
    const local = file.readUInt32LE(p + 42);
    const name = file.toString('utf8', p + 46, p + 46 + nameLength);
    parts.set(name, { method, offset: local, compressed });
    p += 46 + nameLength + extra + comment;
  }
  if (!parts.has('[Content_Types].xml') || !parts.has('xl/workbook.xml')) {
    throw notXlsx(parts.has('word/document.xml') ? 'it is a Word document' : parts.has('content.xml') ? 'it is an OpenDocument file; save it as .xlsx' : 'the zip holds no Excel workbook');
  }

  let budget = limits.maxExpandedBytes;
  const texts = new Map<string, string>();
  const sheetRows = new Map<string, number>();
  for (const [name, part] of parts) {
    if (name.endsWith('/')) continue;
    const local = part.offset;
    if (local + 30 > file.length || file.readUInt32LE(local) !== 0x04034b50) throw notXlsx(`its part ${name} is damaged`);
    const start = local + 30 + file.readUInt16LE(local + 26) + file.readUInt16LE(local + 28);
    const raw = file.subarray(start, start + part.compressed);
    let data: Buffer;
    if (part.method === 0) data = raw;
    else if (part.method === 8) {
      try {
        data = await inflate(raw, { maxOutputLength: budget + 1 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
          throw tooLarge(`it expands to more than ${mb(limits.maxExpandedBytes)} MB (a zip bomb, or far more than a sheet of units)`);
        }
        throw notXlsx(`its part ${name} cannot be decompressed`);
      }
    } else throw notXlsx(`its part ${name} uses a compression Excel does not write`);
    if (data.length > budget) throw tooLarge(`it expands to more than ${mb(limits.maxExpandedBytes)} MB (a zip bomb, or far more than a sheet of units)`);
    budget -= data.length;
    if (/^xl\/worksheets\/[^/]+\.xml$/.test(name)) {
      sheetRows.set(name, countRows(data));
    } else if (name === 'xl/workbook.xml' || name === 'xl/_rels/workbook.xml.rels') {
      texts.set(name, data.toString('utf8'));
    }
  }
  // Worksheet names, through the workbook's relationships.
  const targets = new Map<string, string>();
  for (const m of (texts.get('xl/_rels/workbook.xml.rels') ?? '').matchAll(/<Relationship\b[^>]*>/g)) {
    const id = /\bId="([^"]+)"/.exec(m[0])?.[1];
    const target = /\bTarget="([^"]+)"/.exec(m[0])?.[1];
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  const sheets: WorkbookShape['sheets'] = [];
  for (const m of (texts.get('xl/workbook.xml') ?? '').matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
    const name = decodeXml(/\bname="([^"]*)"/.exec(m[0])?.[1] ?? '');
    const rid = /\br:id="([^"]+)"/.exec(m[0])?.[1] ?? /\b\w+:id="([^"]+)"/.exec(m[0])?.[1];
    const part = rid ? targets.get(rid) : undefined;
    sheets.push({ name, rows: part ? sheetRows.get(part) ?? 0 : 0 });
  }
  for (const s of sheets) {
    if (s.rows > limits.maxSheetRows) {
      throw tooLarge(`sheet "${s.name.slice(0, 64)}" has ${s.rows} rows; at most ${limits.maxSheetRows} are read (one row per unit). Trang tính có quá nhiều dòng.`);
    }
  }
  for (const [part, rows] of sheetRows) {
    if (rows > limits.maxSheetRows) throw tooLarge(`${part} has ${rows} rows; at most ${limits.maxSheetRows} are read (one row per unit)`);
  }
  return { sheets };
}

function tooLarge(what: string): DocumentError {
  return new DocumentError(413, 'BAD_USER_INPUT', `The workbook is refused: ${what}.`, 'file');
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** `<row` elements of a worksheet's XML (with or without a namespace prefix). */
function countRows(xml: Buffer): number {
  let n = 0;
  let i = 0;
  for (;;) {
    i = xml.indexOf('row', i);
    if (i < 0) return n;
    const before = xml[i - 1];
    const after = xml[i + 3];
    // "<row " / "<row>" / "<x:row "
    if ((before === 0x3c || before === 0x3a && prefixed(xml, i - 1)) && (after === 0x20 || after === 0x3e || after === 0x2f)) n++;
    i += 3;
  }
}

/** Whether the ':' at `colon` ends a namespace prefix right after a '<' ("<x:"). */
function prefixed(xml: Buffer, colon: number): boolean {
  for (let j = colon - 1; j >= Math.max(0, colon - 16); j--) {
    const c = xml[j];
    if (c === 0x3c) return j < colon - 1;
    const word = c >= 0x30 && c <= 0x39 || c >= 0x41 && c <= 0x5a || c >= 0x61 && c <= 0x7a || c === 0x5f;
    if (!word) return false;
  }
  return false;
}

function decodeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

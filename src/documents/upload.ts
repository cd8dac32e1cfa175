import type http from 'node:http';
import busboy from 'busboy';
import { DocumentError } from './document-error';

export interface Upload { file: Buffer; fileName: string; fields: Record<string, string> }

/**
 * Reads a multipart/form-data upload holding one `file` (and small text
 * fields), bounded by `maxBytes`: refused at once on a declared length over
 * it, and as soon as the bytes pass it otherwise (413). A body that is not
 * multipart is 415. After a refusal the rest of the body is read and thrown
 * away for a moment so that the client gets the answer rather than a reset
 * connection; a client that keeps sending is cut off.
 */
export function readUpload(req: http.IncomingMessage, maxBytes: number): Promise<Upload> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data')) {
    return Promise.reject(new DocumentError(415, 'BAD_USER_INPUT',
      `Send the sheet as multipart/form-data with one "file" field (the filled-in .xlsx), not ${JSON.stringify(type.split(';')[0].slice(0, 100) || 'no content type')}`, 'file'));
  }
  const tooLarge = () => new DocumentError(413, 'BAD_USER_INPUT',
    `The upload exceeds ${Math.round(maxBytes / 1024 / 1024)} MB; an appraisal sheet of the largest kind is a few MB. Tệp vượt quá ${Math.round(maxBytes / 1024 / 1024)} MB.`, 'file');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: DocumentError) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      discard(req, maxBytes * 2);
      reject(e);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1000, parts: 12 } });
    } catch {
      reject(new DocumentError(415, 'BAD_USER_INPUT', 'The multipart/form-data body has no boundary; send it as a form with one "file" field', 'file'));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Buffer | null = null;
    let fileName = '';
    parser.on('field', (name, value) => { fields[name] = value; });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      fileName = info.filename ?? '';
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => { chunks.length = 0; stream.resume(); fail(tooLarge()); });
      stream.on('end', () => { if (!settled) file = Buffer.concat(chunks); });
    });
    parser.on('filesLimit', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'Send one file only: the filled-in appraisal sheet', 'file')));
    parser.on('error', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'The multipart/form-data body is malformed', 'file')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      if (!file) reject(new DocumentError(400, 'BAD_USER_INPUT', 'No "file" field: send the filled-in appraisal sheet as the form field "file"', 'file'));
      else resolve({ file, fileName, fields });
    });
    req.on('error', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'The upload was interrupted', 'file')));
    req.pipe(parser);
  });
}

/** Reads and drops what the client still sends after a refusal, up to `budget` bytes; beyond it, the connection is closed. */
export function discard(req: http.IncomingMessage, budget: number): void {
  let seen = 0;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > budget) req.destroy();
  });
  req.resume();
}

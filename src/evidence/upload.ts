import { createHash } from 'node:crypto';
import type http from 'node:http';
import busboy from 'busboy';
import { DocumentError } from '../documents/document-error';
import { discard } from '../documents/upload';

/** Rows of evidence_blob_chunk hold at most this many bytes: a 20 MiB file is 80 rows, each read and written alone. */
export const CHUNK_BYTES = 256 * 1024;

/** What a multipart body may carry besides the file: the form's fields and the part headers. */
const MULTIPART_OVERHEAD = 64 * 1024;

export interface EvidenceUpload {
  fields: Record<string, string>;
  /** The name the client gave the file (not yet normalised, never a path). */
  fileName: string;
  /** The bytes, once: in CHUNK_BYTES pieces (the last one shorter), as they will be stored. */
  chunks: Buffer[];
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

const tooLarge = (maxBytes: number) => new DocumentError(413, 'BAD_USER_INPUT',
  `The file exceeds ${maxBytes} bytes (MAX_EVIDENCE_BYTES); split it or send a smaller scan. Tệp vượt quá ${maxBytes} byte.`, 'file');

/** Whether a declared Content-Length alone is over the limit (413 before a byte of the body is read). */
export function declaredTooLarge(req: http.IncomingMessage, maxBytes: number): DocumentError | null {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > maxBytes + MULTIPART_OVERHEAD ? tooLarge(maxBytes) : null;
}

/**
 * Reads a multipart/form-data evidence upload: small text fields and one
 * `file`, at most `maxBytes` of it (413 as soon as it passes; nothing is
 * kept). The bytes are held once, in the CHUNK_BYTES pieces they are stored
 * in, and hashed as they arrive. `beforeFile` is asked with the fields sent
 * so far when the file part begins (and the file waits for its answer), so
 * that a caller refused by the fields (another unit, a closed window) is
 * refused before the file is read; when the fields come after the file it
 * is asked again by the caller at the end. Multipart parsing is busboy's.
 */
export function readEvidenceUpload(
  req: http.IncomingMessage, maxBytes: number, beforeFile: (fields: Record<string, string>) => Promise<void>,
): Promise<EvidenceUpload> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data')) {
    return Promise.reject(new DocumentError(415, 'BAD_USER_INPUT',
      `Send evidence as multipart/form-data with the fields year, unitCode, criterionCode, optional note, and one "file", not ${JSON.stringify(type.split(';')[0].slice(0, 100) || 'no content type')}`, 'file'));
  }
  const declared = declaredTooLarge(req, maxBytes);
  if (declared) return Promise.reject(declared);

  return new Promise((resolve, reject) => {
    let settled = false;
    let parser: busboy.Busboy;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      req.unpipe(parser);
      discard(req, maxBytes * 2);
      reject(e);
    };
    try {
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 4000, parts: 12 } });
    } catch {
      reject(new DocumentError(415, 'BAD_USER_INPUT', 'The multipart/form-data body has no boundary; send it as a form with the fields year, unitCode, criterionCode and one "file"', 'file'));
      return;
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let current: Buffer | null = null;
    let fill = 0;
    let bytes = 0;
    let fileName = '';
    let sawFile = false;
    let fileDone = false;

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new DocumentError(400, 'BAD_USER_INPUT', `The field ${name} is longer than 4000 bytes`, name));
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || sawFile) {
        stream.resume();
        return;
      }
      sawFile = true;
      fileName = info.filename ?? '';
      stream.pause();
      stream.on('data', (data: Buffer) => {
        if (settled) return;
        bytes += data.length;
        hash.update(data);
        let offset = 0;
        while (offset < data.length) {
          if (!current) {
            current = Buffer.allocUnsafe(CHUNK_BYTES);
            fill = 0;
          }
          const n = data.copy(current, fill, offset);
          fill += n;
          offset += n;
          if (fill === CHUNK_BYTES) {
            chunks.push(current);
            current = null;
          }
        }
      });
      stream.on('limit', () => { stream.resume(); fail(tooLarge(maxBytes)); });
      stream.on('end', () => {
        if (current) chunks.push(current.subarray(0, fill));
        current = null;
        fileDone = true;
      });
      // The fields sent before the file may already refuse it: then not a byte of it is read.
      beforeFile({ ...fields }).then(() => { if (!settled) stream.resume(); }, fail);
    });
    parser.on('filesLimit', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'Send one file per upload, as the form field "file"', 'file')));
    parser.on('partsLimit', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'Too many form parts: send year, unitCode, criterionCode, optional note and one "file"', 'file')));
    parser.on('fieldsLimit', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'Too many form fields: send year, unitCode, criterionCode, optional note and one "file"', 'file')));
    parser.on('error', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'The multipart/form-data body is malformed', 'file')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      if (!sawFile || !fileDone) {
        reject(new DocumentError(400, 'BAD_USER_INPUT', 'No "file" field: send the evidence file as the form field "file"', 'file'));
        return;
      }
      resolve({ fields, fileName, chunks, bytes, sha256: hash.digest('hex') });
    });
    req.on('error', () => fail(new DocumentError(400, 'BAD_USER_INPUT', 'The upload was interrupted', 'file')));
    req.pipe(parser);
  });
}


import { createRequire } from 'node:module';
import FileType from 'file-type';
import { DocumentError } from '../documents/document-error';

/**
 * The kinds of evidence accepted (API.md, "Evidence files"), as file-type
 * names them. What a file is comes from its bytes (file-type reads the
 * signatures, and inside a zip the parts that make it a DOCX, XLSX, ODT or
 * ODS); the name and the type the client declared are never asked.
 */
export const EVIDENCE_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
};

const ALLOWED = 'PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS';

// file-type's own tokenizer library (strtok3, its dependency): its EndOfStreamError is what file-type expects at the end of the bytes.
const fromFileType = createRequire(require.resolve('file-type'));
const { AbstractTokenizer } = fromFileType('strtok3/lib/AbstractTokenizer') as { AbstractTokenizer: new (fileInfo?: object) => TokenizerBase };
const { EndOfStreamError } = fromFileType('strtok3/lib/core') as { EndOfStreamError: new () => Error };

interface ReadOptions { offset?: number; length?: number; position?: number; mayBeLess?: boolean }
interface TokenizerBase {
  position: number;
  fileInfo: { size?: number };
  normalizeOptions(array: Uint8Array, options?: ReadOptions): Required<ReadOptions>;
}

/**
 * A tokenizer over the upload's chunks as they are held, with the file's
 * size known: file-type walks a zip's entries only when it knows the size
 * (its stream reader does not), and a buffer of the whole file would be a
 * second copy of it.
 */
class ChunksTokenizer extends AbstractTokenizer {
  private readonly starts: number[] = [];

  constructor(private readonly chunks: readonly Buffer[], size: number) {
    super({ size });
    let at = 0;
    for (const c of chunks) {
      this.starts.push(at);
      at += c.length;
    }
  }

  async readBuffer(array: Uint8Array, options?: ReadOptions): Promise<number> {
    if (options?.position !== undefined) {
      if (options.position < this.position) throw new Error('`options.position` must be equal or greater than `tokenizer.position`');
      this.position = options.position;
    }
    const read = await this.peekBuffer(array, options);
    this.position += read;
    return read;
  }

  async peekBuffer(array: Uint8Array, options?: ReadOptions): Promise<number> {
    const o = this.normalizeOptions(array, options);
    const size = this.fileInfo.size!;
    const wanted = Math.min(size - o.position, o.length);
    if (!o.mayBeLess && wanted < o.length) throw new EndOfStreamError();
    let copied = 0;
    let i = this.starts.findIndex((start, k) => o.position < start + this.chunks[k].length);
    while (copied < wanted && i >= 0 && i < this.chunks.length) {
      const from = o.position + copied - this.starts[i];
      const piece = this.chunks[i].subarray(from, from + wanted - copied);
      array.set(piece, o.offset + copied);
      copied += piece.length;
      i++;
    }
    return copied;
  }
}

/** The content type of the bytes, or a 415 refusal naming what they are and what is allowed. */
export async function judgeType(chunks: readonly Buffer[], bytes: number): Promise<string> {
  const found = await FileType.fromTokenizer(new ChunksTokenizer(chunks, bytes) as unknown as Parameters<typeof FileType.fromTokenizer>[0]);
  const type = found && EVIDENCE_TYPES[found.ext];
  if (!type) {
    const what = found ? `${found.ext.toUpperCase()} (${found.mime})` : 'of no recognised type';
    throw new DocumentError(415, 'BAD_USER_INPUT', `The file's content is ${what}; evidence must be ${ALLOWED}, judged by the content, whatever the file's name`, 'file');
  }
  return type;
}

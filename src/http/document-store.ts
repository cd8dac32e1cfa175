import type { DocumentNode } from 'graphql';
import { BoundedLru, SeenOnce } from '../util/bounded';

/** Their source text in characters, all together: a parsed document weighs some tens of times its text. */
const MAX_SOURCE_CHARS = 2_000_000;
/** Keys of documents seen once and not kept, remembered to keep them at their second sight. */
const MAX_SEEN = 5000;

/**
 * Apollo's store of parsed and validated documents (its `documentStore`
 * option), keeping a document from its second sight on. Apollo's default
 * keeps every new document and measures each by serialising its whole
 * syntax tree to JSON: under a flood of documents each sent once (a
 * `#nonce` comment makes every text new), that was a serialisation per
 * request and a store churning through the old generation, whose
 * collections paused every request for tens of milliseconds. A document
 * seen once now stays young garbage; a portal's or a kiosk's documents,
 * sent again and again, are kept after their second request, measured by
 * their text's length.
 */
export class DocumentStore {
  /** 2,000 documents at most (least recently used dropped first), none over a tenth of the bound. */
  private readonly documents = new BoundedLru<DocumentNode>({
    maxEntries: 2000, maxSize: MAX_SOURCE_CHARS, maxOne: MAX_SOURCE_CHARS / 10, sizeOf: (d) => d.loc?.end ?? 1000,
  });
  private readonly seen = new SeenOnce(MAX_SEEN);

  async get(key: string): Promise<DocumentNode | undefined> {
    return this.documents.get(key);
  }

  async set(key: string, document: DocumentNode): Promise<void> {
    if (this.seen.again(key)) this.documents.set(key, document);
  }

  async delete(key: string): Promise<boolean> {
    return this.documents.delete(key);
  }

  get size(): number {
    return this.documents.size;
  }
}

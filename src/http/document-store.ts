import type { DocumentNode } from 'graphql';

/** Documents kept (least recently used dropped first). */
const MAX_DOCUMENTS = 2000;
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
  private readonly documents = new Map<string, { document: DocumentNode; chars: number }>();
  private readonly seen = new Set<string>();
  private chars = 0;

  async get(key: string): Promise<DocumentNode | undefined> {
    const entry = this.documents.get(key);
    if (!entry) return undefined;
    this.documents.delete(key); // re-inserted: Map order is recency order
    this.documents.set(key, entry);
    return entry.document;
  }

  async set(key: string, document: DocumentNode): Promise<void> {
    if (!this.seen.delete(key)) {
      if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.values().next().value as string);
      this.seen.add(key);
      return;
    }
    const chars = document.loc?.end ?? 1000;
    if (chars > MAX_SOURCE_CHARS / 10) return;
    await this.delete(key);
    while (this.documents.size > 0 && (this.documents.size >= MAX_DOCUMENTS || this.chars + chars > MAX_SOURCE_CHARS)) {
      const [oldest, entry] = this.documents.entries().next().value as [string, { chars: number }];
      this.documents.delete(oldest);
      this.chars -= entry.chars;
    }
    this.documents.set(key, { document, chars });
    this.chars += chars;
  }

  async delete(key: string): Promise<boolean> {
    const entry = this.documents.get(key);
    if (!entry) return false;
    this.documents.delete(key);
    this.chars -= entry.chars;
    return true;
  }

  get size(): number {
    return this.documents.size;
  }
}

import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';

/**
 * Large documents are parsed, validated and analysed one at a time, each in
 * a turn of the event loop of its own.
 *
 * Apollo's parse, validation and our limits' analysis run on the main thread
 * with nothing but microtasks between them, so every request read in one
 * poll of the sockets is analysed before the loop polls them again: forty
 * flood documents arriving together (each caller's first burst) put forty
 * analyses, 100–200 ms, in front of a kiosk's rating that arrived beside
 * them. Here a document of at least `minChars` characters waits for the
 * previous large one to be analysed, then for the next check phase
 * (`setImmediate`), so the loop reads and answers the sockets in between:
 * a small request waits for one large analysis at most, not for all of them.
 * Small documents (a kiosk's submission, the portal's pages) never wait, and
 * a document Apollo has answered whole before skips the analysis altogether
 * (src/http/prepared-operations.ts). A caller has at most its running slots
 * waiting here (src/protection/caller-budgets.ts), so the queue is bounded by
 * the callers, and it holds no connection.
 *
 * The turn ends once the operation is resolved and its limits are checked
 * (`analysisTurnsPlugin`, after `queryLimitsPlugin`), or when Apollo answers
 * without resolving one (a syntax or validation error): `take`'s end is
 * idempotent and the handler calls it in a `finally`.
 */
export class AnalysisTurns {
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  /** Turns taken, and those that waited for another (for tests and /readyz-style diagnostics). */
  readonly counts = { taken: 0, waited: 0 };

  constructor(readonly minChars: number) {}

  /** Whether a document of `chars` characters takes a turn. */
  wants(chars: number): boolean {
    return chars >= this.minChars;
  }

  /** Waits for this document's turn; the returned function ends it (once, whatever calls it). */
  async take(): Promise<() => void> {
    this.counts.taken++;
    if (this.busy) {
      this.counts.waited++;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.busy = true;
    }
    // The sockets are read (and small requests answered) before this analysis runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    };
  }

  /** Whether a turn is held or waited for now. */
  get idle(): boolean {
    return !this.busy && this.waiting.length === 0;
  }
}

/** Where the handler leaves the end of the request's turn on its context. */
export const endTurnKey = Symbol('endAnalysisTurn');

/** Ends the request's turn once its operation is resolved and checked; listed after queryLimitsPlugin. */
export function analysisTurnsPlugin(): ApolloServerPlugin<Context> {
  const end = (context: Context) => (context as unknown as Record<symbol, (() => void) | undefined>)[endTurnKey]?.();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) { end(rc.contextValue); },
      };
    },
  };
}

/** The characters of the documents in a request (a POST body, a batch, or GET's `query`): what a turn is taken for. */
export function documentChars(body: unknown, search: URLSearchParams | undefined): number {
  const of = (x: unknown) => (x && typeof x === 'object' && typeof (x as { query?: unknown }).query === 'string' ? (x as { query: string }).query.length : 0);
  if (Array.isArray(body)) return body.reduce((n: number, x) => n + of(x), 0);
  if (body !== undefined && body !== null) return of(body);
  return search?.get('query')?.length ?? 0;
}

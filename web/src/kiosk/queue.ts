import { createStore, del, entries, set } from 'idb-keyval';
import { graphql, RequestFailed } from '../shared/graphql';

/**
 * The kiosk's outbox in IndexedDB. A completed response is written here
 * first (keyed by its clientId), then sent; it leaves only when the service
 * answered ACCEPTED or DUPLICATE for it. A REJECTED one stays, marked, with
 * the service's reason, for a person to look at. Whatever fails on the way
 * (no network, the service or its database down, a rate limit) leaves the
 * queue as it was, to be sent again with the same clientIds: the service
 * stores each exactly once.
 */
export interface ResponseInput {
  clientId: string;
  submittedAt: string;
  answers: { questionCode: string; value: number }[];
  procedureCode?: string;
}

export interface Queued {
  input: ResponseInput;
  state: 'waiting' | 'rejected';
  error?: { code: string; message: string; field: string | null };
}

const store = createStore('par-kiosk', 'responses');
/** The contract's largest batch. */
const BATCH = 500;

export async function enqueue(input: ResponseInput): Promise<void> {
  await set(input.clientId, { input, state: 'waiting' } satisfies Queued, store);
}

export async function queued(): Promise<Queued[]> {
  const all = (await entries<string, Queued>(store)).map(([, v]) => v);
  return all.sort((a, b) => a.input.submittedAt.localeCompare(b.input.submittedAt));
}

export async function discard(clientId: string): Promise<void> {
  await del(clientId, store);
}

const SUBMIT = `mutation Submit($inputs: [SubmitSurveyResponseInput!]!) {
  submitSurveyResponses(inputs: $inputs) { clientId status error { code message field } } }`;

type Submission = { clientId: string; status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED'; error: Queued['error'] | null };

export type FlushOutcome = 'done' | 'retry' | 'disabled';

let running: Promise<FlushOutcome> | null = null;

/** Sends what waits, in batches; one flush at a time. */
export function flush(token: string): Promise<FlushOutcome> {
  running ??= sendAll(token).finally(() => { running = null; });
  return running;
}

async function sendAll(token: string): Promise<FlushOutcome> {
  for (;;) {
    const waiting = (await queued()).filter((q) => q.state === 'waiting').slice(0, BATCH);
    if (waiting.length === 0) return 'done';
    let answer: Submission[];
    try {
      answer = (await graphql<{ submitSurveyResponses: Submission[] }>(SUBMIT, { inputs: waiting.map((q) => q.input) }, token)).submitSurveyResponses;
    } catch (e) {
      return isRevoked(e) ? 'disabled' : 'retry';
    }
    const byId = new Map(waiting.map((q) => [q.input.clientId.toLowerCase(), q]));
    let settled = 0;
    for (const s of answer) {
      const item = byId.get(s.clientId.toLowerCase());
      if (!item) continue;
      settled++;
      if (s.status === 'REJECTED') await set(item.input.clientId, { ...item, state: 'rejected', error: s.error ?? undefined } satisfies Queued, store);
      else await del(item.input.clientId, store);
    }
    if (settled === 0) return 'retry';
  }
}

/** Whether the service refused the token itself (revoked or unknown): the kiosk is disabled. */
export function isRevoked(e: unknown): boolean {
  return e instanceof RequestFailed && (e.code === 'UNAUTHENTICATED' || e.status === 401);
}

/** Asks the service whether the token still works, sending nothing: an empty batch. */
export async function checkToken(token: string): Promise<'ok' | 'disabled' | 'unknown'> {
  try {
    await graphql(SUBMIT, { inputs: [] }, token);
    return 'ok';
  } catch (e) {
    return isRevoked(e) ? 'disabled' : 'unknown';
  }
}

/** A version 4 UUID, also where crypto.randomUUID is missing (pages served over plain HTTP). */
export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { pgPool } from '../db/data-source';
import type { Principal } from '../auth/principal';
import { SubmissionStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, toGraphQLCode } from '../errors/app-error';
import type { QuestionnaireCache } from './questionnaire-cache';
import { TokenBuckets } from '../http/token-bucket';
import { LocalRateLimit, type RateLimit } from '../shared-state/rate-limits';
import { checkClientId, checkResponse, checkSubmittedAt, type CheckedResponse, type SurveyResponseData } from './submission';

export const MAX_BATCH = 500;

export interface SubmissionResult {
  clientId: string;
  status: SubmissionStatus;
  responseId: string | null;
  error: { code: string; message: string; field: string | null } | null;
}

/** What ingestion tells the index engine (RecomputeScheduler.markDirty), if one is there. */
export type DirtyListener = (year: number, unitKind: UnitKind) => void;

export interface IngestionOptions {
  ratePerSecond: number;
  rateBurst: number;
  onAccepted?: DirtyListener;
  /** The per-kiosk limit, shared by every instance with Redis (src/shared-state); default: in-process buckets of ratePerSecond and rateBurst. */
  limiter?: RateLimit;
}

type KioskPrincipal = Extract<Principal, { kind: 'kiosk' }>;

/** PostgreSQL's lock_not_available: a NOWAIT lock was held by another transaction. */
const LOCK_NOT_AVAILABLE = '55P03';
/** How long a submission waits, retrying, for a publication of its year and kind to commit (about 4 s at national scale). */
const PUBLICATION_WAIT_MS = 20_000;
/** How many times a response is judged again when the questionnaire changes under it before it is refused. */
const MAX_STORE_ROUNDS = 3;

/**
 * Stores responses and their answers in a single statement (one
 * transaction). ON CONFLICT (kiosk_id, client_id) DO NOTHING: a resend or a
 * racing twin stores nothing. The roll-ups that statistics and the index
 * engine read are added by the background roll-up (tally-roller.ts), off
 * this path: the rows written per rating are the response and its answers.
 *
 * Each response counts for the unit its kiosk served on the response's
 * Vietnam date (kiosk_assignment: a merger moves the kiosks of the merged
 * units to the new one from 1 January of its year); the kiosk's unit of
 * today is only the fallback of a date before every assignment.
 *
 * Two things the response was judged against may change until the
 * statement runs, and the statement settles both against the committed
 * state, each under a row lock:
 *
 * - `late` (the year and kind are published, or were: an amendment in
 *   progress counts late responses only if it says so) comes from the cycle row,
 *   locked FOR KEY SHARE NOWAIT. publishCycle holds that row FOR UPDATE
 *   from before its last roll-up until its status commits, so a response
 *   is either stored before the publication starts (and counted by it) or
 *   after it commits (and flagged late): never in between. While the lock
 *   is held the statement fails at once, holding no connection, and is
 *   retried (PUBLICATION_WAIT_MS); the lock is then read in its committed
 *   state, whatever the statement's snapshot.
 * - The questions: validation used the cached questionnaire, which a
 *   defineQuestionnaire may have changed since. The answered questions are
 *   locked FOR KEY SHARE (defineQuestionnaire locks them FOR UPDATE before
 *   it checks which are answered, so the two serialise) and read as
 *   committed; a response naming a question that is gone, or with a value
 *   above its scale now, is not stored and comes back `stale` (id null),
 *   to be judged again against the fresh questionnaire. The others are
 *   stored regardless: one response never blocks another.
 */
const STORE_SQL = `
WITH input AS (
  SELECT * FROM unnest($4::uuid[], $5::int[], $6::timestamptz[], $7::varchar[], $8::text[])
    WITH ORDINALITY AS t(client_id, year, submitted_at, procedure_code, comment, n)
), answer AS (
  SELECT * FROM unnest($9::int[], $10::int[], $11::smallint[]) AS a(n, question_id, value)
), cycle_now AS MATERIALIZED (
  SELECT c.year, c.status, c.published_at FROM cycle c
   WHERE c.unit_kind = $3::unit_kind AND c.year = ANY($5::int[])
     FOR KEY SHARE NOWAIT
), question_now AS MATERIALIZED (
  SELECT q.id, q.scale_max FROM question q WHERE q.id = ANY($10::int[]) FOR KEY SHARE
), stale AS (
  SELECT DISTINCT a.n FROM answer a LEFT JOIN question_now q ON q.id = a.question_id
   WHERE q.id IS NULL OR a.value > q.scale_max
), flagged AS (
  SELECT i.*, coalesce(c.status = 'PUBLISHED' OR c.published_at IS NOT NULL, false) AS late
    FROM input i LEFT JOIN cycle_now c ON c.year = i.year
   WHERE NOT EXISTS (SELECT 1 FROM stale s WHERE s.n = i.n)
), ins AS (
  INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, procedure_code, comment, late)
  SELECT $1,
         -- The unit the kiosk served on the response's Vietnam date (a merger moves kiosks from 1 January of its year).
         coalesce((SELECT a.unit_id FROM kiosk_assignment a
                    WHERE a.kiosk_id = $1 AND a.from_date <= (f.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                    ORDER BY a.from_date DESC LIMIT 1), $2),
         client_id, year, submitted_at, procedure_code, comment, late FROM flagged f ORDER BY n
  ON CONFLICT (kiosk_id, client_id) DO NOTHING
  RETURNING id, client_id
), ins_answers AS (
  INSERT INTO survey_answer (response_id, question_id, value)
  SELECT ins.id, a.question_id, a.value
    FROM answer a
    JOIN flagged f ON f.n = a.n
    JOIN ins ON ins.client_id = f.client_id
)
SELECT ins.id::text AS id, ins.client_id::text AS client_id FROM ins
UNION ALL
SELECT NULL, i.client_id::text FROM input i JOIN stale s ON s.n = i.n`;

/** A response that passed validation, with what it was judged from (to judge it again). */
interface Pending { prefix: string; data: SurveyResponseData; checked: CheckedResponse }

/**
 * Kiosk survey ingestion: validation against the cached questionnaire,
 * per-kiosk rate limiting, idempotent storage on (kiosk, clientId).
 *
 * A resend of a known clientId returns DUPLICATE with the first responseId
 * and stores nothing, even if its content differs (the first one wins: the
 * kiosk made that clientId once for one response). A resend is validated
 * like any submission first, so an invalid one is refused as invalid.
 */
export class SurveyIngestionService {
  private readonly limiter: RateLimit;
  private readonly unitKinds = new Map<number, UnitKind>();

  constructor(
    private readonly db: DataSource,
    private readonly questionnaires: QuestionnaireCache,
    private readonly options: IngestionOptions,
  ) {
    this.limiter = options.limiter ?? new LocalRateLimit(new TokenBuckets(options.ratePerSecond, options.rateBurst));
  }

  /** One response: ACCEPTED or DUPLICATE; an invalid one is refused (BAD_USER_INPUT naming the field). */
  async submitOne(kiosk: KioskPrincipal, data: SurveyResponseData): Promise<SubmissionResult> {
    await this.throttle(kiosk, 1);
    const now = Date.now();
    const checked = await this.check('input', data, now);
    const [outcome] = await this.store(kiosk, [{ prefix: 'input', data, checked }], now);
    if (outcome instanceof AppError) throw outcome;
    return outcome;
  }

  /**
   * Up to 500 responses, each judged on its own (ACCEPTED, DUPLICATE, or
   * REJECTED with its error); the accepted ones are stored in one statement.
   */
  async submitMany(kiosk: KioskPrincipal, inputs: SurveyResponseData[]): Promise<SubmissionResult[]> {
    if (inputs.length > MAX_BATCH) {
      throw new AppError(ErrorCode.INVALID_SUBMISSION, `inputs holds ${inputs.length} responses; at most ${MAX_BATCH} are allowed per call: split the upload`, 'inputs');
    }
    if (inputs.length === 0) return [];
    await this.throttle(kiosk, inputs.length);
    const now = Date.now();
    const results: (SubmissionResult | null)[] = new Array(inputs.length).fill(null);
    const rejected = (i: number, e: AppError): SubmissionResult => ({
      clientId: String(inputs[i].clientId ?? ''), status: SubmissionStatus.REJECTED, responseId: null,
      error: { code: toGraphQLCode(e.code), message: e.message, field: e.field ?? null },
    });
    const valid: (Pending & { index: number })[] = [];
    const firstIndexOf = new Map<string, number>();
    const repeats: { index: number; first: number }[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const prefix = `inputs[${i}]`;
      try {
        const checked = await this.check(prefix, inputs[i], now);
        const first = firstIndexOf.get(checked.clientId);
        if (first !== undefined) {
          repeats.push({ index: i, first });
          continue;
        }
        firstIndexOf.set(checked.clientId, i);
        valid.push({ index: i, prefix, data: inputs[i], checked });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        results[i] = rejected(i, e);
      }
    }
    const stored = valid.length > 0 ? await this.store(kiosk, valid, now) : [];
    valid.forEach((v, k) => {
      const outcome = stored[k];
      results[v.index] = outcome instanceof AppError ? rejected(v.index, outcome) : outcome;
    });
    // The same clientId twice in one call: the first occurrence wins, the later ones are its duplicates
    // (or share its refusal, when the questionnaire changed under it and it was refused after all).
    for (const r of repeats) {
      const first = results[r.first]!;
      results[r.index] = first.status === SubmissionStatus.REJECTED
        ? { ...first }
        : { clientId: first.clientId, status: SubmissionStatus.DUPLICATE, responseId: first.responseId, error: null };
    }
    return results as SubmissionResult[];
  }

  /**
   * Per-token rate limit: one token per response carried (a batch above the
   * burst is charged the burst, so the largest batch passes a full bucket).
   */
  private async throttle(kiosk: KioskPrincipal, responses: number): Promise<void> {
    const key = `kiosk:${kiosk.kioskId}`;
    const cost = Math.min(responses, this.options.rateBurst);
    if (await this.limiter.take(key, cost)) return;
    const seconds = Math.max(1, this.limiter.retryAfter(key, cost));
    throw new AppError(
      ErrorCode.RATE_LIMITED,
      `This kiosk sends more than ${this.options.ratePerSecond} responses per second (bursts of ${this.options.rateBurst}); retry in ${seconds} s`,
      undefined,
      { retryAfterSeconds: seconds },
    );
  }

  private async check(prefix: string, data: SurveyResponseData, now: number): Promise<CheckedResponse> {
    const clientId = checkClientId(prefix, data.clientId);
    const when = checkSubmittedAt(prefix, data.submittedAt, now);
    return checkResponse(prefix, data, clientId, when, await this.questionnaires.get(when.year));
  }

  /**
   * Stores what is new and reports the rest as duplicates of the stored
   * rows, one outcome per response: its result, or the refusal of a
   * response judged again after the questionnaire changed under it (a
   * question removed, a scale narrowed: see STORE_SQL).
   */
  private async store(kiosk: KioskPrincipal, items: Pending[], now: number): Promise<(SubmissionResult | AppError)[]> {
    const unitKind = await this.unitKindOf(kiosk.unitId);
    const outcomes: (SubmissionResult | AppError)[] = new Array(items.length);
    let pending = items.map((item, k) => ({ ...item, k }));
    for (let round = 1; pending.length > 0; round++) {
      const { stored, stale } = await this.insert(kiosk, unitKind, pending.map((p) => p.checked));
      const again: typeof pending = [];
      for (const p of pending) {
        const result = stored.get(p.checked.clientId);
        if (result) outcomes[p.k] = result;
        else again.push(p);
      }
      if (again.length === 0) break;
      // The questionnaire changed since it was cached: forget it and judge each of these again against the current one.
      for (const year of new Set(again.map((p) => p.checked.year))) this.questionnaires.invalidate(year);
      pending = [];
      for (const p of again) {
        try {
          const checked = await this.check(p.prefix, p.data, now);
          if (round < MAX_STORE_ROUNDS) {
            pending.push({ ...p, checked });
          } else {
            outcomes[p.k] = new AppError(
              ErrorCode.INVALID_SUBMISSION,
              `The ${checked.year} questionnaire changed ${round} times while ${p.prefix} was being stored; nothing of it was stored: check its answers against the questionnaire and send it again`,
              `${p.prefix}.answers`,
            );
          }
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          outcomes[p.k] = e;
        }
      }
    }
    return outcomes;
  }

  /**
   * One run of STORE_SQL: per clientId, ACCEPTED with the new id or
   * DUPLICATE with the first one (`stored`), or `stale` (nothing stored).
   * Waits, retrying without a connection held, while a publication of the
   * year and kind is committing.
   */
  private async insert(
    kiosk: KioskPrincipal, unitKind: UnitKind, responses: CheckedResponse[],
  ): Promise<{ stored: Map<string, SubmissionResult>; stale: Set<string> }> {
    const clientIds: string[] = [], years: number[] = [], times: string[] = [];
    const procedures: (string | null)[] = [], comments: (string | null)[] = [];
    const aIndex: number[] = [], aQuestion: number[] = [], aValue: number[] = [];
    responses.forEach((r, i) => {
      clientIds.push(r.clientId); years.push(r.year); times.push(r.submittedAt.toISOString());
      procedures.push(r.procedureCode); comments.push(r.comment);
      for (const a of r.answers) {
        aIndex.push(i + 1); aQuestion.push(a.question.id); aValue.push(a.value);
      }
    });
    const values = [kiosk.kioskId, kiosk.unitId, unitKind, clientIds, years, times, procedures, comments, aIndex, aQuestion, aValue];
    let rows: { id: string | null; client_id: string }[];
    const deadline = Date.now() + PUBLICATION_WAIT_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      try {
        // A named statement: parsed and planned once per connection, not once per rating.
        rows = (await pgPool(this.db).query({ name: 'survey_store_v4', text: STORE_SQL, values })).rows;
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw e;
        if (Date.now() + delay > deadline) {
          throw new AppError(
            ErrorCode.SERVICE_UNAVAILABLE,
            `The ${[...new Set(years)].join(', ')} ${unitKind} results are being published; nothing was stored. Send the same responses again shortly.`,
            undefined,
            { reason: 'PUBLISHING' },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    const stale = new Set(rows.filter((row) => row.id === null).map((row) => row.client_id));
    const newIds = new Map(rows.filter((row) => row.id !== null).map((row) => [row.client_id, row.id!]));
    const missing = clientIds.filter((c) => !newIds.has(c) && !stale.has(c));
    const existing = new Map<string, string>();
    if (missing.length > 0) {
      const found: { id: string; client_id: string }[] = await this.db.query(
        'SELECT id::text AS id, client_id::text AS client_id FROM survey_response WHERE kiosk_id = $1 AND client_id = ANY($2::uuid[])',
        [kiosk.kioskId, missing],
      );
      for (const row of found) existing.set(row.client_id, row.id);
    }
    if (newIds.size > 0) this.notify(unitKind, responses.filter((r) => newIds.has(r.clientId)).map((r) => r.year));
    const stored = new Map<string, SubmissionResult>();
    for (const clientId of clientIds) {
      if (stale.has(clientId)) continue;
      const id = newIds.get(clientId);
      if (id !== undefined) {
        stored.set(clientId, { clientId, status: SubmissionStatus.ACCEPTED, responseId: responseIdOf(kiosk.kioskId, clientId), error: null });
        continue;
      }
      const first = existing.get(clientId);
      // Unreachable: ON CONFLICT DO NOTHING skipped the row only because a committed row holds (kiosk, clientId)
      // (it waits for a concurrent inserter and inserts if that one rolls back), responses are never deleted, and
      // this read comes after. A programming invariant, not a client's fault.
      if (first === undefined) throw new Error(`response ${clientId} of kiosk ${kiosk.kioskId} was neither stored nor found`);
      stored.set(clientId, { clientId, status: SubmissionStatus.DUPLICATE, responseId: responseIdOf(kiosk.kioskId, clientId), error: null });
    }
    return { stored, stale };
  }

  private notify(unitKind: UnitKind, years: number[]): void {
    const listener = this.options.onAccepted;
    if (!listener) return;
    for (const year of new Set(years)) {
      try {
        listener(year, unitKind);
      } catch {
        // The engine's scheduling must never fail a kiosk's submission.
      }
    }
  }

  /** A unit's kind never changes: cached per process. */
  private async unitKindOf(unitId: number): Promise<UnitKind> {
    let kind = this.unitKinds.get(unitId);
    if (!kind) {
      const rows: { kind: UnitKind }[] = await this.db.query('SELECT kind FROM unit WHERE id = $1', [unitId]);
      if (rows.length === 0) throw new AppError(ErrorCode.UNIT_NOT_FOUND, `The kiosk's unit ${unitId} no longer exists`);
      kind = rows[0].kind;
      this.unitKinds.set(unitId, kind);
    }
    return kind;
  }
}

/**
 * A response's opaque id: a name-based UUID (version 5 layout, SHA-256) of
 * its unique key, the kiosk and its clientId. A resend gets the same id,
 * nothing sequential or countable shows, and nothing more is stored.
 */
export function responseIdOf(kioskId: number, clientId: string): string {
  const hash = createHash('sha256').update(`survey_response:${kioskId}:${clientId.toLowerCase()}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

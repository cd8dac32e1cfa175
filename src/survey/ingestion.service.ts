import type { DataSource } from 'typeorm';
import { pgPool } from '../db/data-source';
import type { Principal } from '../auth/principal';
import { SubmissionStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode, toGraphQLCode } from '../errors/app-error';
import type { QuestionnaireCache } from './questionnaire-cache';
import { TokenBuckets } from '../http/token-bucket';
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
}

type KioskPrincipal = Extract<Principal, { kind: 'kiosk' }>;

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Stores responses and their answers in a single statement (one
 * transaction: a batch is stored whole or not at all). ON CONFLICT
 * (kiosk_id, client_id) DO NOTHING: a resend or a racing twin stores
 * nothing. `late` is decided in the same statement from the cycle of the
 * response's year and the kiosk's unit kind. The roll-ups that statistics
 * and the index engine read are added by the background roll-up
 * (tally-roller.ts), off this path: the rows written per rating are the
 * response and its answers, no more.
 */
const STORE_SQL = `
WITH input AS (
  SELECT * FROM unnest($4::uuid[], $5::int[], $6::timestamptz[], $7::varchar[], $8::text[])
    WITH ORDINALITY AS t(client_id, year, submitted_at, procedure_code, comment, n)
), flagged AS (
  SELECT i.*, EXISTS (SELECT 1 FROM cycle c WHERE c.year = i.year AND c.unit_kind = $3::unit_kind AND c.status = 'PUBLISHED') AS late
    FROM input i
), ins AS (
  INSERT INTO survey_response (kiosk_id, unit_id, client_id, year, submitted_at, procedure_code, comment, late)
  SELECT $1, $2, client_id, year, submitted_at, procedure_code, comment, late FROM flagged ORDER BY n
  ON CONFLICT (kiosk_id, client_id) DO NOTHING
  RETURNING id, client_id
), ins_answers AS (
  INSERT INTO survey_answer (response_id, question_id, value)
  SELECT ins.id, a.question_id, a.value
    FROM unnest($9::int[], $10::int[], $11::smallint[]) AS a(n, question_id, value)
    JOIN flagged f ON f.n = a.n
    JOIN ins ON ins.client_id = f.client_id
)
SELECT ins.id::text AS id, ins.client_id::text AS client_id FROM ins`;

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
  private readonly limiter: TokenBuckets;
  private readonly unitKinds = new Map<number, UnitKind>();

  constructor(
    private readonly db: DataSource,
    private readonly questionnaires: QuestionnaireCache,
    private readonly options: IngestionOptions,
  ) {
    this.limiter = new TokenBuckets(options.ratePerSecond, options.rateBurst);
  }

  /** One response: ACCEPTED or DUPLICATE; an invalid one is refused (BAD_USER_INPUT naming the field). */
  async submitOne(kiosk: KioskPrincipal, data: SurveyResponseData): Promise<SubmissionResult> {
    this.throttle(kiosk, 1);
    const checked = await this.check('input', data, Date.now());
    const [result] = await this.store(kiosk, [checked]);
    return result;
  }

  /** Up to 500 responses, each judged on its own; the accepted ones are stored in one transaction. */
  async submitMany(kiosk: KioskPrincipal, inputs: SurveyResponseData[]): Promise<SubmissionResult[]> {
    if (inputs.length > MAX_BATCH) {
      throw new AppError(ErrorCode.INVALID_SUBMISSION, `inputs holds ${inputs.length} responses; at most ${MAX_BATCH} are allowed per call: split the upload`, 'inputs');
    }
    if (inputs.length === 0) return [];
    this.throttle(kiosk, inputs.length);
    const now = Date.now();
    const results: (SubmissionResult | null)[] = new Array(inputs.length).fill(null);
    const valid: { index: number; checked: CheckedResponse }[] = [];
    const firstIndexOf = new Map<string, number>();
    const repeats: { index: number; first: number }[] = [];
    for (let i = 0; i < inputs.length; i++) {
      try {
        const checked = await this.check(`inputs[${i}]`, inputs[i], now);
        const first = firstIndexOf.get(checked.clientId);
        if (first !== undefined) {
          repeats.push({ index: i, first });
          continue;
        }
        firstIndexOf.set(checked.clientId, i);
        valid.push({ index: i, checked });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        results[i] = {
          clientId: String(inputs[i].clientId ?? ''), status: SubmissionStatus.REJECTED, responseId: null,
          error: { code: toGraphQLCode(e.code), message: e.message, field: e.field ?? null },
        };
      }
    }
    const stored = valid.length > 0 ? await this.store(kiosk, valid.map((v) => v.checked)) : [];
    valid.forEach((v, k) => { results[v.index] = stored[k]; });
    // The same clientId twice in one call: the first occurrence wins, the later ones are its duplicates.
    for (const r of repeats) {
      const first = results[r.first]!;
      results[r.index] = { clientId: first.clientId, status: SubmissionStatus.DUPLICATE, responseId: first.responseId, error: null };
    }
    return results as SubmissionResult[];
  }

  /**
   * Per-token rate limit: one token per response carried (a batch above the
   * burst is charged the burst, so the largest batch passes a full bucket).
   */
  private throttle(kiosk: KioskPrincipal, responses: number): void {
    const key = `kiosk:${kiosk.kioskId}`;
    const cost = Math.min(responses, this.options.rateBurst);
    if (this.limiter.take(key, cost)) return;
    const seconds = Math.max(1, this.limiter.retryAfter(key, cost));
    throw new AppError(
      ErrorCode.RATE_LIMITED,
      `Kiosk ${kiosk.kioskId} sends more than ${this.options.ratePerSecond} responses per second (bursts of ${this.options.rateBurst}); retry in ${seconds} s`,
      undefined,
      { retryAfterSeconds: seconds },
    );
  }

  private async check(prefix: string, data: SurveyResponseData, now: number): Promise<CheckedResponse> {
    const clientId = checkClientId(prefix, data.clientId);
    const when = checkSubmittedAt(prefix, data.submittedAt, now);
    return checkResponse(prefix, data, clientId, when, await this.questionnaires.get(when.year));
  }

  /** Inserts what is new, reports the rest as duplicates of the stored rows. */
  private async store(kiosk: KioskPrincipal, responses: CheckedResponse[], retried = false): Promise<SubmissionResult[]> {
    const unitKind = await this.unitKindOf(kiosk.unitId);
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
    let inserted: { id: string; client_id: string }[];
    try {
      // A named statement: parsed and planned once per connection, not once per rating.
      inserted = (await pgPool(this.db).query({ name: 'survey_store_v2', text: STORE_SQL, values: [
        kiosk.kioskId, kiosk.unitId, unitKind, clientIds, years, times, procedures, comments,
        aIndex, aQuestion, aValue,
      ] })).rows;
    } catch (e) {
      // A question removed since the questionnaire was cached: forget the cache, judge again once.
      if (!retried && (e as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
        for (const y of new Set(years)) this.questionnaires.invalidate(y);
        const rechecked = await Promise.all(responses.map(async (r) => {
          const q = await this.questionnaires.get(r.year);
          return checkResponse('input', { clientId: r.clientId, submittedAt: r.submittedAt, answers: r.answers.map((a) => ({ questionCode: a.question.code, value: a.value })), procedureCode: r.procedureCode, comment: r.comment }, r.clientId, { at: r.submittedAt, year: r.year }, q);
        }));
        return this.store(kiosk, rechecked, true);
      }
      throw e;
    }
    const newIds = new Map(inserted.map((row) => [row.client_id, row.id]));
    const missing = clientIds.filter((c) => !newIds.has(c));
    const existing = new Map<string, string>();
    if (missing.length > 0) {
      const rows: { id: string; client_id: string }[] = await this.db.query(
        'SELECT id::text AS id, client_id::text AS client_id FROM survey_response WHERE kiosk_id = $1 AND client_id = ANY($2::uuid[])',
        [kiosk.kioskId, missing],
      );
      for (const row of rows) existing.set(row.client_id, row.id);
    }
    if (inserted.length > 0) this.notify(unitKind, responses.filter((r) => newIds.has(r.clientId)).map((r) => r.year));
    return clientIds.map((clientId) => {
      const id = newIds.get(clientId);
      if (id !== undefined) return { clientId, status: SubmissionStatus.ACCEPTED, responseId: id, error: null };
      const first = existing.get(clientId);
      if (first === undefined) throw new Error(`response ${clientId} of kiosk ${kiosk.kioskId} was neither stored nor found`);
      return { clientId, status: SubmissionStatus.DUPLICATE, responseId: first, error: null };
    });
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

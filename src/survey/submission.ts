import { AppError, ErrorCode } from '../errors/app-error';
import { CODE_PATTERN, CODE_RULE, hasControlCharacters } from '../util/text';
import type { CachedQuestion, CachedQuestionnaire } from './questionnaire-cache';
import { vietnamDate } from './vietnam-time';

/** What a kiosk sends for one response (SubmitSurveyResponseInput). */
export interface SurveyResponseData {
  clientId: string;
  submittedAt: Date | string;
  answers: { questionCode: string; value: number }[];
  procedureCode?: string | null;
  comment?: string | null;
}

/** A response that passed every check, ready to store. */
export interface CheckedResponse {
  clientId: string;
  submittedAt: Date;
  year: number;
  procedureCode: string | null;
  comment: string | null;
  answers: { question: CachedQuestion; value: number }[];
}

export const MAX_ANSWERS = 50;
export const MAX_COMMENT = 1000;
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refuse(field: string, message: string): AppError {
  return new AppError(ErrorCode.INVALID_SUBMISSION, message, field);
}

/** The clientId, lower-cased, or a refusal naming `<prefix>.clientId`. */
export function checkClientId(prefix: string, raw: string): string {
  if (typeof raw !== 'string' || !UUID.test(raw)) {
    throw refuse(`${prefix}.clientId`, `${prefix}.clientId must be a UUID such as "0b0e4d0c-2f0a-4c4e-9a51-4a4f7e1f3b21" (made once per response by the kiosk), got "${String(raw).slice(0, 60)}"`);
  }
  return raw.toLowerCase();
}

/** The Asia/Ho_Chi_Minh year a submittedAt belongs to, after its own checks. */
export function checkSubmittedAt(prefix: string, raw: Date | string, now: number): { at: Date; year: number } {
  const field = `${prefix}.submittedAt`;
  const at = raw instanceof Date ? raw : new Date(raw);
  if (Number.isNaN(at.getTime())) throw refuse(field, `${field} is not a valid date-time`);
  if (at.getTime() > now + MAX_CLOCK_SKEW_MS) {
    throw refuse(field, `${field} ${at.toISOString()} is more than 5 minutes ahead of the server clock (${new Date(now).toISOString()})`);
  }
  const { year } = vietnamDate(at);
  if (year < 2000 || year > 2100) throw refuse(field, `${field} falls in ${year}; responses are accepted for years 2000 to 2100`);
  return { at, year };
}

/**
 * Every rule of a survey response (API.md, DOMAIN.md), in the order a kiosk
 * maker would fix them. Throws the first refusal, naming the field as a path
 * from the argument (`input.answers[1].value`). Pure but for `questionnaire`,
 * which the caller looks up by the year of submittedAt.
 */
export function checkResponse(
  prefix: string,
  data: SurveyResponseData,
  clientId: string,
  when: { at: Date; year: number },
  questionnaire: CachedQuestionnaire | null,
): CheckedResponse {
  if (!questionnaire) {
    throw refuse(`${prefix}.submittedAt`, `${prefix}.submittedAt falls in ${when.year} (Asia/Ho_Chi_Minh), and no questionnaire is defined for ${when.year}`);
  }
  const answersField = `${prefix}.answers`;
  if (!Array.isArray(data.answers) || data.answers.length < 1 || data.answers.length > MAX_ANSWERS) {
    throw refuse(answersField, `${answersField} must hold 1 to ${MAX_ANSWERS} answers, got ${data.answers?.length ?? 0}`);
  }
  const seen = new Map<number, number>();
  const answers = data.answers.map((a, i) => {
    const field = `${answersField}[${i}]`;
    const code = typeof a.questionCode === 'string' ? a.questionCode.normalize('NFC').trim() : '';
    const question = questionnaire.byCode.get(code);
    if (!question) {
      throw refuse(`${field}.questionCode`, `${field}.questionCode "${code.slice(0, 64)}" is not a question of the ${questionnaire.year} questionnaire`);
    }
    const earlier = seen.get(question.id);
    if (earlier !== undefined) {
      throw refuse(`${field}.questionCode`, `${field}.questionCode "${code}" is already answered in ${answersField}[${earlier}]; a response answers each question once`);
    }
    seen.set(question.id, i);
    if (!Number.isInteger(a.value) || a.value < 1 || a.value > question.scaleMax) {
      throw refuse(`${field}.value`, `${field}.value must be a whole number from 1 to ${question.scaleMax} (the scale of question "${code}"), got ${a.value}`);
    }
    return { question, value: a.value };
  });

  let procedureCode: string | null = null;
  if (data.procedureCode != null && data.procedureCode.trim() !== '') {
    procedureCode = data.procedureCode.normalize('NFC').trim();
    if (!CODE_PATTERN.test(procedureCode)) {
      throw refuse(`${prefix}.procedureCode`, `${prefix}.procedureCode "${procedureCode.slice(0, 80)}" is not a valid code: use ${CODE_RULE}`);
    }
  }

  let comment: string | null = null;
  if (data.comment != null) {
    const text = data.comment.normalize('NFC').trim();
    // Counted in characters (code points), as PostgreSQL's char_length does.
    const length = [...text].length;
    if (length > MAX_COMMENT) {
      throw refuse(`${prefix}.comment`, `${prefix}.comment is ${length} characters long after NFC normalisation; at most ${MAX_COMMENT} are allowed`);
    }
    if (hasControlCharacters(text)) throw refuse(`${prefix}.comment`, `${prefix}.comment contains control characters, which are not allowed`);
    comment = text === '' ? null : text;
  }
  return { clientId, submittedAt: when.at, year: when.year, procedureCode, comment, answers };
}

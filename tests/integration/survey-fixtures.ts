import { randomUUID } from 'node:crypto';
import type { TestService } from '../support/test-service';

/**
 * A small province for the survey tests, built through the API:
 * departments STP "Sở Tư pháp" and SYT "Sở Y tế", district PD "Huyện Phong Điền".
 * Questionnaires:
 *   2023: Q1 ACCESS 5-level, OLD ACCESS 3-level
 *   2024: Q1 ACCESS 5-level (satisfied ≥ 4), Q2 ACCESS 3-level (satisfied ≥ 2),
 *         Q3 CIVIL_SERVANT 5-level with its own threshold 5.
 */
export const SUBMIT = `mutation($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { clientId status responseId error { code message field } } }`;
export const SUBMIT_MANY = `mutation($inputs: [SubmitSurveyResponseInput!]!) {
  submitSurveyResponses(inputs: $inputs) { clientId status responseId error { code message field } } }`;
export const REGISTER = `mutation($input: RegisterKioskInput!) {
  registerKiosk(input: $input) { token kiosk { id label active unit { code name kind } } } }`;

export async function issue(t: TestService, role: string, name: string): Promise<string> {
  return (await t.ok(`mutation($input: IssueTokenInput!) { issueToken(input: $input) }`, { input: { role, name } })).issueToken;
}

export async function registerKiosk(t: TestService, unitCode: string, label: string): Promise<{ id: string; token: string }> {
  const d = await t.ok(REGISTER, { input: { unitCode, label } });
  return { id: d.registerKiosk.kiosk.id, token: d.registerKiosk.token };
}

export async function buildProvince(t: TestService): Promise<void> {
  for (const [code, name, kind] of [['STP', 'Sở Tư pháp', 'DEPARTMENT'], ['SYT', 'Sở Y tế', 'DEPARTMENT'], ['PD', 'Huyện Phong Điền', 'DISTRICT']]) {
    await t.ok(`mutation($input: CreateUnitInput!) { createUnit(input: $input) { id } }`, { input: { code, name, kind } });
  }
  const define = `mutation($year: Int!, $questions: [QuestionInput!]!) { defineQuestionnaire(year: $year, questions: $questions) { code } }`;
  await t.ok(define, { year: 2023, questions: [
    { code: 'Q1', text: 'Tiếp cận dịch vụ', element: 'ACCESS', scaleMax: 5 },
    { code: 'OLD', text: 'Câu hỏi cũ', element: 'ACCESS', scaleMax: 3 },
  ] });
  await t.ok(define, { year: 2024, questions: [
    { code: 'Q1', text: 'Tiếp cận dịch vụ', element: 'ACCESS', scaleMax: 5 },
    { code: 'Q2', text: 'Nơi ngồi chờ', element: 'ACCESS', scaleMax: 3 },
    { code: 'Q3', text: 'Công chức hướng dẫn tận tình', element: 'CIVIL_SERVANT', scaleMax: 5, satisfiedMin: 5 },
  ] });
}

export interface ResponseInput {
  clientId: string; submittedAt: string; answers: { questionCode: string; value: number }[];
  procedureCode?: string | null; comment?: string | null;
}

export function response(overrides: Partial<ResponseInput> = {}): ResponseInput {
  return {
    clientId: randomUUID(),
    submittedAt: '2024-03-15T02:30:00Z',
    answers: [{ questionCode: 'Q1', value: 5 }, { questionCode: 'Q2', value: 3 }],
    ...overrides,
  };
}

/** Rows stored by ingestion, raw and rolled up: what "nothing stored" compares. */
export async function storedCounts(t: TestService): Promise<Record<string, number>> {
  // The roll-ups are added in the background; take them up to now first.
  await t.service.services.tallies.rollUp();
  const [row] = await t.sql(`SELECT (SELECT count(*) FROM survey_response)::int AS responses,
    (SELECT count(*) FROM survey_answer)::int AS answers,
    (SELECT coalesce(sum(answers), 0) FROM survey_tally)::int AS tallied_answers,
    (SELECT coalesce(sum(responses), 0) FROM survey_response_tally)::int AS tallied_responses,
    (SELECT coalesce(sum(responses), 0) FROM survey_element_tally)::int AS tallied_elements`);
  return row;
}

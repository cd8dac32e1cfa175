import type { EntityManager } from 'typeorm';
import { recordAudit } from '../audit';
import { ServiceElement } from '../entities/enums';
import { Question } from '../entities/question.entity';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import { requireCode, requireInt, requireText, requireYear } from '../util/validate';
import { type Db, managerOf } from './db';

export interface QuestionData { code: string; text: string; element: ServiceElement; scaleMax: number; satisfiedMin?: number | null }

/** The satisfied threshold when a question sets none: 4 of 5, 2 of 3 (DOMAIN.md). */
export function defaultSatisfiedMin(scaleMax: number): number {
  return scaleMax === 5 ? 4 : 2;
}

/** A year's questionnaire: defined as a whole, read in its order. */
export class QuestionnaireService {
  private readonly db: EntityManager;

  constructor(db: Db) {
    this.db = managerOf(db);
  }

  list(year: number): Promise<Question[]> {
    requireYear('year', year);
    return this.db.getRepository(Question).find({ where: { year }, order: { position: 'ASC', code: 'ASC' } });
  }

  /**
   * Replaces the year's questionnaire. Questions keep their identity by code.
   * A question already answered or drawn on by a framework cannot be removed,
   * and an answered one cannot change its scale or threshold (CONFLICT).
   */
  async define(rawYear: number, questions: QuestionData[]): Promise<Question[]> {
    const shown = (q: Question) => ({ code: q.code, text: q.text, element: q.element, scaleMax: q.scaleMax, satisfiedMin: q.satisfiedMin });
    const year = requireYear('year', rawYear);
    if (questions.length < 1 || questions.length > 200) throw invalid('questions', 'questions must hold 1 to 200 questions');
    const seen = new Set<string>();
    const planned = questions.map((q, i) => {
      const field = `questions[${i}]`;
      const code = requireCode(`${field}.code`, q.code);
      if (seen.has(code)) throw invalid(`${field}.code`, `${field}.code "${code}" is repeated; question codes are unique in a year`);
      seen.add(code);
      const text = requireText(`${field}.text`, q.text, 1000);
      if (q.scaleMax !== 3 && q.scaleMax !== 5) throw invalid(`${field}.scaleMax`, `${field}.scaleMax must be 3 or 5, got ${q.scaleMax}`);
      const satisfiedMin = q.satisfiedMin == null ? defaultSatisfiedMin(q.scaleMax) : requireInt(`${field}.satisfiedMin`, q.satisfiedMin, 1, q.scaleMax);
      return { year, code, text, element: q.element, scaleMax: q.scaleMax, satisfiedMin, position: i };
    });

    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('questionnaire'), $1)`, [year]);
      // Kiosk submissions lock the questions they answer FOR KEY SHARE until they commit (ingestion's STORE_SQL):
      // waiting for them here means the check below sees every answer stored before this change, and a submission
      // arriving after it waits for this one to commit and is judged against the new questionnaire.
      await tx.query('SELECT id FROM question WHERE year = $1 ORDER BY id FOR UPDATE', [year]);
      const usage: { id: number; code: string; scale_max: number; satisfied_min: number; answered: boolean; drawn: boolean }[] = await tx.query(
        `SELECT q.id, q.code, q.scale_max, q.satisfied_min,
                EXISTS (SELECT 1 FROM survey_answer a WHERE a.question_id = q.id) AS answered,
                EXISTS (SELECT 1 FROM criterion_question cq WHERE cq.question_id = q.id) AS drawn
           FROM question q WHERE q.year = $1`,
        [year],
      );
      const existing = new Map(usage.map((u) => [u.code, u]));
      const before = await tx.getRepository(Question).find({ where: { year }, order: { position: 'ASC', code: 'ASC' } });
      for (const u of usage) {
        if (seen.has(u.code)) continue;
        if (u.answered || u.drawn) {
          throw new AppError(ErrorCode.QUESTION_IN_USE, `Question "${u.code}" of ${year} is ${u.answered ? 'already answered' : 'drawn on by a framework'} and cannot be removed from the questionnaire`, 'questions');
        }
      }
      planned.forEach((q, i) => {
        const old = existing.get(q.code);
        if (old?.answered && (old.scale_max !== q.scaleMax || old.satisfied_min !== q.satisfiedMin)) {
          throw new AppError(ErrorCode.QUESTION_IN_USE, `Question "${q.code}" of ${year} is already answered; its scale (${old.scale_max}) and threshold (${old.satisfied_min}) cannot change`, `questions[${i}]`);
        }
      });
      const gone = usage.filter((u) => !seen.has(u.code)).map((u) => u.id);
      if (gone.length > 0) await tx.query('DELETE FROM question WHERE id = ANY($1)', [gone]);
      await tx.getRepository(Question).upsert(planned, { conflictPaths: ['year', 'code'] });
      const after = await tx.getRepository(Question).find({ where: { year }, order: { position: 'ASC', code: 'ASC' } });
      await recordAudit(tx, { operation: 'defineQuestionnaire', year, before: before.length ? before.map(shown) : null, after: after.map(shown) });
      return after;
    });
  }
}

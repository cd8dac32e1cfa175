import type { EntityManager } from 'typeorm';
import type { ServiceElement } from '../entities/enums';
import { type Db, managerOf } from '../services/db';

export interface CachedQuestion { id: number; code: string; element: ServiceElement; scaleMax: number; satisfiedMin: number }
export interface CachedQuestionnaire { year: number; byCode: Map<string, CachedQuestion> }

/**
 * The questionnaires that ingestion validates against, kept in memory for
 * `ttlMs` so that a rating costs no questionnaire query. A year without a
 * questionnaire is not cached (it may be defined any moment). A
 * redefinition is seen within the TTL; until then the store itself checks
 * each answer against the committed question (ingestion's STORE_SQL), and a
 * response it finds stale (a question removed, a scale narrowed)
 * invalidates the year and is judged again against the fresh one.
 */
export class QuestionnaireCache {
  private readonly entries = new Map<number, { at: number; value: Promise<CachedQuestionnaire | null> }>();

  private readonly db: EntityManager;

  constructor(db: Db, private readonly ttlMs: number) {
    this.db = managerOf(db);
  }

  get(year: number): Promise<CachedQuestionnaire | null> {
    const now = Date.now();
    const hit = this.entries.get(year);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = this.load(year);
    this.entries.set(year, { at: now, value });
    value.then((q) => { if (!q) this.entries.delete(year); }, () => this.entries.delete(year));
    return value;
  }

  invalidate(year?: number): void {
    if (year === undefined) this.entries.clear();
    else this.entries.delete(year);
  }

  private async load(year: number): Promise<CachedQuestionnaire | null> {
    const rows: { id: number; code: string; element: ServiceElement; scale_max: number; satisfied_min: number }[] = await this.db.query(
      'SELECT id, code, element, scale_max, satisfied_min FROM question WHERE year = $1', [year],
    );
    if (rows.length === 0) return null;
    return {
      year,
      byCode: new Map(rows.map((r) => [r.code, { id: r.id, code: r.code, element: r.element, scaleMax: r.scale_max, satisfiedMin: r.satisfied_min }])),
    };
  }
}

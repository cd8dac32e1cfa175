import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../audit';
import { CycleStatus, type UnitKind } from '../entities/enums';
import { AppError, ErrorCode } from '../errors/app-error';
import type { Framework, FrameworkService } from '../services/framework.service';
import { requireText } from '../util/validate';
import type { RankingService } from './ranking.service';
import type { ResultsService } from './results.service';
import { RESULT_COLUMNS_OF_TABLE } from './versions';

/** One version of a year's published decision, as read. */
export interface PublicationRow {
  cycle_id: number; version: number; published_at: Date | null; reason: string | null; decision_ref: string | null;
  include_late_responses: boolean;
}

export interface AmendPublication {
  year: number; unitKind: UnitKind; reason: string; decisionRef?: string | null; includeLateResponses?: boolean | null;
}

/** How long a reason and a decision reference may be. */
const REASON_MAX = 2000;
const DECISION_REF_MAX = 200;

/**
 * Inside publication's transaction, after the cycle's results were written
 * for the last time and its status set: the version being published (the
 * amendment in progress, else the next one: 1 at the first publication)
 * gets its date, and its results are archived as they now stand
 * (src/results/versions.ts). Returns the version.
 */
export async function recordPublication(tx: EntityManager, cycleId: number): Promise<number> {
  const [amended]: { version: number }[] = await tx.query(
    'WITH u AS (UPDATE publication SET published_at = now() WHERE cycle_id = $1 AND published_at IS NULL RETURNING version) SELECT version FROM u',
    [cycleId]);
  const version = amended?.version ?? (await tx.query(
    `INSERT INTO publication (cycle_id, version, published_at)
     SELECT $1, coalesce(max(version), 0) + 1, now() FROM publication WHERE cycle_id = $1 RETURNING version`, [cycleId]))[0].version;
  await tx.query(
    `INSERT INTO published_result (version, computed_at, ${RESULT_COLUMNS_OF_TABLE})
     SELECT $2, computed_at, ${RESULT_COLUMNS_OF_TABLE} FROM index_result WHERE cycle_id = $1`, [cycleId, version]);
  await tx.query(
    `INSERT INTO published_domain_result (cycle_id, version, unit_id, domain_id, score, earned_points, max_points, rank, position)
     SELECT cycle_id, $2, unit_id, domain_id, score, earned_points, max_points, rank, position FROM domain_result WHERE cycle_id = $1`,
    [cycleId, version]);
  return version;
}

/**
 * Amending a published year (API.md, "Amending a published year"; DOMAIN.md,
 * "The year around the figures"). A published year reopens as version n + 1:
 * its status is OPEN again, so that scores, adjustments and withdrawals are
 * accepted and its results recomputed as in any open year (index_result is
 * the amendment's working copy), while readers who may not see unpublished
 * results keep reading version n from the archive. publishCycle then
 * publishes the amendment (recordPublication). The framework stays as it
 * was published (defineCycle refuses a year once published).
 */
export class PublicationService {
  constructor(
    private readonly db: DataSource,
    private readonly frameworks: FrameworkService,
    private readonly results: ResultsService,
    private readonly rankings: RankingService,
  ) {}

  async amend(input: AmendPublication): Promise<Framework> {
    const reason = requireText('input.reason', input.reason, REASON_MAX);
    const decisionRef = input.decisionRef == null ? null : requireText('input.decisionRef', input.decisionRef, DECISION_REF_MAX);
    const includeLate = input.includeLateResponses ?? false;
    const { year, unitKind } = input;
    const cycleId = await this.db.transaction(async (tx) => {
      // FOR UPDATE, as publication takes it: an amendment and a publication of one year run one after the other.
      const cycle = await this.frameworks.requireCycle(tx, year, unitKind);
      if (cycle.status !== CycleStatus.PUBLISHED) {
        const amending = (await this.publicationsOf([cycle.id], tx)).some((p) => p.published_at === null);
        throw new AppError(ErrorCode.CYCLE_STATUS, amending
          ? `The ${year} ${unitKind} results are already being amended: publish the amendment (publishCycle(year: ${year}, unitKind: ${unitKind})) before amending them again`
          : `The ${year} ${unitKind} results are not published (status ${cycle.status}): only a published year can be amended; publishCycle publishes it`, 'input.year');
      }
      const [{ version }]: { version: number }[] = await tx.query(
        `INSERT INTO publication (cycle_id, version, reason, decision_ref, include_late_responses)
         SELECT $1, max(version) + 1, $2, $3, $4 FROM publication WHERE cycle_id = $1 RETURNING version`,
        [cycle.id, reason, decisionRef, includeLate]);
      await tx.query(`UPDATE cycle SET status = 'OPEN', updated_at = now() WHERE id = $1`, [cycle.id]);
      await recordAudit(tx, {
        operation: 'amendPublication', year, target: unitKind,
        before: { status: CycleStatus.PUBLISHED, version: version - 1 },
        after: { status: CycleStatus.OPEN, version, reason, decisionRef, includeLateResponses: includeLate },
      });
      return cycle.id;
    });
    this.rankings.forget(year, unitKind);
    // The amendment's working copy, recomputed before the answer (late responses in or out, the scores as they stand).
    await this.results.recompute(cycleId);
    return this.frameworks.loadById(this.db.manager, cycleId);
  }

  /** The publications of cycles (published ones and an amendment in progress), by cycle, oldest first. */
  async publicationsOf(cycleIds: readonly number[], manager: EntityManager = this.db.manager): Promise<PublicationRow[]> {
    return manager.query(
      `SELECT cycle_id, version, published_at, reason, decision_ref, include_late_responses
         FROM publication WHERE cycle_id = ANY($1::int[]) ORDER BY cycle_id, version`, [cycleIds]);
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit } from '../audit/audit';
import { CycleStatus, ScoreRound, UnitKind } from '../entities/enums';
import { AppError, ErrorCode, invalid } from '../errors/app-error';
import type { Framework, FrameworkService } from '../services/framework.service';
import { existsIn, yearsText } from '../services/unit-years';
import type { UnitService } from '../services/unit.service';
import { requireCode, requireYear } from '../util/validate';
import { vietnamClock } from './round-windows';

export interface RoundWindowData { year: number; unitKind: UnitKind; round: ScoreRound; opensAt: Date; closesAt: Date }
export interface RoundWindowRow { round: ScoreRound; opensAt: Date; closesAt: Date }

const validDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * Setting and extending the windows of a cycle's rounds (ADMIN). The rule
 * of when a round takes scores is src/appraisal/round-windows.ts.
 */
export class RoundWindowService {
  constructor(
    private readonly db: DataSource,
    private readonly units: UnitService,
    private readonly frameworks: FrameworkService,
  ) {}

  /** Creates or replaces a round's window; extensions already granted stay (a unit's later close still counts). */
  async set(data: RoundWindowData): Promise<Framework> {
    const year = requireYear('input.year', data.year);
    requireRound('input.round', data.round);
    requireKind('input.unitKind', data.unitKind);
    if (!validDate(data.opensAt)) throw invalid('input.opensAt', 'input.opensAt must be a date and time with its offset');
    if (!validDate(data.closesAt)) throw invalid('input.closesAt', 'input.closesAt must be a date and time with its offset');
    if (data.closesAt.getTime() <= data.opensAt.getTime()) {
      throw invalid('input.closesAt',
        `input.closesAt ${vietnamClock(data.closesAt)} must be after input.opensAt ${vietnamClock(data.opensAt)} (giờ Việt Nam)`);
    }
    return this.db.transaction(async (tx) => {
      const cycle = await this.writableCycle(tx, year, data.unitKind, 'input.year');
      const [before]: { opens_at: Date; closes_at: Date }[] = await tx.query(
        'SELECT opens_at, closes_at FROM round_window WHERE cycle_id = $1 AND round = $2::score_round', [cycle.id, data.round]);
      await tx.query(
        `INSERT INTO round_window (cycle_id, round, opens_at, closes_at) VALUES ($1, $2::score_round, $3, $4)
         ON CONFLICT (cycle_id, round) DO UPDATE SET opens_at = excluded.opens_at, closes_at = excluded.closes_at`,
        [cycle.id, data.round, data.opensAt, data.closesAt]);
      await recordAudit(tx, {
        operation: 'setRoundWindow', year, target: `${data.unitKind}/${data.round}`,
        before: before ? { opensAt: before.opens_at.toISOString(), closesAt: before.closes_at.toISOString() } : null,
        after: { opensAt: data.opensAt.toISOString(), closesAt: data.closesAt.toISOString() },
      });
      return this.frameworks.loadById(tx, cycle.id);
    });
  }

  /** The round closes later for one unit: after the window's close (and after an earlier extension is moot: it is replaced). */
  async extend(year: number, unitKind: UnitKind, round: ScoreRound, unitCode: string, closesAt: Date): Promise<Framework> {
    requireYear('year', year);
    requireRound('round', round);
    requireKind('unitKind', unitKind);
    if (!validDate(closesAt)) throw invalid('closesAt', 'closesAt must be a date and time with its offset');
    const unit = await this.units.requireByCode(requireCode('unitCode', unitCode), 'unitCode');
    if (unit.kind !== unitKind) {
      throw invalid('unitCode', `unit ${unit.code} is a ${unit.kind}; the ${year} ${unitKind} window extends for ${unitKind} units only`);
    }
    if (!existsIn(unit, year)) {
      throw invalid('unitCode', `unit ${unit.code} does not exist in ${year} (its years are ${yearsText(unit)})`);
    }
    return this.db.transaction(async (tx) => {
      const cycle = await this.writableCycle(tx, year, unitKind, 'year');
      const [window]: { opens_at: Date; closes_at: Date }[] = await tx.query(
        'SELECT opens_at, closes_at FROM round_window WHERE cycle_id = $1 AND round = $2::score_round', [cycle.id, round]);
      if (!window) {
        throw invalid('round', `the ${round} round of ${year} ${unitKind} has no window to extend: set one first with setRoundWindow`);
      }
      if (closesAt.getTime() <= window.closes_at.getTime()) {
        throw invalid('closesAt',
          `closesAt ${vietnamClock(closesAt)} must be after the window's close ${vietnamClock(window.closes_at)} (giờ Việt Nam)`);
      }
      const [before]: { closes_at: Date }[] = await tx.query(
        'SELECT closes_at FROM round_window_extension WHERE cycle_id = $1 AND round = $2::score_round AND unit_id = $3',
        [cycle.id, round, unit.id]);
      await tx.query(
        `INSERT INTO round_window_extension (cycle_id, round, unit_id, closes_at) VALUES ($1, $2::score_round, $3, $4)
         ON CONFLICT (cycle_id, round, unit_id) DO UPDATE SET closes_at = excluded.closes_at`,
        [cycle.id, round, unit.id, closesAt]);
      await recordAudit(tx, {
        operation: 'extendRoundWindow', unitCode: unit.code, year, target: `${unitKind}/${round}`,
        before: before ? { closesAt: before.closes_at.toISOString() } : null,
        after: { closesAt: closesAt.toISOString() },
      });
      return this.frameworks.loadById(tx, cycle.id);
    });
  }

  /** Each cycle's windows, in the rounds' order (one query for any number of cycles). */
  async windowsOf(cycleIds: readonly number[]): Promise<Map<number, RoundWindowRow[]>> {
    const rows: { cycle_id: number; round: ScoreRound; opens_at: Date; closes_at: Date }[] = await this.db.query(
      'SELECT cycle_id, round, opens_at, closes_at FROM round_window WHERE cycle_id = ANY($1::int[]) ORDER BY cycle_id, round',
      [cycleIds]);
    const byCycle = new Map<number, RoundWindowRow[]>(cycleIds.map((id) => [id, []]));
    for (const r of rows) byCycle.get(r.cycle_id)?.push({ round: r.round, opensAt: r.opens_at, closesAt: r.closes_at });
    return byCycle;
  }

  /** The cycle, locked against scores being written (they hold it FOR SHARE); refused when missing or published. */
  private async writableCycle(tx: EntityManager, year: number, unitKind: UnitKind, field: string): Promise<{ id: number }> {
    const [cycle]: { id: number; status: CycleStatus }[] = await tx.query(
      'SELECT id, status FROM cycle WHERE year = $1 AND unit_kind = $2 FOR NO KEY UPDATE', [year, unitKind]);
    if (!cycle) throw new AppError(ErrorCode.CYCLE_NOT_FOUND, `No framework is defined for ${year} and ${unitKind}: define it with defineCycle first`, field);
    if (cycle.status === CycleStatus.PUBLISHED) {
      throw new AppError(ErrorCode.CYCLE_PUBLISHED, `The ${year} ${unitKind} results are published: its rounds' windows can no longer change`, field);
    }
    return cycle;
  }
}

function requireRound(field: string, round: ScoreRound): void {
  if (!Object.values(ScoreRound).includes(round)) throw invalid(field, `${field} must be one of ${Object.values(ScoreRound).join(', ')}`);
}

function requireKind(field: string, kind: UnitKind): void {
  if (!Object.values(UnitKind).includes(kind)) throw invalid(field, `${field} must be one of ${Object.values(UnitKind).join(', ')}`);
}

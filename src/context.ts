import DataLoader from 'dataloader';
import type { ExplanationRow } from './analysis/explanation';
import type { Principal } from './auth/principal';
import type { Unit } from './entities/unit.entity';
import { createResultLoaders, type ResultLoaders } from './results/result-loaders';
import type { Services } from './services';
import type { LineageRow, UnitNameRow, UnitRead } from './services/unit.service';

/** What every resolver sees of its request. */
export interface Context {
  principal: Principal | null;
  requestId: string;
  loaders: Loaders;
}

/** Per-request batching: one query per kind of lookup, whatever the page size. */
export interface Loaders {
  unitById: DataLoader<number, Unit | null>;
  childrenByParentId: DataLoader<number, Unit[]>;
  results: ResultLoaders;
  /** Units over time: every name of a unit (oldest first), its lineage edges, its children in a year. */
  unitNames: DataLoader<number, UnitNameRow[]>;
  lineage: DataLoader<number, LineageRow[]>;
  childrenInYear: DataLoader<{ parentId: number; year: number }, UnitRead[], string>;
  /**
   * A root field's answer within the request, by its name and arguments: the
   * same field aliased with the same arguments (30 aliases of one
   * `satisfaction`) is read once. `read` runs on the first call of a key.
   */
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
  /** IndexResult.explanation: one AnalysisService.explanations call per cycle asked, whatever the page size. */
  explanations: DataLoader<{ cycleId: number; unitId: number }, ExplanationRow | null, string>;
}

/** The loaders of one request, each made on first use: most requests need one or none. */
class RequestLoaders implements Loaders {
  private unitLoader?: Loaders['unitById'];
  private childrenLoader?: Loaders['childrenByParentId'];
  private resultLoaders?: ResultLoaders;
  private namesLoader?: Loaders['unitNames'];
  private lineageLoader?: Loaders['lineage'];
  private childrenInYearLoader?: Loaders['childrenInYear'];
  private explanationsLoader?: Loaders['explanations'];

  private answers?: Map<string, Promise<unknown>>;

  constructor(private readonly services: Services) {}

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    this.answers ??= new Map();
    let answer = this.answers.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = read();
      this.answers.set(key, answer);
    }
    return answer;
  }

  get unitById(): Loaders['unitById'] {
    return this.unitLoader ??= new DataLoader(async (ids) => {
      const units = await this.services.units.findByIds(ids);
      const byId = new Map(units.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  get childrenByParentId(): Loaders['childrenByParentId'] {
    return this.childrenLoader ??= new DataLoader(async (ids) => {
      const children = await this.services.units.childrenOf(ids);
      return ids.map((id) => children.filter((c) => c.parentId === id));
    });
  }

  get unitNames(): Loaders['unitNames'] {
    return this.namesLoader ??= new DataLoader(async (ids) => {
      const rows = await this.services.units.namesOf(ids);
      return ids.map((id) => rows.filter((r) => r.unitId === id));
    });
  }

  get lineage(): Loaders['lineage'] {
    return this.lineageLoader ??= new DataLoader(async (ids) => {
      const rows = await this.services.units.lineageOf(ids);
      return ids.map((id) => rows.filter((r) => r.predecessorId === id || r.successorId === id));
    });
  }

  get childrenInYear(): Loaders['childrenInYear'] {
    return this.childrenInYearLoader ??= new DataLoader(async (keys) => {
      // One query per year asked (a request reads one year's map, almost always).
      const byYear = new Map<number, UnitRead[]>();
      for (const year of new Set(keys.map((k) => k.year))) {
        byYear.set(year, await this.services.units.childrenOf(keys.filter((k) => k.year === year).map((k) => k.parentId), year));
      }
      return keys.map((k) => byYear.get(k.year)!.filter((c) => c.parentId === k.parentId));
    }, { cacheKeyFn: (k) => `${k.parentId}:${k.year}` });
  }

  get explanations(): Loaders['explanations'] {
    return this.explanationsLoader ??= new DataLoader(async (keys) => {
      // One call per cycle asked (a ranking page is one cycle's); a cycle that fails fails only its own keys.
      const byCycle = new Map<number, Map<number, ExplanationRow | null> | Error>();
      for (const cycleId of new Set(keys.map((k) => k.cycleId))) {
        const unitIds = keys.filter((k) => k.cycleId === cycleId).map((k) => k.unitId);
        try {
          const rows = await this.services.analysis.explanations(cycleId, unitIds);
          byCycle.set(cycleId, new Map(unitIds.map((id, i) => [id, rows[i]])));
        } catch (e) {
          byCycle.set(cycleId, e instanceof Error ? e : new Error(String(e)));
        }
      }
      return keys.map((k) => {
        const rows = byCycle.get(k.cycleId)!;
        return rows instanceof Error ? rows : rows.get(k.unitId) ?? null;
      });
    }, { cacheKeyFn: (k) => `${k.cycleId}:${k.unitId}` });
  }

  get results(): ResultLoaders {
    return this.resultLoaders ??= createResultLoaders(this.services.rankings);
  }
}

export function createLoaders(services: Services): Loaders {
  return new RequestLoaders(services);
}

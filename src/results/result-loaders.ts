import DataLoader from 'dataloader';
import type { BandRow, DomainResultRow, RankingService, ResultRow } from './ranking.service';

/** Per-request batching of result reads: one query per kind of lookup, whatever the page size. */
export interface ResultLoaders {
  /** Without a version, the working copy (its fallback: the version an amending year's other readers read). */
  byUnitYear: DataLoader<{ unitId: number; year: number; version?: number | null }, ResultRow | null, string>;
  byUnit: DataLoader<number, ResultRow[]>;
  /** `version`: an archived version's; null or omitted: the working copy's. */
  domains: DataLoader<{ cycleId: number; unitId: number; version?: number | null }, DomainResultRow[], string>;
  bands: DataLoader<number, BandRow[]>;
}

export function createResultLoaders(rankings: RankingService): ResultLoaders {
  return {
    byUnitYear: new DataLoader(async (keys) => (await rankings.resultsByUnitYear(keys)).map((r) => r ?? null), { cacheKeyFn: (k) => `${k.unitId}:${k.year}:${k.version ?? ''}` }),
    byUnit: new DataLoader(async (ids) => {
      const grouped = groupBy(await rankings.resultsByUnits(ids), (r) => r.unit_id);
      return ids.map((id) => grouped.get(id) ?? []);
    }),
    domains: new DataLoader(async (keys) => {
      const grouped = groupBy(await rankings.domainResults(keys), (r) => `${r.cycle_id}:${r.unit_id}:${r.version ?? ''}`);
      return keys.map((k) => grouped.get(`${k.cycleId}:${k.unitId}:${k.version ?? ''}`) ?? []);
    }, { cacheKeyFn: (k) => `${k.cycleId}:${k.unitId}:${k.version ?? ''}` }),
    bands: new DataLoader(async (ids) => {
      const grouped = groupBy(await rankings.bandsOf(ids), (b) => b.cycle_id);
      return ids.map((id) => grouped.get(id) ?? []);
    }),
  };
}

/** Rows by key, in their order. */
function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const grouped = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = grouped.get(k);
    if (list) list.push(row);
    else grouped.set(k, [row]);
  }
  return grouped;
}

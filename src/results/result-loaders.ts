import DataLoader from 'dataloader';
import type { BandRow, DomainResultRow, RankingService, ResultRow } from './ranking.service';

/** Per-request batching of result reads: one query per kind of lookup, whatever the page size. */
export interface ResultLoaders {
  byUnitYear: DataLoader<{ unitId: number; year: number }, ResultRow | null, string>;
  byUnit: DataLoader<number, ResultRow[]>;
  domains: DataLoader<{ cycleId: number; unitId: number }, DomainResultRow[], string>;
  bands: DataLoader<number, BandRow[]>;
}

export function createResultLoaders(rankings: RankingService): ResultLoaders {
  return {
    byUnitYear: new DataLoader(async (keys) => {
      const rows = await rankings.resultsByUnitYear(keys);
      const byKey = new Map(rows.map((r) => [`${r.unit_id}:${r.year}`, r]));
      return keys.map((k) => byKey.get(`${k.unitId}:${k.year}`) ?? null);
    }, { cacheKeyFn: (k) => `${k.unitId}:${k.year}` }),
    byUnit: new DataLoader(async (ids) => {
      const grouped = groupBy(await rankings.resultsByUnits(ids), (r) => r.unit_id);
      return ids.map((id) => grouped.get(id) ?? []);
    }),
    domains: new DataLoader(async (keys) => {
      const grouped = groupBy(await rankings.domainResults(keys), (r) => `${r.cycle_id}:${r.unit_id}`);
      return keys.map((k) => grouped.get(`${k.cycleId}:${k.unitId}`) ?? []);
    }, { cacheKeyFn: (k) => `${k.cycleId}:${k.unitId}` }),
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

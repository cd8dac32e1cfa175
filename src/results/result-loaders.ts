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
      const rows = await rankings.resultsByUnits(ids);
      return ids.map((id) => rows.filter((r) => r.unit_id === id));
    }),
    domains: new DataLoader(async (keys) => {
      const rows = await rankings.domainResults(keys);
      const grouped = new Map<string, DomainResultRow[]>();
      for (const r of rows) {
        const key = `${r.cycle_id}:${r.unit_id}`;
        grouped.set(key, [...(grouped.get(key) ?? []), r]);
      }
      return keys.map((k) => grouped.get(`${k.cycleId}:${k.unitId}`) ?? []);
    }, { cacheKeyFn: (k) => `${k.cycleId}:${k.unitId}` }),
    bands: new DataLoader(async (ids) => {
      const rows = await rankings.bandsOf(ids);
      return ids.map((id) => rows.filter((b) => b.cycle_id === id));
    }),
  };
}

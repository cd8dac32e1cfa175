import DataLoader from 'dataloader';
import type { Principal } from './auth/principal';
import type { Unit } from './entities/unit.entity';
import { createResultLoaders, type ResultLoaders } from './results/result-loaders';
import type { Services } from './services';

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
}

export function createLoaders(services: Services): Loaders {
  return {
    unitById: new DataLoader(async (ids) => {
      const units = await services.units.findByIds(ids);
      const byId = new Map(units.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    childrenByParentId: new DataLoader(async (ids) => {
      const children = await services.units.childrenOf(ids);
      return ids.map((id) => children.filter((c) => c.parentId === id));
    }),
    results: createResultLoaders(services.rankings),
  };
}

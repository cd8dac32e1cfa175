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

/** The loaders of one request, each made on first use: most requests need one or none. */
class RequestLoaders implements Loaders {
  private unitLoader?: Loaders['unitById'];
  private childrenLoader?: Loaders['childrenByParentId'];
  private resultLoaders?: ResultLoaders;

  constructor(private readonly services: Services) {}

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

  get results(): ResultLoaders {
    return this.resultLoaders ??= createResultLoaders(this.services.rankings);
  }
}

export function createLoaders(services: Services): Loaders {
  return new RequestLoaders(services);
}

import 'reflect-metadata';
import { RankingService } from '../src/results/ranking.service';
import { rankingWants } from '../src/resolvers/ranking.resolver';
import { parse } from 'graphql';
const pool = { query: async (q: any) => { console.log(q.text); console.log(JSON.stringify(q.values)); return { rows: [] }; } };
const svc = new RankingService({ driver: { master: pool } } as any, {} as any);
const d = parse(`query { rankings(year: 1, unitKind: COMMUNE) { edges { rank score node { unit { code name } domains { code score } } } } }`);
svc.rankings({ year: 2024, unitKind: 'COMMUNE' as any, first: 20 }, null, rankingWants({ fieldNodes: [(d.definitions[0] as any).selectionSet.selections[0]], fragments: {} })).then(() => process.exit(0));

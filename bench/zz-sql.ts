import { RankingService } from '../src/results/ranking.service';
const pool = { query: async (q: any) => { console.log(q.text); console.log(JSON.stringify(q.values)); return { rows: [] }; } };
const svc = new RankingService({ driver: { master: pool } } as any, {} as any);
svc.rankings({ year: 2024, unitKind: 'COMMUNE' as any, first: 20 }, null, { domains: true }).then(() => process.exit(0));

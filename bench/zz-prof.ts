import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startService } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { loadNationalYear } from './national-year';
const admin = process.env.DATABASE_URL!;
(async () => {
  const name = `par_prof_${randomBytes(4).toString('hex')}`;
  const a = new Client({ connectionString: admin }); await a.connect(); await a.query(`CREATE DATABASE ${name}`); await a.end();
  const u = new URL(admin); u.pathname = `/${name}`;
  const logger = createLogger('error');
  const svc = await startService({ ...loadConfig({}), port: 0, databaseUrl: u.toString(), seedDemo: false, adminToken: undefined, poolSize: 10, logLevel: 'error',
    anonymousRatePerSec: 1e6, anonymousBurst: 1e6, recomputeIntervalMs: 60000, cacheMaxAgeSeconds: 0, responseCacheMaxEntries: 0 }, logger);
  const c = new Client({ connectionString: u.toString() }); await c.connect(); await loadNationalYear(c, { year: 2024, communes: 12000 }); await c.end();
  const body = JSON.stringify({ query: `query Portal($year: Int!, $first: Int!) {
  rankings(year: $year, unitKind: COMMUNE, first: $first) {
    edges { rank score node { unit { code name } domains { code score } } }
  }
}`, variables: { year: 2024, first: 20 }, operationName: 'Portal' });
  const r = await fetch(svc.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  console.log((await r.text()).slice(0, 400));
  if (process.env.NODB) { const rs = (svc as any).services.rankings; const orig = rs.rankings.bind(rs); let memo: any; rs.rankings = async (...a: any[]) => (memo ??= await orig(...a)); }
  const { execFileSync } = await import('node:child_process');
  console.log(execFileSync('node', ['/tmp/loadgen.js', svc.url, process.env.SECS ?? '8']).toString());
  await svc.stop();
  const b = new Client({ connectionString: admin }); await b.connect(); await b.query(`DROP DATABASE ${name} WITH (FORCE)`); await b.end();
  process.exit(0);
})();

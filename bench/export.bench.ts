/**
 * `npm run bench:export`: the national ranking streamed out as the appendix
 * (issue 15). Builds two published commune years in a scratch database with
 * bench/national-year.ts (3,000 and 12,000 communes, 8 domains), starts the
 * service in this process, downloads /export/rankings.xlsx and .csv of each
 * as an anonymous reader, and reports time, size and the process's peak
 * memory above its level before the download (sampled every 10 ms): flat in
 * the number of rows when the export streams.
 *
 * DATABASE_URL: a server to make the scratch database on (else an embedded
 * PostgreSQL). BENCH_ROUNDS (default 2): downloads of each file; the figures
 * are the last round's.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { startService } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/config/logger';
import { withScratchDatabase } from '../src/db/scratch-database';
import { loadNationalYear } from './national-year';

const SIZES = [{ year: 2023, communes: 3000, prefix: 'S' }, { year: 2024, communes: 12000, prefix: 'N' }];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MiB = 1024 * 1024;

interface Measure { rows: number; bytes: number; ms: number; heapPeakMiB: number; rssPeakMiB: number }

async function measure(url: string): Promise<Measure> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  let heapPeak = base.heapUsed;
  let rssPeak = base.rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
  }, 10);
  const started = performance.now();
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  let bytes = 0;
  // The client keeps nothing: it counts what arrives, as a download to disk would.
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const ms = performance.now() - started;
  clearInterval(sampler);
  return {
    rows: Number(res.headers.get('x-row-count')), bytes, ms,
    heapPeakMiB: (heapPeak - base.heapUsed) / MiB, rssPeakMiB: (rssPeak - base.rss) / MiB,
  };
}

async function main(): Promise<void> {
  await withScratchDatabase('par_bench_export', async ({ url }) => {
    const logger = createLogger('warn');
    const service = await startService({ ...loadConfig({}), port: 0, databaseUrl: url, adminToken: 'bench-admin-token-0123456789', seedDemo: false, recomputeIntervalMs: 600000 }, logger);
    try {
      const db = new Client({ connectionString: url });
      await db.connect();
      for (const s of SIZES) {
        const t0 = performance.now();
        await loadNationalYear(db, { year: s.year, communes: s.communes, prefix: s.prefix });
        console.log(`loaded ${s.communes} communes for ${s.year} in ${Math.round(performance.now() - t0)} ms`);
      }
      await db.end();
      const base = service.url.replace(/\/graphql$/, '');
      const table: string[] = ['| file | rows | size | time | rows/s | peak heap above base | peak RSS above base |', '|---|---|---|---|---|---|---|'];
      for (const format of ['xlsx', 'csv']) {
        for (const s of SIZES) {
          let m: Measure | undefined;
          for (let r = 0; r < ROUNDS; r++) m = await measure(`${base}/export/rankings.${format}?year=${s.year}&unitKind=COMMUNE`);
          const x = m!;
          table.push(`| rankings.${format} | ${x.rows.toLocaleString('en')} | ${(x.bytes / MiB).toFixed(2)} MiB | ${(x.ms / 1000).toFixed(2)} s | ${Math.round(x.rows / (x.ms / 1000)).toLocaleString('en')} | ${x.heapPeakMiB.toFixed(1)} MiB | ${x.rssPeakMiB.toFixed(1)} MiB |`);
          console.log(table[table.length - 1]);
        }
      }
      console.log(`\n${table.join('\n')}`);
    } finally {
      await service.stop();
    }
  });
}

main().catch((e) => { console.error(e); process.exit(1); });

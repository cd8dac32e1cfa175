import { Worker } from 'node:worker_threads';

/**
 * The benchmarks' load generator: `concurrency` keep-alive loops POSTing
 * one JSON body to `url`, in a worker thread so that it does not share an
 * event loop with a server it measures. Requests answered 200 are counted
 * after `warmup` seconds for `seconds` (`requests`), and over the whole run
 * (`all`: what a CPU window around the run saw); anything else is `failed`,
 * and the first answer is kept as `sample` for a check of its content.
 */
export interface LoadRun { requests: number; all: number; seconds: number; failed: number; sample: string }

const LOADER = `
const http = require('node:http');
const { workerData, parentPort } = require('node:worker_threads');
const { url, body, concurrency, seconds, warmup } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const u = new URL(url);
let done = 0, all = 0, failed = 0, sample = null, counting = false, stop = false;
function one() {
  return new Promise((resolve) => {
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 200) { all++; if (counting) done++; if (!sample) sample = Buffer.concat(chunks).toString(); }
        else { failed++; if (!sample) sample = 'HTTP ' + res.statusCode + ' ' + Buffer.concat(chunks).toString(); }
        resolve();
      });
    });
    req.on('error', () => { failed++; resolve(); });
    req.end(body);
  });
}
async function loop() { while (!stop) await one(); }
(async () => {
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, warmup * 1000));
  counting = true;
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const counted = done;
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  parentPort.postMessage({ requests: counted, all, seconds: elapsed, failed, sample });
})();
`;

export function loadHttp(options: { url: string; body: string; concurrency: number; seconds: number; warmup: number }): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOADER, { eval: true, workerData: options });
    w.once('message', (m: LoadRun) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

/** The portal's query: top `first` of a year's COMMUNE ranking with each unit's eight domain scores. */
export const PORTAL = `query Portal($year: Int!, $first: Int!) {
  rankings(year: $year, unitKind: COMMUNE, first: $first) {
    edges { rank score node { unit { code name } domains { code score } } }
  }
}`;

/** The portal query's POST body for a year's top 20. */
export function portalBody(year: number): string {
  return JSON.stringify({ query: PORTAL, variables: { year, first: 20 }, operationName: 'Portal' });
}

/** Throws unless `sample` is a portal answer of 20 units with 8 domains each. */
export function checkPortal(name: string, sample: string): void {
  const body = JSON.parse(sample) as { data?: { rankings: { edges: { node: { domains: unknown[] } }[] } } };
  const edges = body.data?.rankings.edges;
  if (!edges || edges.length !== 20 || edges.some((e) => e.node.domains.length !== 8)) {
    throw new Error(`${name} answered something else than 20 units with 8 domains each: ${sample.slice(0, 300)}`);
  }
}

import { Worker } from 'node:worker_threads';

/**
 * The benchmarks' load generator: `concurrency` keep-alive connections POSTing
 * one JSON body to `url`, in a worker thread so that it does not share an
 * event loop with a server it measures. Requests answered 200 are counted
 * after `warmup` seconds for `seconds` (`requests`), and over the whole run
 * (`all`: what a CPU window around the run saw); anything else is `failed`,
 * and the first answer is kept as `sample` for a check of its content.
 */
export interface LoadRun { requests: number; all: number; seconds: number; failed: number; sample: string }

/**
 * The loader itself: raw keep-alive sockets writing one prepared request
 * and reading answers by their content-length, as wrk does, instead of
 * Node's HTTP client, which spent about 58 µs of a CPU per answer: on a
 * 2-CPU machine shared with the server and PostgreSQL that was a third of
 * the CPU a cached answer was measured with. Every answer the service and
 * the baselines give has a content-length; one without is counted failed.
 * A connection the server closes is opened again.
 */
const LOADER = `
const net = require('node:net');
const { workerData, parentPort } = require('node:worker_threads');
const { url, body, concurrency, seconds, warmup } = workerData;
const u = new URL(url);
const request = Buffer.from('POST ' + u.pathname + u.search + ' HTTP/1.1\\r\\nHost: ' + u.host
  + '\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body);
const HEAD_END = Buffer.from('\\r\\n\\r\\n');
let done = 0, all = 0, failed = 0, sample = null, counting = false, stop = false;
function connection() {
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    socket.setNoDelay(true);
    let buf = null, bodyStart = -1, length = -1, status = 0;
    const send = () => { if (stop) socket.end(); else socket.write(request); };
    socket.on('connect', send);
    socket.on('data', (chunk) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (bodyStart < 0) {
          const i = buf.indexOf(HEAD_END);
          if (i < 0) return;
          const head = buf.toString('latin1', 0, i);
          const m = /\\r\\ncontent-length: *(\\d+)/i.exec(head);
          if (!m) { failed++; socket.destroy(); return; }
          status = Number(head.slice(9, 12));
          bodyStart = i + 4;
          length = Number(m[1]);
        }
        const end = bodyStart + length;
        if (buf.length < end) return;
        if (status === 200) { all++; if (counting) done++; if (sample === null) sample = buf.toString('utf8', bodyStart, end); }
        else { failed++; if (sample === null) sample = 'HTTP ' + status + ' ' + buf.toString('utf8', bodyStart, end); }
        buf = buf.length > end ? buf.subarray(end) : null;
        bodyStart = -1;
        send();
        if (buf === null) return;
      }
    });
    socket.on('error', () => { failed++; });
    socket.on('close', resolve);
  });
}
async function loop() { while (!stop) await connection(); }
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
  parentPort.postMessage({ requests: counted, all, seconds: elapsed, failed, sample: sample ?? '' });
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

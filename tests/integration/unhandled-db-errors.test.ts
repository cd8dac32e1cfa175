import net from 'node:net';
import type { DataSource } from 'typeorm';
import { createDataSource, gatePool } from '../../src/db/data-source';

/**
 * PostgreSQL shutting down (fast shutdown, the outage test's `pg.stop()`)
 * sends FATAL 57P01 on every connection, an idle one included. A connection
 * that had just been opened can have its ReadyForQuery and that FATAL read in
 * one chunk (a loaded machine): pg hands the new client out on ReadyForQuery,
 * synchronously, and TypeORM attaches its 'error' listener only a microtask
 * later, so the FATAL is an 'error' event with no listener, thrown from the
 * socket's data handler (an uncaught exception). A proxy makes that chunk
 * deterministically: for a new connection it holds the first ReadyForQuery
 * and sends it together with the FATAL, then closes.
 */
jest.setTimeout(60000);

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'ascii');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const FATAL_57P01 = message('E', Buffer.concat([
  ...[['S', 'FATAL'], ['V', 'FATAL'], ['C', '57P01'], ['M', 'terminating connection due to administrator command']]
    .map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8')),
  Buffer.from([0]),
]));

interface Proxy { port: number; cut: boolean; close(): Promise<void> }

/** A TCP proxy to the test server; while `cut`, new connections get ReadyForQuery and FATAL 57P01 in one write. */
async function startProxy(host: string, port: number): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const proxy: Proxy = { port: 0, cut: false, close: async () => undefined };
  const server = net.createServer((client) => {
    const cut = proxy.cut;
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    if (!cut) {
      upstream.pipe(client);
      return;
    }
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Forward whole messages as they come (the authentication needs its round trips) until the first ReadyForQuery.
      let at = 0;
      while (pending.length - at >= 5) {
        const length = pending.readInt32BE(at + 1) + 1;
        if (pending.length - at < length) break;
        if (pending[at] === 'Z'.charCodeAt(0)) {
          client.end(Buffer.concat([pending.subarray(0, at + length), FATAL_57P01]));
          upstream.destroy();
          return;
        }
        at += length;
      }
      if (at > 0) {
        client.write(pending.subarray(0, at));
        pending = pending.subarray(at);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

let proxy: Proxy;
let db: DataSource | undefined;

beforeAll(async () => {
  const target = new URL(process.env.TEST_PG_ADMIN_URL!);
  proxy = await startProxy(target.hostname, Number(target.port || 5432));
});

afterAll(async () => {
  if (db?.isInitialized) await db.destroy().catch(() => undefined);
  await proxy.close();
});

test('a pooled connection terminated right as it is handed out is no uncaught error; the pool recovers', async () => {
  const url = new URL(process.env.TEST_PG_ADMIN_URL!);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  db = createDataSource({ url: url.toString(), poolSize: 4, connectTimeoutMs: 5000, applicationName: 'par-index-unhandled-test' });
  await db.initialize();
  const gate = gatePool(db, { name: 'read', size: 4, requestWaitMs: 5000, backgroundWaitMs: 5000 });

  proxy.cut = true;
  // Four at once: the pool opens new connections, each cut as it becomes ready.
  const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => db!.query('SELECT 1 AS one')));
  const failed = outcomes.filter((o) => o.status === 'rejected');
  expect(failed.length).toBeGreaterThanOrEqual(3);
  expect(gate.stats.inUse).toBe(0);

  proxy.cut = false;
  const rows: { one: number }[] = await db.query('SELECT 1 AS one');
  expect(rows).toEqual([{ one: 1 }]);
  expect(gate.stats.inUse).toBe(0);
});

import http from 'node:http';
import net from 'node:net';
import { addAcceptors, type Acceptors } from '../../src/http/acceptors';
import { startTestService } from '../support/test-service';

/**
 * Issue 11: under a flood, libuv accepted one connection per turn of the
 * busy event loop, and new visitors waited seconds behind a caller's burst
 * of connections. Extra descriptors of the listening socket
 * (src/http/acceptors.ts) accept one each per turn.
 */

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function listening(): Promise<{ server: http.Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = http.createServer((req, res) => { res.setHeader('x-remote', req.socket.remotePort ?? 0); res.end('ok'); });
  server.on('connection', () => { accepted++; });
  return new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () =>
    resolve({ server, port: (server.address() as net.AddressInfo).port, accepted: () => accepted })));
}

/** Opens `n` connections while the loop is blocked (the kernel completes them into the accept queue), then counts what two turns accept. */
async function acceptedInTwoTurns(port: number, accepted: () => number, n: number): Promise<{ count: number; sockets: net.Socket[] }> {
  const sockets = Array.from({ length: n }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  await new Promise((r) => setTimeout(r, 0));
  const before = accepted();
  const until = Date.now() + 300;
  while (Date.now() < until) { /* a busy turn: the handshakes complete meanwhile */ }
  await turn();
  await turn();
  return { count: accepted() - before, sockets };
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('acceptors: more than one connection accepted per turn of a busy loop', () => {
  it('one descriptor accepts one connection per turn; with 8 more, nine per turn', async () => {
    const plain = await listening();
    const one = await acceptedInTwoTurns(plain.port, plain.accepted, 60);
    const many = await listening();
    const acceptors = await addAcceptors(many.server, 8);
    expect(acceptors.count).toBe(8);
    const nine = await acceptedInTwoTurns(many.port, many.accepted, 60);
    // What libuv does (the reason for the module): one per descriptor per turn.
    expect(one.count).toBeLessThanOrEqual(2);
    expect(nine.count).toBeGreaterThanOrEqual(4 * Math.max(1, one.count));
    expect(nine.count).toBeLessThanOrEqual(18);
    for (const s of [...one.sockets, ...nine.sockets]) s.destroy();
    acceptors.close();
    await new Promise((r) => plain.server.close(r));
    many.server.closeAllConnections();
    await new Promise((r) => many.server.close(r));
  });

  it('connections an acceptor takes are the server\'s: answered by its handler, tracked, and closed with it', async () => {
    const { server, port } = await listening();
    const acceptors: Acceptors = await addAcceptors(server, 4);
    const answers = await Promise.all(Array.from({ length: 40 }, () => get(port)));
    expect(answers.every((a) => a.status === 200 && a.body === 'ok')).toBe(true);
    // Kept-alive connections of either descriptor are the server's to close.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    await Promise.all(Array.from({ length: 20 }, () => new Promise<void>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => { res.resume(); res.on('end', () => resolve()); }).on('error', reject))));
    const closed = new Promise((r) => server.close(r));
    acceptors.close();
    server.closeAllConnections();
    await closed;
    agent.destroy();
    // Nothing accepts any more: neither the server's descriptor nor the acceptors'.
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a descriptor count of 0 adds none', async () => {
    const { server } = await listening();
    expect((await addAcceptors(server, 0)).count).toBe(0);
    await new Promise((r) => server.close(r));
  });

  it('the service listens with its acceptors, answers over them and stops cleanly', async () => {
    const svc = await startTestService({ httpAcceptors: 4 });
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => svc.gql('{ __typename }', {}, null)));
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      expect(answers.every((a) => a.data?.__typename === 'Query')).toBe(true);
    } finally {
      await svc.stop();
    }
    await expect(fetch(svc.url, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});

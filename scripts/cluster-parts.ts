import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './replicated-postgres';

/**
 * The parts of a local cluster above the database: service instances as
 * child processes, and a round-robin HTTP proxy in front of them (for
 * `npm run cluster` and bench:cluster).
 */
const ROOT = path.resolve(__dirname, '..');

export interface Instance {
  name: string;
  port: number;
  process: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/**
 * One service instance (src/main.ts through ts-node, or dist/src/main.js
 * with `dist`), in a process group of its own so that a terminal's Ctrl-C
 * reaches the cluster script only, which then stops everything in order.
 * Resolves once its /readyz answers 200.
 */
export async function startInstance(name: string, env: Record<string, string>, options: { dist?: boolean; log?: (line: string) => void; readyWithinMs?: number } = {}): Promise<Instance> {
  const port = await freePort(0);
  const args = options.dist
    ? ['--max-semi-space-size=32', path.join(ROOT, 'dist/src/main.js')]
    : ['--max-semi-space-size=32', '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = options.log ?? (() => undefined);
  let tail = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = '';
    stream.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        tail = `${tail}\n${line}`.slice(-4000);
        log(`[${name}] ${line}`);
      }
    });
  }
  const instance: Instance = {
    name, port, process: child, exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(killer);
    },
  };
  const until = Date.now() + (options.readyWithinMs ?? 180000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:${tail}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.on('timeout', () => { req.destroy(); resolve(false); });
    });
    if (ok) return instance;
    if (Date.now() > until) {
      await instance.stop();
      throw new Error(`${name} was not ready in time:${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A round-robin reverse proxy on `port` to the instances' ports: each
 * request to the next instance (a refused connection tries the next one),
 * WebSocket upgrades (subscriptions at /graphql) piped through whole.
 * What a load balancer does in production, small enough for a demo.
 */
export function startProxy(port: number, host: string, targets: () => number[]): Promise<http.Server> {
  let next = 0;
  const pick = (): number | undefined => {
    const ports = targets();
    if (ports.length === 0) return undefined;
    next = (next + 1) % ports.length;
    return ports[next];
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const forward = (attempt: number) => {
      const target = pick();
      if (target === undefined) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"message":"no instance is running","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}');
        return;
      }
      const upstream = http.request({
        host: '127.0.0.1', port: target, method: req.method, path: req.url, agent,
        headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (e: NodeJS.ErrnoException) => {
        // Refused before anything was sent: the instance is gone, the next one answers (GET, or a body not yet read).
        if (e.code === 'ECONNREFUSED' && attempt < targets().length && !req.readableDidRead) return forward(attempt + 1);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"errors":[{"message":"the instance failed","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}');
      });
      req.pipe(upstream);
    };
    forward(0);
  });
  server.on('upgrade', (req, socket, head) => {
    const target = pick();
    if (target === undefined) return socket.destroy();
    const upstream = net.connect(target, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

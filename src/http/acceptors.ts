import { spawn } from 'node:child_process';
import net from 'node:net';

/**
 * More than one connection accepted per turn of the event loop.
 *
 * libuv (Node 20) accepts one connection per listening file descriptor per
 * turn of the loop. While the loop is busy (a flood of requests, both
 * cores saturated) a turn lasts 100 ms or more, so the service accepted
 * under ten connections a second: a caller that opened 200 connections at
 * once (bench:abuse's floods) filled the kernel's accept queue, and every
 * new visitor of the portal waited behind them, 5 to 25 s, although the
 * requests on connections already open were answered in milliseconds.
 *
 * Each acceptor is the same listening socket under another descriptor:
 * libuv watches every descriptor, so a turn accepts up to `count` + 1
 * connections, and a burst of connections drains in a few turns. The
 * accepted sockets go to the HTTP server as its own would
 * (`server.emit('connection')`), through the same handlers, timeouts and
 * connection tracking (closeIdleConnections, closeAllConnections).
 *
 * Node 20 has no dup() and no SO_REUSEPORT (`reusePort` came in 22.12), so
 * the descriptors are made by sending the listening handle to a short-lived
 * child process, which sends it straight back: each passage over the IPC
 * channel (SCM_RIGHTS) gives a new descriptor. The handle travels raw
 * (a TCP handle, not a net.Server): the child never listens on it, so it
 * accepts nothing; it closes its copies and exits.
 */
export interface Acceptors {
  /** How many extra descriptors accept for the server. */
  readonly count: number;
  /** Stops them accepting (the server's own descriptor is closed by server.close()). */
  close(): void;
}

/** The child: every handle received goes back at once, then its copy is closed. */
const ECHO = "process.on('message', (m, h) => process.send(m, h, () => h && h.close()));"
  + "process.on('disconnect', () => process.exit(0));";

/** How long making the descriptors may take before the server goes on with its own only. */
const TIMEOUT_MS = 10_000;

export async function addAcceptors(server: net.Server, count: number): Promise<Acceptors> {
  const handle = (server as unknown as { _handle?: object | null })._handle;
  if (count <= 0 || !handle) return { count: 0, close() {} };
  const handles = await duplicated(handle, count);
  const acceptors = handles.map((h) => {
    const acceptor = new net.Server();
    acceptor.on('connection', (socket: net.Socket) => server.emit('connection', socket));
    // A failure to accept (EMFILE) is the acceptor's own: the server's descriptor goes on.
    acceptor.on('error', () => acceptor.close());
    acceptor.listen(h);
    return acceptor;
  });
  const close = () => { for (const a of acceptors) if (a.listening) a.close(); };
  // The server stopping (server.close()) stops them too.
  server.once('close', close);
  return { count: acceptors.length, close };
}

/** `count` new descriptors of the listening socket `handle`, by way of a child process's IPC channel. */
function duplicated(handle: object, count: number): Promise<object[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: {} });
    const got: object[] = [];
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.removeAllListeners('message');
      if (child.connected) child.disconnect();
      if (error) {
        for (const h of got) (h as { close?: () => void }).close?.();
        reject(error);
      } else {
        resolve(got);
      }
    };
    const timer = setTimeout(() => { child.kill('SIGKILL'); done(new Error(`the listening socket was not duplicated within ${TIMEOUT_MS} ms`)); }, TIMEOUT_MS);
    child.on('error', (e) => done(e));
    child.on('exit', (code) => { if (got.length < count) done(new Error(`the child duplicating the listening socket exited (${code}) after ${got.length} of ${count}`)); });
    child.on('message', (_m, h) => {
      if (h) got.push(h);
      if (got.length === count) done();
    });
    for (let i = 0; i < count; i++) child.send(i, handle as net.Server);
  });
}

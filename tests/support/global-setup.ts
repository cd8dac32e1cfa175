import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/config/logger';
import { EmbeddedPostgres } from '../../src/db/embedded-postgres';

/**
 * DATABASE_URL set: integration tests make their databases on that server.
 * Unset: an embedded PostgreSQL is started for the run. Either way workers
 * get the server-level URL in TEST_PG_ADMIN_URL.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/postgres';
    process.env.TEST_PG_ADMIN_URL = url.toString();
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-test-pg-'));
  const pg = new EmbeddedPostgres({ dataDir, logger: createLogger('warn'), port: 55432 });
  await pg.start();
  process.env.TEST_PG_ADMIN_URL = pg.adminUrl;
  (globalThis as { __embeddedPg?: { pg: EmbeddedPostgres; dataDir: string } }).__embeddedPg = { pg, dataDir };
}

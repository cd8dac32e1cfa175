import fs from 'node:fs';
import { Client } from 'pg';
import type { EmbeddedPostgres } from '../../src/db/embedded-postgres';

/**
 * Stops the embedded PostgreSQL. A connection a test left open would be cut by
 * the shutdown and crash jest with an unhandled 'error' after every suite
 * passed; name such connections first so that the leaking test can be found.
 */
export default async function globalTeardown(): Promise<void> {
  const held = (globalThis as { __embeddedPg?: { pg: EmbeddedPostgres; dataDir: string } }).__embeddedPg;
  if (!held) return;
  await reportLeftoverConnections(held.pg.adminUrl);
  // Such a connection, if its client has no 'error' listener, would throw when the shutdown cuts it (57P01,
  // "terminating connection due to administrator command") and fail a run whose every test passed. Named above;
  // its cut is expected here and nothing else is swallowed.
  const cutByShutdown = (e: unknown) => {
    const err = (e as { code?: string; context?: unknown })?.code === 'ERR_UNHANDLED_ERROR' ? (e as { context?: unknown }).context : e;
    const { code, message } = (err ?? {}) as { code?: string; message?: string };
    if (code === '57P01' || message === 'Connection terminated unexpectedly') return;
    throw e;
  };
  process.on('uncaughtException', cutByShutdown);
  await held.pg.stop();
  fs.rmSync(held.dataDir, { recursive: true, force: true });
}

async function reportLeftoverConnections(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query(
      `SELECT datname, application_name, state, left(query, 120) AS query FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
    if (rows.length > 0) console.warn('connections left open by the tests:\n' + rows.map((r) => JSON.stringify(r)).join('\n'));
  } catch {
    // the report is a help, never a failure
  } finally {
    await client.end().catch(() => undefined);
  }
}

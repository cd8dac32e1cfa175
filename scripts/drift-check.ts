import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../src/config/logger';
import { createDataSource } from '../src/db/data-source';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';

/**
 * The migration drift check: builds a scratch database with the real
 * migrations, then asks TypeORM what it would change to match the entities
 * (what `migration:generate --check` does). Any pending change fails.
 * Uses DATABASE_URL's server if set, else an embedded PostgreSQL.
 */
async function main(): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/postgres';
    serverUrl = u.toString();
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-drift-'));
    embedded = new EmbeddedPostgres({ dataDir, logger: createLogger('warn'), port: 56432 });
    await embedded.start();
    serverUrl = embedded.adminUrl;
  }
  const name = `par_drift_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const ds = createDataSource({ url: url.toString() });
  let pending: string[] = [];
  try {
    await ds.initialize();
    await ds.runMigrations();
    const sql = await ds.driver.createSchemaBuilder().log();
    pending = sql.upQueries.map((q) => q.query);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await embedded?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (pending.length > 0) {
    console.error(`drift: the entities differ from the migrations; a new migration would run:\n${pending.join(';\n')}`);
    process.exit(1);
  }
  console.log('drift check: entities and migrations agree');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

import 'reflect-metadata';
import { createDataSource } from '../src/db/data-source';
import { withScratchDatabase } from '../src/db/scratch-database';

/**
 * The migration drift check: builds a scratch database with the real
 * migrations, then asks TypeORM what it would change to match the entities
 * (what `migration:generate --check` does). Any pending change fails.
 * Uses DATABASE_URL's server if set, else an embedded PostgreSQL.
 */
async function main(): Promise<void> {
  const pending = await withScratchDatabase('par_drift', async ({ url }) => {
    const ds = createDataSource({ url });
    try {
      await ds.initialize();
      await ds.runMigrations();
      const sql = await ds.driver.createSchemaBuilder().log();
      return sql.upQueries.map((q) => q.query);
    } finally {
      if (ds.isInitialized) await ds.destroy();
    }
  });
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

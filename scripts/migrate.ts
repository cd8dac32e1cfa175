import { createDataSource } from '../src/db/data-source';

/** Runs pending migrations against DATABASE_URL (used by the drift check in CI). */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const ds = createDataSource({ url });
  await ds.initialize();
  const ran = await ds.runMigrations();
  console.log(`migrations applied: ${ran.map((m) => m.name).join(', ') || 'none'}`);
  await ds.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

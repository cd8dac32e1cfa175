import fs from 'node:fs';
import type { EmbeddedPostgres } from '../../src/db/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const held = (globalThis as { __embeddedPg?: { pg: EmbeddedPostgres; dataDir: string } }).__embeddedPg;
  if (!held) return;
  await held.pg.stop();
  fs.rmSync(held.dataDir, { recursive: true, force: true });
}

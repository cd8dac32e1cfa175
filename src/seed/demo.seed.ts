import type { DataSource } from 'typeorm';
import type { Logger } from '../config/logger';
import type { Services } from '../services';

/** Seeds the demo province into an empty database (no unit yet). */
export async function seedDemoIfEmpty(db: DataSource, services: Services, logger: Logger): Promise<void> {
  const [{ count }] = await db.query('SELECT count(*)::int AS count FROM unit');
  if (count > 0) return;
  void services;
  logger.info('demo seed not written yet');
}

import type { EntityManager } from 'typeorm';

/** The PostgreSQL channel a results write notifies on (delivered on commit, to every instance listening: src/live/hub.ts). */
export const RESULTS_CHANNEL = 'par_results_changed';

/**
 * The one hook of the results writes (results.service.ts, unit-update.ts)
 * for resultsChanged: inside the writing transaction, the units whose
 * results it changed are notified on RESULTS_CHANNEL; PostgreSQL delivers
 * the notification on commit only (a rolled-back write tells nobody).
 * Payloads stay under PostgreSQL's 8000 bytes: large changes go in several.
 */
export async function notifyResultsChanged(tx: EntityManager, cycleId: number, unitIds: number[]): Promise<void> {
  if (unitIds.length === 0) return;
  const chunks: string[] = [];
  for (let i = 0; i < unitIds.length; i += 800) chunks.push(`${cycleId}:${unitIds.slice(i, i + 800).join(',')}`);
  await tx.query(`SELECT pg_notify('${RESULTS_CHANNEL}', p) FROM unnest($1::text[]) p`, [chunks]);
}

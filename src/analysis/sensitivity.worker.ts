import { parentPort } from 'node:worker_threads';
import { runSensitivity, type SensitivityJob } from './sensitivity-kernel';

/*
 * The worker thread of the sensitivity draws (analysis-worker.ts starts
 * it): one job at a time, its answer's arrays transferred back, not copied.
 */
parentPort!.on('message', ({ id, job }: { id: number; job: SensitivityJob }) => {
  try {
    const outcome = runSensitivity(job);
    parentPort!.postMessage({ id, outcome }, [
      outcome.medianRank.buffer, outcome.rankLow.buffer, outcome.rankHigh.buffer, outcome.bandDraws.buffer,
    ] as ArrayBuffer[]);
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});

import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SensitivityJob, SensitivityOutcome } from './sensitivity-kernel';

/**
 * One worker thread for the sensitivity draws, started on first use and
 * kept: the event loop keeps serving requests while a job runs. Jobs run one
 * after the other (the machine's cores are shared with PostgreSQL and the
 * requests); a job's input arrays are transferred to the worker, not copied.
 * A worker that dies fails the jobs it held and is started again for the
 * next one. Under ts-node or jest (this file is TypeScript) the worker loads
 * its TypeScript through ts-node; built, it runs the compiled file.
 */
export class AnalysisWorker {
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, { worker: Worker; resolve: (o: SensitivityOutcome) => void; reject: (e: Error) => void }>();

  run(job: SensitivityJob): Promise<SensitivityOutcome> {
    const worker = this.worker ?? this.start();
    const id = this.next++;
    return new Promise<SensitivityOutcome>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.ref();
      const buffers = [job.expertEarned, job.expertMax, job.surveyEarned, job.surveyMax, job.adjustment].map((a) => a.buffer as ArrayBuffer);
      worker.postMessage({ id, job }, buffers);
    });
  }

  /** Stops the worker (shutdown); jobs in flight fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const typescript = extname(__filename) === '.ts';
    const worker = new Worker(join(__dirname, `sensitivity.worker${extname(__filename)}`), {
      execArgv: typescript ? ['--require', 'ts-node/register/transpile-only'] : [],
    });
    worker.on('message', (m: { id: number; outcome?: SensitivityOutcome; error?: string }) => {
      const job = this.pending.get(m.id);
      if (!job) return;
      this.pending.delete(m.id);
      if (![...this.pending.values()].some((p) => p.worker === worker)) worker.unref();
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.outcome!);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const [id, job] of this.pending) {
        if (job.worker !== worker) continue;
        this.pending.delete(id);
        job.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the analysis worker stopped (exit code ${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

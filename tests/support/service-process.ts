import 'reflect-metadata';
import { startService } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/config/logger';

/**
 * The service in a process of its own, configured by its environment (as
 * main.ts is), for tests that must kill an instance (SIGKILL): it prints
 * `{"url": ...}` on one line once it listens, then runs until killed.
 */
async function run(): Promise<void> {
  const config = loadConfig(process.env);
  const service = await startService(config, createLogger(config.logLevel));
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
}

run().catch((e) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});

import 'reflect-metadata';
import { startService } from './bootstrap';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './config/logger';

/** Boot only: config → database → schema → HTTP, and an ordered shutdown on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger);
  if (service.generatedAdminToken) {
    process.stdout.write(
      `\nFirst start: an ADMIN token was generated. It is shown only this once; keep it:\n\n  ${service.generatedAdminToken}\n\n`,
    );
  }
  process.stdout.write(`PAR INDEX GraphQL service listening on ${service.url}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    service.stop().then(
      () => process.exit(0),
      (e) => {
        logger.error('shutdown failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`failed to start: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});

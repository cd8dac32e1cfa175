import { spawnSync } from 'node:child_process';

/**
 * Imported first by a benchmark: reruns it in a child process set up as
 * the service runs in production, before graphql-js and the service load:
 * NODE_ENV=production (unless NODE_ENV is set; graphql-js then skips its
 * development-mode checks on every type test) and the V8 flags of
 * `npm start` (a larger young generation). The baseline runs in the same
 * process, so both sides share the settings.
 */
export const DEPLOYED_NODE_FLAGS = ['--max-semi-space-size=32'];

if (!process.env.BENCH_AS_DEPLOYED) {
  const script = process.argv[1];
  const result = spawnSync(process.execPath, [
    ...DEPLOYED_NODE_FLAGS, ...process.execArgv, '-r', require.resolve('ts-node/register/transpile-only'), script, ...process.argv.slice(2),
  ], { stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production', BENCH_AS_DEPLOYED: '1' } });
  process.exit(result.status ?? 1);
}

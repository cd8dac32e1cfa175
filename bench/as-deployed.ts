import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileProject, NODE_PATH, ROOT } from './compiled';

/**
 * Imported first by a benchmark: reruns it in a child process set up as
 * the service runs in production, before graphql-js and the service load:
 * the project compiled by tsc and run by plain node (`compileProject`: no
 * ts-node, whose `repl` import loads `domain` and slows every
 * EventEmitter), NODE_ENV=production (unless NODE_ENV is set; graphql-js
 * then skips its development-mode checks on every type test) and the V8
 * flags of `npm start` (a larger young generation). The baseline runs in
 * the same process, so both sides share the settings. BENCH_TS_NODE=1
 * reruns it under ts-node instead (no compilation).
 */
export const DEPLOYED_NODE_FLAGS = ['--max-semi-space-size=32'];

if (!process.env.BENCH_AS_DEPLOYED) {
  const script = process.argv[1];
  const env = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production', BENCH_AS_DEPLOYED: '1', BENCH_ROOT: ROOT };
  let result;
  if (process.env.BENCH_TS_NODE || !script.endsWith('.ts')) {
    result = spawnSync(process.execPath, [
      ...DEPLOYED_NODE_FLAGS, ...process.execArgv, '-r', require.resolve('ts-node/register/transpile-only'), script, ...process.argv.slice(2),
    ], { stdio: 'inherit', env });
  } else {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'par-bench-'));
    try {
      process.stdout.write('compiling the project (tsc) to run the benchmark as deployed…\n');
      const compiled = path.join(compileProject(workDir), path.relative(ROOT, path.resolve(script)).replace(/\.ts$/, '.js'));
      result = spawnSync(process.execPath, [...DEPLOYED_NODE_FLAGS, compiled, ...process.argv.slice(2)], {
        cwd: ROOT, stdio: 'inherit', env: { ...env, NODE_PATH, BENCH_COMPILED: '1' },
      });
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
  process.exit(result.status ?? 1);
}

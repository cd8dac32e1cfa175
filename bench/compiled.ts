import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The project's root, also when this runs compiled from a directory of its own (bench/as-deployed.ts). */
export const ROOT = process.env.BENCH_ROOT ?? path.resolve(__dirname, '..');

/** How a compiled script finds the project's packages from outside the project. */
export const NODE_PATH = path.join(ROOT, 'node_modules');

/**
 * The project compiled as `npm start` runs it (tsc with tsconfig.build.json:
 * src, migrations, scripts, bench), into `workDir`/build so that the shared
 * dist/ is left alone; returns that directory. Plain node on it has none of
 * ts-node's costs: its source-map support makes every Error's stack costly,
 * and it loads Node's `repl`, hence `domain`, which wraps every
 * EventEmitter's construction and `emit` for the whole process.
 */
export function compileProject(workDir: string): string {
  const outDir = path.join(workDir, 'build');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false'],
    { cwd: ROOT, encoding: 'utf8' });
  if (!fs.existsSync(path.join(outDir, 'src', 'main.js'))) throw new Error(`compiling the project failed:\n${tsc.stdout}${tsc.stderr}`);
  return outDir;
}

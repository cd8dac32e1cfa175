#!/usr/bin/env node
// `npx par-index …` (src/cli/par-index.ts): the compiled CLI when `npm run build` has made it, else the TypeScript through ts-node.
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'src', 'cli', 'par-index.js');
if (existsSync(compiled)) {
  require(compiled).main(process.argv);
} else {
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  require(path.join(root, 'src', 'cli', 'par-index.ts')).main(process.argv);
}

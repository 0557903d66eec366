#!/usr/bin/env node
// The `discover` command: the built CLI. The published package ships dist/; in a fresh clone,
// `npm ci` leaves no dist/ (there is no install script, which every install would have to run
// or warn about), so the first run builds it, and `npm ci && npx discover` works.
// CommonJS, as is the entry it runs (dist/entry/discover.cjs): the build's answers and the CLI
// bundle start without Node's ES module loader (docs/performance.md).
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const main = path.join(root, 'dist', 'entry', 'discover.cjs');
if (!existsSync(main)) {
  const build = path.join(root, 'scripts', 'build.mjs');
  if (existsSync(build)) {
    process.stderr.write('discover: first run in this checkout: building dist/ (npm run build)\n');
    const built = require('node:child_process').spawnSync(process.execPath, [build], { cwd: root, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
}
require(main);

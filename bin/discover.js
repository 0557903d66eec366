#!/usr/bin/env node
// The `discover` command: the built CLI. The published package ships dist/; in a fresh clone,
// `npm ci` leaves no dist/ (there is no install script, which every install would have to run
// or warn about), so the first run builds it, and `npm ci && npx discover` works.
// child_process is imported only for that first build: loading it took ~8 ms of every start.
import { existsSync } from 'node:fs';

const main = new URL('../dist/entry/discover.js', import.meta.url);
if (!existsSync(main)) {
  const build = new URL('../scripts/build.mjs', import.meta.url);
  if (existsSync(build)) {
    process.stderr.write('discover: first run in this checkout: building dist/ (npm run build)\n');
    const { spawnSync } = await import('node:child_process');
    const built = spawnSync(process.execPath, [build.pathname], { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
}
await import(main.href);

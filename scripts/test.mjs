// `npm test`: type-check, lint, then ava; ends with the line "N passed, N failed, N skipped".
// ava's own summary omits the passed count when anything fails, so count from its TAP output.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

// Packages' bin files are not always in their "exports" (nor is package.json); use the install path.
const binOf = (name, file) => path.join(import.meta.dirname, '..', 'node_modules', name, file);
const step = (name, cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${name} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
};
step('type-check', process.execPath, [binOf('typescript', 'bin/tsc'), '-p', '.', '--noEmit']);
step('lint', process.execPath, [binOf('@biomejs/biome', 'bin/biome'), 'check', '.']);
// CLI tests run the built dist/ as a real process, so build what is being tested.
step('build', process.execPath, ['scripts/build.mjs']);
// The simulator's CA must exist before test processes start: they read NODE_EXTRA_CA_CERTS=.sim/ca.pem at start.
step('sim CA', process.execPath, ['--import', 'tsx', 'scripts/sim-ca.ts']);

const avaBin = binOf('ava', 'entrypoints/cli.mjs');
const child = spawn(process.execPath, [avaBin, '--tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0;
let failed = 0;
let skipped = 0;
let buffer = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk;
  let nl = buffer.indexOf('\n');
  while (nl >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (/^ok \d+/.test(line)) {
      if (/# (SKIP|TODO)/.test(line)) skipped++;
      else passed++;
    } else if (/^not ok \d+/.test(line)) {
      if (/# TODO/.test(line)) skipped++;
      else failed++;
    }
    nl = buffer.indexOf('\n');
  }
});
child.on('close', (code) => {
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? 1);
});

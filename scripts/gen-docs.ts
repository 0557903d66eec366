// `npm run docs`: writes every generated file (docs/providers/*.md, the README's provider table,
// docs/sim.md's tables, fixtures/fleets/demo.yaml); `--check` exits 1 on drift instead.
import { readFileSync, writeFileSync } from 'node:fs';
import '../entry/compose.js';
import { generatedFiles } from './docs-lib.js';

const check = process.argv.includes('--check');
let drift = 0;
for (const [file, wanted] of await generatedFiles()) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current === wanted) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run docs`);
    drift++;
  } else {
    writeFileSync(file, wanted);
    console.log(`wrote ${file}`);
  }
}
process.exitCode = drift ? 1 : 0;

// Writes docs/providers/<name>.md from the descriptors (`npm run docs`); `--check` exits 1 on drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { providerMarkdown } from '../src/help.js';
import { ProviderRegistry } from '../src/registry.js';

const check = process.argv.includes('--check');
const registry = new ProviderRegistry();
let drift = 0;
for (const provider of await registry.loadAll()) {
  const file = `docs/providers/${provider.name}.md`;
  const wanted = providerMarkdown(provider);
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

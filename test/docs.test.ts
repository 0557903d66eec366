import { readFileSync, readdirSync } from 'node:fs';
import test from 'ava';
import { ProviderRegistry } from '../src/registry.js';
import { generatedFiles } from '../scripts/docs-lib.js';

const registry = new ProviderRegistry();
const providers = await registry.loadAll();
const generated = await generatedFiles();

for (const [file, wanted] of generated) {
  test(`${file} matches what the descriptors and simulator modules generate`, (t) => {
    t.is(readFileSync(file, 'utf8'), wanted, 'run `npm run docs` and commit the result');
  });
}

test('every generated provider doc belongs to a registered provider', (t) => {
  const names = new Set(providers.map((p) => p.name));
  const stale = readdirSync('docs/providers').filter((f) => f.endsWith('.md') && !names.has(f.slice(0, -3)));
  t.deepEqual(stale, []);
});

test('every argument has help text and every provider a summary', (t) => {
  for (const provider of providers) {
    t.true(provider.summary.length > 10, provider.name);
    for (const [key, spec] of Object.entries(provider.args)) t.true(spec.help.length > 5, `${provider.name}.${key}`);
  }
});

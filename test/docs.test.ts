import { readFileSync, readdirSync } from 'node:fs';
import test from 'ava';
import { providerMarkdown } from '../src/help.js';
import { ProviderRegistry } from '../src/registry.js';

const registry = new ProviderRegistry();
const providers = await registry.loadAll();

for (const provider of providers) {
  test(`docs/providers/${provider.name}.md matches the descriptor`, (t) => {
    const committed = readFileSync(`docs/providers/${provider.name}.md`, 'utf8');
    t.is(committed, providerMarkdown(provider), 'run `npm run docs` and commit the result');
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

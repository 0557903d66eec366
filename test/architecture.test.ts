// The house's promise: the core (src/) names no cloud and imports no provider; each provider is its
// own folder. These tests read the source, so a change that breaks the promise fails here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { builtinSimModules } from '../src/builtins.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Code without comments, so a doc comment may mention a cloud by way of example. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const core = sources('src');

test('no file under src/ imports from providers/', (t) => {
  const offenders = core.filter((file) => /from\s+['"][^'"]*providers\/|import\(\s*['"][^'"]*providers\//.test(code(file)));
  t.deepEqual(offenders, []);
});

test("no file under src/ names a cloud's own fleet field or credential field", async (t) => {
  // The providers' modules: the engine's own (client introduction) lives in src/ by design.
  const modules = (await builtinSimModules()).filter((m) => m.provider !== 'intro');
  const fields = new Set<string>();
  for (const m of modules) {
    for (const name of Object.keys(m.fleet?.instanceFields ?? {})) fields.add(name);
    for (const name of Object.keys(m.fleet?.blocks ?? {})) fields.add(name);
    for (const name of Object.keys(m.fleet?.credentials ?? {})) if (name.includes('_')) fields.add(name);
  }
  t.true(fields.size > 5, 'the built-in modules declare their fields');
  const offenders: string[] = [];
  // Client introduction speaks Nomad's claims (node_name, node_pool): the engine's own vocabulary.
  for (const file of core.filter((f) => !f.includes(`${path.sep}intro`))) {
    const text = code(file);
    // As a property (`.ecs`, `ecs:`, `ecs?:`) or a string (`'ecs'`): a local variable named `labels` is no field.
    for (const field of fields)
      if (new RegExp(`(?:\\.|['"\`])${field}\\b|(?:^\\s*|[{,]\\s*)${field}\\??:`, 'm').test(text)) offenders.push(`${file}: ${field}`);
  }
  t.deepEqual(offenders, []);
});

test('the simulator core and the HTTP stack name no built-in provider', async (t) => {
  const modules = await builtinSimModules();
  const names = modules.map((m) => m.provider);
  const offenders: string[] = [];
  for (const file of [...sources('src/sim'), ...sources('src/http')]) {
    const text = code(file);
    for (const name of names) if (new RegExp(`['"\`]${name}['"\`-]`).test(text)) offenders.push(`${file}: ${name}`);
  }
  t.deepEqual(offenders, []);
});

test('a built-in provider imports the engine only through the public kit (src/kit), as a plugin would', (t) => {
  const offenders: string[] = [];
  // providers/index.ts is the composition file, not a provider.
  for (const file of sources('providers').filter((f) => !f.endsWith('.test.ts') && f !== path.join('providers', 'index.ts'))) {
    for (const [, spec] of code(file).matchAll(/(?:from\s+|import\(\s*)['"](\.\.?\/[^'"]*\bsrc\/[^'"]+)['"]/g)) {
      if (!spec?.endsWith('/src/kit/index.js')) offenders.push(`${file}: ${spec}`);
    }
  }
  t.deepEqual(offenders, []);
});

// Compile src/ and providers/ to dist/ and make the CLI executable.
// Runs from `npm ci` (prepare), so `npx discover` works right after install. Type errors are
// `npm test`'s gate (its type-check step); here tsc still emits, and we say so loudly.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';

// Packages' bin files are not always in their "exports" (nor is package.json); use the install path.
const binOf = (name, file) => path.join(import.meta.dirname, '..', 'node_modules', name, file);
rmSync('dist', { recursive: true, force: true });
const result = spawnSync(process.execPath, [binOf('typescript', 'bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (!existsSync('dist/src/cli/main.js')) {
  console.error('build failed: dist/src/cli/main.js was not emitted');
  process.exit(1);
}
if (result.status !== 0) console.error('build: tsc reported type errors (emitted anyway; `npm run typecheck` shows them)');
chmodSync('dist/src/cli/main.js', 0o755);

// `discover help` / `providers` read the built-in providers' help from this file, generated from the
// same descriptors, so they start without loading any provider module (test/cli.test.ts checks it
// matches what the descriptors give).
const cache = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { writeFileSync } from 'node:fs';
     import { fullHelp, providerHelp } from './dist/src/help.js';
     import { ProviderRegistry } from './dist/src/registry.js';
     const providers = await new ProviderRegistry().loadAll();
     writeFileSync('dist/builtin-help.json', JSON.stringify({
       full: fullHelp(providers),
       providers: providers.map((p) => ({ name: p.name, summary: p.summary, help: providerHelp(p) })),
     }));`,
  ],
  { stdio: 'inherit' },
);
if (cache.status !== 0) {
  console.error('build failed: could not write dist/builtin-help.json');
  process.exit(1);
}

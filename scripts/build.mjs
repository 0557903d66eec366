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

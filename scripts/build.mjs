// Compile src/ and providers/ to dist/ and make the CLI executable.
// Runs from `npm pack` (prepack), `npm test`, `npm run demo`, and bin/discover.cjs on the first run
// in a fresh clone (there is no install script), possibly while discover processes run from dist/: so the build goes to a fresh folder that replaces dist/ by rename, and dist/
// never stands half-built or missing for more than the instant between two renames.
// Type errors are `npm test`'s gate (its type-check step); here tsc still emits, and says so.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { bundleProviders, commonJsTwins } from './bundle-providers.mjs';

// npm runs prepack not only for `npm pack` / `npm publish` but also when `npx discover` installs this
// checkout into its cache: rebuilding then would swap dist/ under running processes (and tests) for
// nothing, since bin/discover.cjs builds when dist/ is missing.
if (process.env.npm_lifecycle_event === 'prepack' && !['pack', 'publish'].includes(process.env.npm_command ?? '') && existsSync('dist/src/cli/main.js')) {
  process.exit(0);
}

// Packages' bin files are not always in their "exports" (nor is package.json); use the install path.
const binOf = (name, file) => path.join(import.meta.dirname, '..', 'node_modules', name, file);
const out = `dist.build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
const result = spawnSync(process.execPath, [binOf('typescript', 'bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { stdio: 'inherit' });
if (!existsSync(`${out}/entry/discover.js`)) {
  rmSync(out, { recursive: true, force: true });
  console.error('build failed: entry/discover.js was not emitted');
  process.exit(1);
}
if (result.status !== 0) console.error('build: tsc reported type errors (emitted anyway; `npm run typecheck` shows them)');
chmodSync(`${out}/entry/discover.js`, 0o755);

// Each built-in provider's code path bundled, SDK tree-shaken, for the CLI's fast path
// (src/load-bundle.ts; docs/performance.md).
try {
  await bundleProviders(out);
  await commonJsTwins(out);
} catch (error) {
  rmSync(out, { recursive: true, force: true });
  console.error(`build failed: bundling the providers: ${error.message}`);
  process.exit(1);
}

// `discover help` / `providers` read the built-in providers' help from this file, generated from the
// same descriptors, so they start without loading any provider module (test/cli.test.ts checks it
// matches what the descriptors give).
const cache = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { writeFileSync } from 'node:fs';
     import { fullHelp, providerHelp } from './${out}/src/help.js';
     import './${out}/entry/compose.js';
     import { ProviderRegistry } from './${out}/src/registry.js';
     const providers = await new ProviderRegistry().loadAll();
     writeFileSync('${out}/builtin-help.json', JSON.stringify({
       full: fullHelp(providers),
       providers: providers.map((p) => ({ name: p.name, summary: p.summary, help: providerHelp(p) })),
     }));`,
  ],
  // The staging folder's bundles leave no V8 code cache behind: it would name files that are gone.
  { stdio: 'inherit', env: { ...process.env, AUTOJOIN_CODE_CACHE: '0' } },
);
if (cache.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  console.error('build failed: could not write builtin-help.json');
  process.exit(1);
}

// The CLI's answers that depend on nothing but the build (help, version, the provider list), as
// `runCli` itself prints them: entry/discover.ts prints one of these for exactly that argv without
// loading the CLI (bench/cold-start). Only answers that exit 0 with nothing on stderr are kept.
const answers = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { readFileSync, writeFileSync } from 'node:fs';
     import './${out}/entry/compose.js';
     import { runCli } from './${out}/src/cli/run.js';
     const names = JSON.parse(readFileSync('${out}/builtin-help.json', 'utf8')).providers.map((p) => p.name);
     const argvs = [[], ['help'], ['-h'], ['--help'], ['-help'], ['help', 'all'], ...names.map((name) => ['help', name]),
       ['version'], ['--version'], ['-version'], ['providers'], ['--format', 'json', 'providers'], ['providers', '--format', 'json']];
     const answers = {};
     for (const argv of argvs) {
       let stdout = '';
       let stderr = '';
       const io = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env: {}, signal: new AbortController().signal, isTTY: false, cwd: process.cwd() };
       if ((await runCli(argv, io)) === 0 && stderr === '') answers[argv.join('\\0')] = stdout;
     }
     writeFileSync('${out}/cli-answers.json', JSON.stringify(answers));`,
  ],
  { stdio: 'inherit', env: { ...process.env, AUTOJOIN_CODE_CACHE: '0' } },
);
if (answers.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  console.error('build failed: could not write cli-answers.json');
  process.exit(1);
}

const old = `dist.old-${process.pid}`;
if (existsSync('dist')) renameSync('dist', old);
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });

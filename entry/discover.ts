#!/usr/bin/env node
// The `discover` command: the CLI with the built-in providers. Most commands run from the build's
// CLI bundle (one script and a V8 code cache instead of some forty modules: docs/performance.md);
// `join`, `sim`, `intro`, plugins, a build without the bundle and AUTOJOIN_BUNDLES=0 load the
// modules themselves. Both paths are the same code (src/cli/run.ts).
import { loadCliBundle } from '../src/load-bundle.js';

/** Long-running commands, and those that load modules from outside the build (plugins, their simulators). */
const MODULE_COMMANDS = new Set(['join', 'sim', 'intro']);

function fromBundle(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env.DISCOVER_PLUGINS) return false;
  // A word anywhere (a flag's value, a config value) only sends the run down the other path.
  return !argv.some((arg) => MODULE_COMMANDS.has(arg) || /^--?plugin(=|$)/.test(arg));
}

const bundle = fromBundle(process.argv.slice(2), process.env) ? (loadCliBundle() as { main: () => Promise<void> } | undefined) : undefined;
if (bundle) {
  await bundle.main();
} else {
  await import('./compose.js');
  await (await import('../src/cli/main.js')).main();
}

#!/usr/bin/env node
// The `discover` command: the CLI with the built-in providers. Three paths, the same answers:
// - help, version and the provider list, for the argv the build answered (dist/cli-answers.json,
//   printed by runCli itself at build time), are printed from that file;
// - most commands run from the build's CLI bundle (one code-cached script set instead of some
//   forty modules: docs/performance.md);
// - `join`, `sim`, `intro`, plugins, a build without the bundle and AUTOJOIN_BUNDLES=0 load the
//   modules themselves.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const pluginsOrPlain = Boolean(process.env.DISCOVER_PLUGINS) || process.env.AUTOJOIN_BUNDLES === '0';

/** The build's answer for exactly this argv, or undefined. */
function buildAnswer(): string | undefined {
  if (pluginsOrPlain || argv.length > 3 || !/^(|-?-?h(elp)?|-?-?version|providers|--format)$/.test(argv[0] ?? '')) return undefined;
  try {
    const answers = JSON.parse(readFileSync(new URL('../cli-answers.json', import.meta.url), 'utf8')) as Record<string, string>;
    const key = argv.join('\0');
    return Object.hasOwn(answers, key) ? answers[key] : undefined;
  } catch {
    return undefined; // running without a build's answers
  }
}

/** Long-running commands, and those that load modules from outside the build (plugins, their simulators). */
const MODULE_COMMANDS = new Set(['join', 'sim', 'intro']);

function fromBundle(): boolean {
  // A word anywhere (a flag's value, a config value) only sends the run down the module path.
  return !pluginsOrPlain && !argv.some((arg) => MODULE_COMMANDS.has(arg) || /^--?plugin(=|$)/.test(arg));
}

/**
 * No top-level await: the build also emits this file as CommonJS (dist/entry/discover.cjs, what
 * bin/discover.cjs runs), where the fast paths need no ES module loader at all: the build's
 * answers, and the CLI bundle through src/load-bundle's CommonJS twin. Only the module path
 * imports ES modules.
 */
function run(): Promise<void> | undefined {
  const answer = buildAnswer();
  if (answer !== undefined) {
    process.stdout.write(answer);
    return undefined;
  }
  return (
    fromBundle()
      ? import('../src/load-bundle.js').then((loader) => loader.loadCliBundle() as { main: () => Promise<void> } | undefined)
      : Promise.resolve(undefined)
  ).then((bundle) => (bundle ? bundle.main() : import('./compose.js').then(() => import('../src/cli/main.js')).then((cli) => cli.main())));
}

run()?.catch((error: unknown) => {
  // As a rejected top-level await did: an uncaught error, printed by Node, exit code 1 at once.
  process.nextTick(() => {
    throw error;
  });
});

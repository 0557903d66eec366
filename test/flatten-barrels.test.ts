// scripts/flatten-barrels.mjs: imports through a package's barrel point at the modules defining
// the names, so code only a lazily imported entry keeps stays out of the chunks the main entry
// loads, and what importing the barrel also ran (modules with side effects) still runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import * as esbuild from 'esbuild';

type Plugin = esbuild.Plugin;
// A variable specifier: the script is plain JavaScript, without type declarations.
const script = '../scripts/flatten-barrels.mjs';
const { flattenBarrels } = (await import(script)) as { flattenBarrels: () => Plugin };

/** Writes files under a new folder; returns it. */
function tree(t: ExecutionContext, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-barrels-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const pkg = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, type: 'module', module: 'index.js', ...extra });

/**
 * `main.js`, through `app`, uses `lib`'s `small`, and imports `lazy.js` on demand, which uses `lib`'s `big`; `fx`'s
 * barrel re-exports a module that registers itself, `plain` (no `sideEffects` field) one that may.
 */
const FILES = {
  'main.js': 'import { run } from "app";\nrun();\nexport const later = () => import("./lazy.js");\n',
  'lazy.js': 'import { big } from "lib";\nexport default big;\n',
  // Only packages' files are rewritten (the SDKs' imports of each other): the importer is one.
  'node_modules/app/package.json': pkg('app', { sideEffects: false }),
  'node_modules/app/index.js': [
    'import { small } from "lib";',
    'import { x } from "fx";',
    'import { y as why } from "plain";',
    'export { small as again } from "lib";',
    'export const run = () => console.log(small, x, why, globalThis.registered, globalThis.plainRan);',
  ].join('\n'),
  'node_modules/lib/package.json': pkg('lib', { sideEffects: false }),
  'node_modules/lib/index.js': 'export { small } from "./small.js";\nexport * from "./nested/index.js";\n',
  'node_modules/lib/small.js': 'export const small = "SMALL";\n',
  'node_modules/lib/nested/index.js': 'export { big as big } from "../big.js";\n',
  'node_modules/lib/big.js': 'export function big() {\n  return "BIG-ONLY-THE-LAZY-ENTRY-NEEDS";\n}\n',
  'node_modules/fx/package.json': pkg('fx', { sideEffects: ['./register.js'] }),
  'node_modules/fx/index.js': 'export { x } from "./x.js";\nexport * from "./register.js";\n',
  'node_modules/fx/x.js': 'export const x = "X";\n',
  'node_modules/fx/register.js': 'globalThis.registered = "REGISTERED";\nexport const r = 1;\n',
  'node_modules/plain/package.json': pkg('plain'),
  'node_modules/plain/index.js': 'export { y } from "./y.js";\nexport * from "./z.js";\n',
  'node_modules/plain/y.js': 'export const y = "Y";\n',
  'node_modules/plain/z.js': 'globalThis.plainRan = "PLAIN";\nexport const z = 1;\n',
};

/** Bundles main.js split at its import(); returns the text main.js loads at start, and what it prints. */
async function build(dir: string, plugins: Plugin[]) {
  const outdir = path.join(dir, `out-${plugins.length}`);
  await esbuild.build({
    entryPoints: [path.join(dir, 'main.js')],
    absWorkingDir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir,
    logLevel: 'silent',
    plugins,
  });
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    // esbuild writes static imports of chunks at the top: `import { ... } from "./chunk-X.js";`
    for (const match of readFileSync(path.join(outdir, file), 'utf8').matchAll(/^import [^;]*?from "\.\/([^"]+)";$/gm)) visit(match[1]!);
  };
  visit('main.js');
  const text = (files: Iterable<string>) => [...files].map((file) => readFileSync(path.join(outdir, file), 'utf8')).join('\n');
  const printed = execFileSync(process.execPath, [path.join(outdir, 'main.js')], { encoding: 'utf8' }).trim();
  return { atStart: text(loaded), all: text(readdirSync(outdir)), printed };
}

test('code only a lazily imported module uses stays out of the chunks the entry loads, with the same answers', async (t) => {
  const dir = tree(t, FILES);
  const before = await build(dir, []);
  // The problem the plugin is for: esbuild puts big.js where main.js loads it, through lib's barrel.
  t.true(before.atStart.includes('BIG-ONLY-THE-LAZY-ENTRY-NEEDS'));

  const after = await build(dir, [flattenBarrels()]);
  t.false(after.atStart.includes('BIG-ONLY-THE-LAZY-ENTRY-NEEDS'));
  t.true(after.all.includes('BIG-ONLY-THE-LAZY-ENTRY-NEEDS'));
  // fx's listed module and plain's (a package that does not say) still run, as through the barrels.
  t.is(after.printed, 'SMALL X Y REGISTERED PLAIN');
  t.is(after.printed, before.printed);
});

test('a barrel is left as it is when a name cannot be traced to one module', async (t) => {
  const dir = tree(t, {
    ...FILES,
    // `export *` from a module that itself re-exports with `*`: its names are not listed here.
    'node_modules/lib/index.js': 'export { small } from "./small.js";\nexport * from "./mixed.js";\n',
    'node_modules/lib/mixed.js': 'export * from "./big.js";\nexport const m = 1;\n',
  });
  const after = await build(dir, [flattenBarrels()]);
  t.is(after.printed, 'SMALL X Y REGISTERED PLAIN');
  t.true(after.atStart.includes('BIG-ONLY-THE-LAZY-ENTRY-NEEDS'));
});

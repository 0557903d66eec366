// What a plugin author meets: load errors with hints, schema typos at load, malformed targets named,
// errors prefixed with the provider, idempotent loading, and errors that match across copies of autojoin.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../src/discover.js';
import { AutojoinError, isAutojoinError, NetworkError, ProviderError, ProviderRegistryError, UsageError } from '../src/errors.js';
import { type AnyProvider, defineProvider } from '../src/provider.js';
import { installExamplePlugin, ROOT, runDiscover } from './helpers/cli.js';
import { closedPort } from './helpers/servers.js';

const returning = (name: string, targets: unknown): AnyProvider => defineProvider({ name, summary: 'test', args: {}, discover: async () => targets as never });

// A malformed shape is an error naming the provider; a well-shaped target with a bad value is
// dropped with a warning naming it (docs/errors.md), so one bad VM does not hide its peers.
const malformed: Array<{ name: string; targets: unknown; message: RegExp }> = [
  { name: 'a string', targets: ['10.0.0.1'], message: /^discover-p1: discover failed: returned a malformed target: #0 "10\.0\.0\.1" is not an object/ },
  { name: 'a port that is not a number', targets: [{ address: '10.0.0.1', port: '80' }], message: /^discover-p2: .*port is not a number$/ },
  { name: 'not an array', targets: { address: '10.0.0.1' }, message: /^discover-p3: .*expected an array of \{ address, port\? \}, got object$/ },
];
malformed.forEach((c, i) => {
  test(`a plugin's malformed targets are an error naming the provider: ${c.name}`, async (t) => {
    const name = `p${i + 1}`;
    const engine = new Discover({ builtins: false, providers: [returning(name, c.targets)] });
    await t.throwsAsync(engine.addrs(`provider=${name}`), { instanceOf: ProviderError, message: c.message });
  });
});

for (const [name, target, why] of [
  ['p6', { address: 'not an ip!!' }, /not an IP address or DNS name/],
  ['p8', { addr: '10.0.0.1' }, /the address is a undefined, not a string/],
  ['p7', { address: '10.0.0.1', port: 99999 }, /port/],
] as const) {
  test(`a plugin's target with a bad value is dropped with a warning naming the provider: ${JSON.stringify(target)}`, async (t) => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const engine = new Discover({ builtins: false, providers: [returning(name, [target, { address: '10.0.0.2' }])] });
    t.deepEqual(await engine.addrs(`provider=${name}`, { logger }), ['10.0.0.2']);
    t.is(warnings.length, 1);
    t.regex(warnings[0] as string, new RegExp(`^discover-${name}: dropped target`));
    t.regex(warnings[0] as string, why);
  });
}

test('a schema typo fails at load, naming the provider, the key and the right type', (t) => {
  const typo = { name: 'typo', summary: 'test', args: { port: { type: 'integer', help: 'x' } }, discover: async () => [] } as unknown as AnyProvider;
  t.throws(() => new Discover({ builtins: false, providers: [typo] }), {
    instanceOf: ProviderRegistryError,
    message:
      'discover: register(): provider typo has an invalid argument schema:\n  - port: type "integer" is not one of string, bool, int, duration, enum, url, list, hostport (did you mean "int"?)',
  });
});

test('errors from ctx.http and foreign throws get the discover-<name>: prefix', async (t) => {
  const port = await closedPort();
  const http = defineProvider({
    name: 'fetcher',
    summary: 'test',
    args: {},
    discover: async (_args, ctx) => {
      await ctx.http.request(`http://127.0.0.1:${port}/peers`);
      return [];
    },
  });
  const foreign = defineProvider({
    name: 'oops',
    summary: 'test',
    args: {},
    discover: async () => {
      throw new TypeError('cannot read properties of undefined');
    },
  });
  const engine = new Discover({ builtins: false, providers: [http, foreign] });
  await t.throwsAsync(engine.addrs('provider=fetcher'), { instanceOf: NetworkError, message: /^discover-fetcher: .*ECONNREFUSED/ });
  await t.throwsAsync(engine.addrs('provider=oops'), { instanceOf: ProviderError, message: 'discover-oops: cannot read properties of undefined' });
});

test('ProviderError: a reason that already names the provider is not prefixed twice; details are optional', (t) => {
  t.is(new ProviderError('static', 'discover-static: no peers').message, 'discover-static: no peers');
  t.is(new ProviderError('static', 'no peers', { operation: 'List' }).message, 'discover-static: List failed: no peers');
});

test('errors carry a brand that survives a second copy of autojoin (a plugin with its own copy)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(ROOT, 'src/errors.ts'), path.join(dir, 'errors.ts'));
  copyFileSync(path.join(ROOT, 'src/suggest.ts'), path.join(dir, 'suggest.ts'));
  copyFileSync(path.join(ROOT, 'src/text.ts'), path.join(dir, 'text.ts'));
  const copy = (await import(pathToFileURL(path.join(dir, 'errors.ts')).href)) as typeof import('../src/errors.js');
  t.not(copy.ProviderError, ProviderError);
  const foreign = new copy.ProviderError('static', 'boom', { operation: 'List' });
  t.true(foreign instanceof ProviderError);
  t.true(foreign instanceof AutojoinError);
  t.true(isAutojoinError(foreign));
  t.false(foreign instanceof UsageError);
  t.false(new Error('x') instanceof AutojoinError);
  t.true(new ProviderError('a', 'b') instanceof copy.AutojoinError);
});

test('the same plugin named twice (--plugin and DISCOVER_PLUGINS) loads once', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const result = await runDiscover(['--plugin', plugin, '--plugin', plugin, 'providers'], { env: { DISCOVER_PLUGINS: plugin } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout.match(/^static /gm)?.length, 1);
});

test('a TypeScript plugin that node cannot load says to compile it (or load tsx)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-tsplugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'my-provider.ts');
  writeFileSync(
    file,
    "import { defineProvider } from 'autojoin';\nexport default defineProvider({ name: 'mine', summary: 's', args: {}, discover: async (): Promise<[]> => [] });\n",
  );
  const result = await runDiscover(['--plugin', file, 'providers']);
  t.is(result.code, 2);
  t.regex(
    result.stderr,
    /^discover: cannot load plugin .*my-provider\.ts: .*\(a TypeScript plugin must be compiled to JavaScript first, e\.g\. with tsc, or loaded with NODE_OPTIONS=--import=tsx\)\n$/,
  );
});

test('UsageError is not a ProviderError by brand either', (t) => {
  t.false(new UsageError('x') instanceof ProviderError);
});

/** A throwaway project outside the repo, as `npm init -y` makes it (`"type": "commonjs"`), with autojoin installed. */
function commonJsProject(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-cjs-project-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'my-project', version: '1.0.0', main: 'index.js', type: 'commonjs' }, null, 2)}\n`);
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(ROOT, path.join(dir, 'node_modules/autojoin'), 'dir');
  return dir;
}

test('an ES module .js plugin in a CommonJS project loads, with the files it imports; a CommonJS plugin there still does', async (t) => {
  const project = commonJsProject(t);
  mkdirSync(path.join(project, 'lib'));
  writeFileSync(
    path.join(project, 'my-provider.js'),
    [
      "import { defineProvider } from 'autojoin';",
      "import { PEERS } from './lib/peers.js';",
      "export default defineProvider({ name: 'esmcjs', summary: 'ESM syntax in a CommonJS project', args: {}, discover: async () => PEERS });",
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(project, 'lib/peers.js'), "export const PEERS = [{ address: '10.9.0.2', port: 4648 }];\n");
  // A CommonJS helper that an ES module plugin would require stays CommonJS.
  writeFileSync(
    path.join(project, 'old-style.js'),
    "const { defineProvider } = require('autojoin');\nmodule.exports = defineProvider({ name: 'cjsstyle', summary: 'CommonJS plugin', args: {}, discover: async () => [{ address: '10.9.0.1' }] });\n",
  );
  const env = { DISCOVER_PLUGINS: './my-provider.js' };
  const esm = await runDiscover(['-q', '--plugin', './old-style.js', 'addrs', 'provider=esmcjs'], { cwd: project, env });
  t.is(esm.stderr, '');
  t.is(esm.code, 0);
  t.is(esm.stdout, '10.9.0.2:4648\n');
  const cjs = await runDiscover(['-q', '--plugin', './old-style.js', 'addrs', 'provider=cjsstyle'], { cwd: project, env });
  t.is(cjs.code, 0, cjs.stderr);
  t.is(cjs.stdout, '10.9.0.1\n');
  // From code too: the engine's plugins option.
  const engine = new Discover({ builtins: false, plugins: [path.join(project, 'my-provider.js')] });
  t.deepEqual(await engine.addrs('provider=esmcjs'), ['10.9.0.2:4648']);
});

test('a .js plugin whose syntax is broken as CommonJS and as a module still says what Node said', async (t) => {
  const project = commonJsProject(t);
  writeFileSync(path.join(project, 'broken.js'), "import { defineProvider } from 'autojoin';\nexport default defineProvider({ name: 'broken', \n");
  const result = await runDiscover(['--plugin', './broken.js', 'providers'], { cwd: project });
  t.is(result.code, 2);
  t.regex(result.stderr, /^discover: cannot load plugin \.\/broken\.js: .*(Unexpected end of input|missing \) after argument list)/m);
});

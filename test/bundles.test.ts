// The CLI users run (dist/) takes the fast path: each cloud provider from the build's bundle
// (scripts/bundle-providers.mjs), run through src/load-bundle.ts with a V8 code cache in the user's
// cache folder, and still finds the simulator's instances.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { loadFleet } from '../src/sim/index.js';
import { defaultFleetPath } from '../src/sim/run.js';
import { ROOT, runDiscover } from './helpers/cli.js';
import { startTestSim } from './helpers/sim.js';

// The demo fleet's answers (fixtures/fleets/demo.yaml), as `npm run demo` prints them.
const EXPECTED: Record<string, string> = {
  aws: '10.0.1.11 10.0.2.12 10.0.3.13',
  azure: '10.1.0.11 10.1.0.12 10.1.0.13',
  gce: '10.2.0.11 10.2.0.12',
};

function cacheHome(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-cache-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the build bundles every built-in provider and lists each chunk with its hash', (t) => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'dist/bundles/manifest.json'), 'utf8')) as {
    providers: Record<string, { entry: string; chunks: Record<string, string> }>;
  };
  for (const name of ['aws', 'azure', 'consul', 'gce', 'mdns', 'srv']) {
    const bundle = manifest.providers[name];
    t.truthy(bundle, name);
    if (!bundle) continue;
    t.true(bundle.entry in bundle.chunks);
    for (const [chunk, hash] of Object.entries(bundle.chunks)) {
      t.true(existsSync(path.join(ROOT, 'dist/bundles', name, chunk)), `${name}/${chunk}`);
      t.regex(hash, /^[0-9a-f]{32}$/);
    }
  }
});

test('dist/ discovers through the simulator from the bundles: a private code cache is written, then used', async (t) => {
  const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
  for (const module of sim.modules) {
    const paste = module.paste?.(sim.ctx);
    if (!paste || !(paste.provider in EXPECTED)) continue;
    const home = cacheHome(t);
    const env = { ...paste.env, XDG_CACHE_HOME: home };
    const first = await runDiscover(['-q', 'addrs', paste.config], { env });
    t.is(first.code, 0, first.stderr);
    t.is(first.stdout, `${EXPECTED[paste.provider]}\n`, paste.provider);

    // Only the bundle path writes code cache files: their presence proves the bundle ran (the
    // provider's, and the CLI's own bundle: entry/cli-bundle.ts).
    const folder = path.join(home, 'autojoin');
    const files = readdirSync(folder);
    t.true(
      files.some((file) => file.startsWith(`${paste.provider}-`)),
      files.join(' '),
    );
    t.true(
      files.some((file) => file.startsWith('cli-')),
      files.join(' '),
    );
    t.true(
      files.every((file) => (file.startsWith(`${paste.provider}-`) || file.startsWith('cli-')) && file.endsWith('.v8')),
      files.join(' '),
    );
    t.is(statSync(folder).mode & 0o777, 0o700);
    for (const file of files) t.is(statSync(path.join(folder, file)).mode & 0o777, 0o600, file);

    // A second process reads the cache V8 accepted: the same answer, no file rewritten.
    const written = new Map(files.map((file) => [file, statSync(path.join(folder, file)).mtimeMs]));
    const second = await runDiscover(['-q', 'addrs', paste.config], { env });
    t.is(second.code, 0, second.stderr);
    t.is(second.stdout, first.stdout);
    for (const [file, mtime] of written) t.is(statSync(path.join(folder, file)).mtimeMs, mtime, `${file} was rewritten`);
  }
});

test('AUTOJOIN_CODE_CACHE=0 writes no cache; AUTOJOIN_BUNDLES=0 takes the plain modules; both find the same addresses', async (t) => {
  const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
  const paste = sim.modules.map((module) => module.paste?.(sim.ctx)).find((p) => p?.provider === 'aws');
  if (!paste) return t.fail('the demo fleet has no aws');
  const home = cacheHome(t);
  for (const off of [{ AUTOJOIN_CODE_CACHE: '0' }, { AUTOJOIN_BUNDLES: '0' }]) {
    const result = await runDiscover(['-q', 'addrs', paste.config], { env: { ...paste.env, ...off, XDG_CACHE_HOME: home } });
    t.is(result.code, 0, result.stderr);
    t.is(result.stdout, `${EXPECTED.aws}\n`);
  }
  t.false(existsSync(path.join(home, 'autojoin')) && readdirSync(path.join(home, 'autojoin')).length > 0);
});

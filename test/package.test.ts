// The installed package, as a new user meets it: packed, installed into `npm init -y`, then used
// through require(), a TypeScript compile, its entry points, its CLI, and without any cloud SDK.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { childEnv } from './helpers/cli.js';
import { installInto, packTarball, ROOT, removeDir } from './helpers/pack.js';

// One pack and one install for the whole file: each takes seconds.
const work = mkdtempSync(path.join(tmpdir(), 'autojoin-pack-'));
let packed: ReturnType<typeof packTarball> | undefined;
let project: string | undefined;
function setup() {
  packed ??= packTarball(work);
  project ??= installInto(packed.tarball);
  return { ...packed, project };
}
test.after.always(() => {
  removeDir(work);
  if (project) removeDir(project);
});

test.serial('the tarball: no source map without its source, the help cache, the bin launcher; no install script', (t) => {
  const { files } = setup();
  t.deepEqual(
    files.filter((f) => f.endsWith('.map')),
    [],
  );
  t.true(files.includes('dist/builtin-help.json'));
  t.true(files.includes('bin/discover.cjs'));
  for (const twin of ['dist/entry/discover.cjs', 'dist/src/load-bundle.cjs']) t.true(files.includes(twin), twin);
  t.true(files.includes('dist/src/cli/main.js'));
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) t.false(hook in pkg.scripts, hook);
});

test.serial("require('autojoin') and its documented entry points from a CommonJS project", (t) => {
  const { project } = setup();
  const script = `
    const autojoin = require('autojoin');
    const sim = require('autojoin/sim');
    const http = require('autojoin/http');
    console.log([typeof autojoin.addrs, typeof autojoin.retryJoin, typeof sim.startSim, typeof sim.loadFleet, typeof http.createHttpClient, typeof http.retryCall].join(' '));
    console.log(JSON.stringify([...autojoin.parseConfig('provider=aws k="a b"')]));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', env: childEnv() });
  t.is(out, 'function function function function function function\n[["provider","aws"],["k","a b"]]\n');
});

test.serial('a TypeScript project made by npm init -y compiles against it and runs', (t) => {
  const { project } = setup();
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, types: [], outDir: 'out' },
      files: ['index.ts'],
    }),
  );
  writeFileSync(
    path.join(project, 'index.ts'),
    `import { parseConfig, type RetryJoinOptions } from 'autojoin';
import { loadFleet, startSim } from 'autojoin/sim';
import { createHttpClient, retryCall } from 'autojoin/http';
const options: Partial<RetryJoinOptions> = { retryMax: 1 };
console.log(parseConfig('provider=gce x=1').get('x'), typeof loadFleet, typeof startSim, typeof createHttpClient, typeof retryCall, options.retryMax);
`,
  );
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: project, encoding: 'utf8', env: childEnv() });
  const out = execFileSync(process.execPath, ['out/index.js'], { cwd: project, encoding: 'utf8', env: childEnv() });
  t.is(out, '1 function function function function 1\n');
});

test.serial('installed without any cloud SDK: help answers from the cache; a cloud provider names the packages to install', (t) => {
  const { project } = setup();
  const bin = path.join(project, 'node_modules/.bin/discover');
  const help = execFileSync(bin, ['help', 'aws'], { cwd: project, encoding: 'utf8', env: childEnv() });
  t.regex(help, /^aws: Amazon EC2/);
  let failure: { status: number; stderr: string } | undefined;
  try {
    // The build's bundles carry the SDK code a provider runs (docs/performance.md); without them
    // (AUTOJOIN_BUNDLES=0, or a build without bundles) the provider imports the installed SDK.
    execFileSync(bin, ['-q', 'addrs', 'provider=aws', 'region=eu-west-1', 'tag_key=role', 'tag_value=x'], {
      cwd: project,
      encoding: 'utf8',
      env: childEnv({ AUTOJOIN_BUNDLES: '0' }),
      stdio: 'pipe',
    });
  } catch (error) {
    failure = error as { status: number; stderr: string };
  }
  t.is(failure?.status, 2);
  t.is(
    failure?.stderr,
    "discover-aws: the package @aws-sdk/client-ec2 is not installed; install this provider's SDK: npm install @aws-sdk/client-ec2 @aws-sdk/client-ecs @smithy/node-http-handler\n",
  );
  // The cloud-free providers work with nothing else installed.
  t.is(execFileSync(bin, ['join', '-q', '10.0.0.1:4648'], { cwd: project, encoding: 'utf8', env: childEnv() }), '10.0.0.1:4648\n');
});

test('a fresh clone: after npm ci (no install script builds anything) npx discover builds dist/ on first run and works', (t) => {
  const clone = mkdtempSync(path.join(tmpdir(), 'autojoin-clone-'));
  t.teardown(() => removeDir(clone));
  // The checkout's files as git would clone them (committed or not, ignored ones left out): no dist/.
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(ROOT, file))) continue;
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(clone, file));
  }
  t.false(existsSync(path.join(clone, 'dist')));
  // What npm ci installs, without the registry.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  const result = spawnSync('npx', ['--no-install', 'discover', 'version'], { cwd: clone, encoding: 'utf8', env: childEnv() });
  t.is(result.status, 0, result.stderr);
  t.regex(result.stdout, /^autojoin \d+\.\d+\.\d+\n$/);
  t.regex(result.stderr, /first run in this checkout: building dist\//);
  t.true(existsSync(path.join(clone, 'dist/src/cli/main.js')));
});

test.serial('DISCOVER_PLUGINS=./my-provider.js in a CommonJS project: require() style and import/export style both load', (t) => {
  const { project } = setup();
  writeFileSync(
    path.join(project, 'my-provider.js'),
    "const { defineProvider } = require('autojoin');\nmodule.exports = defineProvider({ name: 'cjs', summary: 'CommonJS plugin', args: {}, discover: async () => [{ address: '10.9.0.1', port: 4648 }] });\n",
  );
  writeFileSync(
    path.join(project, 'esm-style.js'),
    "import { defineProvider } from 'autojoin';\nexport default defineProvider({ name: 'esmstyle', summary: 'ESM syntax in a CommonJS project', args: {}, discover: async () => [{ address: '10.9.0.2' }] });\n",
  );
  const bin = path.join(project, 'node_modules/.bin/discover');
  const env = childEnv({ DISCOVER_PLUGINS: './my-provider.js' });
  t.is(execFileSync(bin, ['-q', 'addrs', 'provider=cjs'], { cwd: project, encoding: 'utf8', env }), '10.9.0.1:4648\n');
  t.is(execFileSync(bin, ['join', '-q', 'provider=cjs'], { cwd: project, encoding: 'utf8', env }), '10.9.0.1:4648\n');
  const esm = spawnSync(bin, ['-q', 'addrs', 'provider=esmstyle'], { cwd: project, encoding: 'utf8', env: childEnv({ DISCOVER_PLUGINS: './esm-style.js' }) });
  t.is(esm.status, 0, esm.stderr);
  t.is(esm.stdout, '10.9.0.2\n');
});

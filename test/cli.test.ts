import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { childEnv, installExamplePlugin, ROOT, runDiscover } from './helpers/cli.js';

test('no arguments prints the help and exits 0, as go-discover does', async (t) => {
  const result = await runDiscover([]);
  t.is(result.code, 0);
  t.regex(result.stdout, /^Usage: discover \[flags\] <command>/);
  t.regex(result.stdout, /provider=aws region=eu-west-1/);
  t.regex(result.stdout, /^ {2}gce +Google Compute Engine/m);
});

test('help <provider> prints that provider only; unknown provider exits 2', async (t) => {
  const plugin = installExamplePlugin(t);
  const result = await runDiscover(['--plugin', path.join(plugin, 'index.js'), 'help', 'static']);
  t.is(result.code, 0);
  t.regex(result.stdout, /^static: Fixed addresses/);
  t.regex(result.stdout, /provider: +"static"/);
  const unknown = await runDiscover(['help', 'nosuch']);
  t.is(unknown.code, 2);
  // help takes commands too: the error says what a topic may be.
  t.is(unknown.stderr, 'discover: unknown help topic "nosuch": a provider (discover providers) or join, sim, all\n');
  const typo = await runDiscover(['help', 'jion']);
  t.is(typo.code, 2);
  t.is(typo.stderr, 'discover: unknown help topic "jion": a provider (discover providers) or join, sim, all (did you mean "join"?)\n');
});

test('addrs prints one line; flags work before and after the command', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const before = await runDiscover(['-q', '--plugin', plugin, 'addrs', 'provider=static', 'addrs=10.0.0.1,::1', 'port=4648']);
  t.is(before.code, 0);
  t.is(before.stdout, '10.0.0.1:4648 [::1]:4648\n');
  t.is(before.stderr, '');
  const after = await runDiscover(['addrs', '--plugin', plugin, 'provider=static', 'addrs=h']);
  t.is(after.stdout, 'h\n');
  t.regex(after.stderr, /Registered providers: \[.*static.*\]\n\[DEBUG\] discover: Using provider "static"/);
});

test('addrs joins its arguments with single spaces, as go-discover does', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const result = await runDiscover(['-q', '--plugin', plugin, 'addrs', 'provider=static', 'addrs="a,b"', 'port=1']);
  t.is(result.stdout, 'a:1 b:1\n');
});

test('--format json prints targets with their address string', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const result = await runDiscover(['-q', '--format', 'json', '--plugin', plugin, 'addrs', 'provider=static', 'addrs=::1', 'port=2']);
  t.deepEqual(JSON.parse(result.stdout), [{ addr: '[::1]:2', address: '::1', port: 2 }]);
});

test('config errors exit 2 with go-discover text; -q keeps the error line', async (t) => {
  const parse = await runDiscover(['-q', 'addrs', 'provider=aws', 'foo']);
  t.is(parse.code, 2);
  t.is(parse.stderr, "discover: foo: missing '='\n");
  const none = await runDiscover(['addrs', 'region=x']);
  t.is(none.code, 2);
  t.regex(none.stderr, /discover: no provider\n$/);
  const unknownFlag = await runDiscover(['--bogus', 'addrs', 'provider=aws']);
  t.is(unknownFlag.code, 2);
  t.regex(unknownFlag.stderr, /^discover: flag provided but not defined: --bogus\n/);
  const unknownCommand = await runDiscover(['frobnicate']);
  t.is(unknownCommand.code, 2);
  t.regex(unknownCommand.stderr, /unknown command "frobnicate"/);
});

// Parse errors keep go-discover's text to the letter, then a hint in parentheses; never a secret value.
const parseErrors: Array<{ name: string; argv: string[]; stderr: string; secrets?: string[] }> = [
  {
    name: 'a duplicated secret key is named (a key name is no secret), its values are not',
    argv: ['-q', 'check', 'provider=aws', 'region=eu-west-1', 'access_key_id=AKIDX', 'secret_access_key=S3CRET1', 'secret_access_key=S3CRET2'],
    stderr: 'discover: secret_access_key: duplicate key\n',
    secrets: ['S3CRET1', 'S3CRET2'],
  },
  {
    name: 'a bare word after a secret value stays masked; the hint names the key it follows',
    argv: ['-q', 'check', 'provider=aws', 'region=eu-west-1', 'secret_access_key=S3CRET5', 'session_token'],
    stderr: "discover: ***: missing '=' (the word after secret_access_key=...; a value with spaces needs double quotes)\n",
    secrets: ['S3CRET5', 'session_token'],
  },
  {
    name: 'a repeated secret key not followed by = may be the rest of the value: masked',
    argv: ['-q', 'check', 'provider=aws', 'secret_access_key=S3CRET6', 'secret_access_key'],
    stderr: 'discover: ***: duplicate key (the word after secret_access_key=...; a value with spaces needs double quotes)\n',
    secrets: ['S3CRET6'],
  },
  {
    name: 'the word after a secret stays masked when it also appears later in the string',
    argv: ['-q', 'check', 'provider=aws', 'secret_access_key=S3CRET7', 'w0rd', 'region=w0rd'],
    stderr: "discover: ***: missing '=' (the word after secret_access_key=...; a value with spaces needs double quotes)\n",
    secrets: ['S3CRET7'],
  },
  {
    name: 'a value split by the shell gets the quoting that keeps it whole',
    argv: ['-q', 'addrs', 'provider=aws', 'tag_key=role', 'tag_value=nomad', 'big', 'server', 'region=x'],
    stderr: `discover: big: missing '=' (a value with spaces needs double quotes inside the argument: 'tag_value="nomad big server"')\n`,
  },
  {
    name: 'single quotes inside the argument are text to the parser: the hint says double',
    argv: ['-q', 'addrs', 'provider=aws', "tag_value='nomad server'"],
    stderr: `discover: server': missing '=' (a value with spaces needs double quotes inside the argument: 'tag_value="nomad server"')\n`,
  },
  {
    name: 'a flag after the config string: flags go before it',
    argv: ['addrs', 'provider=aws', 'region=x', '-q'],
    stderr: "discover: -q: missing '=' (flags go before the config string: discover -q addrs key=val ...)\n",
  },
  {
    name: 'a flag with a value after the config string',
    argv: ['-q', 'check', 'provider=aws', 'region=x', '--timeout', '5s'],
    stderr: "discover: --timeout: missing '=' (flags go before the config string: discover --timeout VALUE check key=val ...)\n",
  },
];
for (const c of parseErrors) {
  test(`parse error hint: ${c.name}`, async (t) => {
    const result = await runDiscover(c.argv);
    t.is(result.code, 2);
    t.is(result.stderr.replace(/^Registered providers: .*\n/, ''), c.stderr);
    t.is(result.stdout, '');
    for (const secret of c.secrets ?? []) t.false((result.stdout + result.stderr).includes(secret), secret);
  });
}

test('an invalid argument exits 2 and names the key, before any network call', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const result = await runDiscover(['--plugin', plugin, 'addrs', 'provider=static', 'addrs=a', 'prot=1']);
  t.is(result.code, 2);
  t.regex(result.stderr, /unknown argument "prot" \(did you mean "port"\?\)/);
});

test('check prints the normalised config with secrets redacted', async (t) => {
  const result = await runDiscover([
    'check',
    'provider=aws',
    'access_key_id=AKIDEXAMPLE',
    'secret_access_key=TOPSECRETVALUE',
    'region=eu-west-1',
    'tag_key=role',
    'tag_value="nomad server"',
  ]);
  t.is(result.code, 0, result.stderr);
  t.notRegex(result.stdout + result.stderr, /TOPSECRETVALUE/);
  t.regex(result.stdout, /^provider=aws .*secret_access_key=\*\*\*/);
  t.regex(result.stdout, /tag_value="nomad server"/);
});

test('DISCOVER_PLUGINS loads plugins too; providers lists names and summaries', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const result = await runDiscover(['providers'], { env: { DISCOVER_PLUGINS: plugin } });
  t.is(result.code, 0);
  t.regex(result.stdout, /^static +Fixed addresses/m);
  t.regex(result.stdout, /^aws +/m);
});

test('version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.is((await runDiscover(['version'])).stdout, `autojoin ${pkg.version}\n`);
});

for (const command of [['help'], ['help', 'all'], ['providers'], ['check', 'provider=aws', 'tag_key=a', 'tag_value=b', 'region=x']]) {
  test(`cold start: \`discover ${command.slice(0, 2).join(' ')}\` loads no cloud SDK`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-trace-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'imports.txt');
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, ['--import', './test/helpers/trace-imports.mjs', 'dist/entry/discover.js', ...command], {
      cwd: ROOT,
      env: { ...process.env, TRACE_IMPORTS_FILE: file, XDG_CACHE_HOME: dir },
    });
    const loaded = readFileSync(file, 'utf8');
    t.regex(loaded, /dist\/entry\/discover\.js/, 'the trace saw the CLI load');
    t.notRegex(loaded, /@aws-sdk|@azure\/|@google-cloud|google-auth-library|hpagent/);
    // The bundles' chunks run as scripts, out of the trace's sight: the code cache names each one
    // that ran. help and providers are answered from the build (dist/cli-answers.json): none ran.
    const folder = path.join(dir, 'autojoin');
    const ran = existsSync(folder) ? readdirSync(folder) : [];
    const providerChunks = ran.filter((chunk) => !chunk.startsWith('cli-'));
    if (command[0] !== 'check') return t.deepEqual(ran, []);
    // check: the CLI bundle, aws's entry chunk (the descriptor) and the small pure code it
    // imports; the SDK's chunks alone are hundreds of KB.
    t.true(
      ran.some((chunk) => chunk.startsWith('cli-index.cjs-')),
      ran.join(' '),
    );
    t.true(
      providerChunks.some((chunk) => chunk.startsWith('aws-index.cjs-')),
      ran.join(' '),
    );
    const bytes = providerChunks.reduce((sum, chunk) => sum + statSync(path.join(ROOT, 'dist/bundles/aws', chunk.replace(/^aws-(.+\.cjs)-.*$/, '$1'))).size, 0);
    t.true(bytes < 32_000, `${bytes} bytes of aws chunks ran: ${providerChunks.join(' ')}`);
  });
}

for (const command of [['help'], ['check', 'provider=aws', 'tag_key=a', 'tag_value=b', 'region=x']]) {
  test(`\`discover ${command[0]}\` (bin/discover.cjs) starts no ES module loader: the build's answer or the CLI bundle, all CommonJS`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-cjs-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const probe = path.join(dir, 'probe.cjs');
    const report = path.join(dir, 'loaded.txt');
    writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, process.moduleLoadList.join('\\n')));`);
    const result = await runDiscover(command, { env: { XDG_CACHE_HOME: dir, NODE_OPTIONS: `--require ${probe}` } });
    t.is(result.code, 0, result.stderr);
    const loaded = readFileSync(report, 'utf8');
    t.regex(loaded, /NativeModule fs/, 'the probe saw the process');
    // The ES module loader translates each module it loads: for one, it would be loaded.
    t.false(loaded.includes('internal/modules/esm/translators'), 'an ES module was loaded');
  });
}

test('the example plugin passes its own tests from outside the repo', async (t) => {
  const dir = installExamplePlugin(t);
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--test', 'index.test.js'], { cwd: dir, encoding: 'utf8', env: childEnv() });
  t.regex(out, /# pass 2/);
  t.regex(out, /# fail 0/);
});

test('a plugin installed as an npm package loads by name from the current directory', async (t) => {
  const plugin = installExamplePlugin(t);
  const { mkdirSync, symlinkSync } = await import('node:fs');
  const project = mkdtempSync(path.join(tmpdir(), 'autojoin-project-'));
  t.teardown(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(plugin, path.join(project, 'node_modules/autojoin-provider-static'), 'dir');
  const result = await runDiscover(['-q', '--plugin', 'autojoin-provider-static', 'addrs', 'provider=static', 'addrs=10.1.1.1'], {
    cwd: project,
  });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, '10.1.1.1\n');
  const missing = await runDiscover(['--plugin', 'no-such-plugin', 'providers'], { cwd: project });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /discover: cannot find plugin no-such-plugin/);
});

test('npx discover and the package self-reference work from the repo root', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const viaNpx = execFileSync('npx', ['--no-install', 'discover', 'version'], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
  t.regex(viaNpx, /^autojoin \d+\.\d+\.\d+\n$/);
  const script =
    "import { parseConfig, retryJoin, Discover } from 'autojoin'; console.log(JSON.stringify([...parseConfig('provider=aws k=\"a b\"')]), typeof retryJoin, typeof Discover)";
  const viaImport = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
  t.is(viaImport, '[["provider","aws"],["k","a b"]] function function\n');
});

test('help and providers from the build-time cache match what the descriptors give now', async (t) => {
  const { fullHelp, providerHelp } = await import('../src/help.js');
  const { ProviderRegistry } = await import('../src/registry.js');
  const { USAGE, shortHelp } = await import('../src/cli/run.js');
  const providers = await new ProviderRegistry().loadAll();
  t.is((await runDiscover(['help'])).stdout, shortHelp(providers));
  t.is((await runDiscover(['help', 'all'])).stdout, `${USAGE}\n${fullHelp(providers)}`);
  const aws = providers.find((p) => p.name === 'aws')!;
  t.is((await runDiscover(['help', 'aws'])).stdout, providerHelp(aws));
  const listed = JSON.parse((await runDiscover(['--format', 'json', 'providers'])).stdout) as Array<{ name: string }>;
  t.deepEqual(
    listed.map((p) => p.name),
    providers.map((p) => p.name),
  );
});

test('bin/discover.js, the command before bin/discover.cjs, still runs it (npx caches of a checkout link to it)', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  t.is(pkg.bin.discover, './bin/discover.cjs');
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bin/discover.js'), 'version'], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
  t.is(out, `autojoin ${pkg.version}\n`);
});

test('the build refuses an entry whose CommonJS twin it can no longer make (the loader import it rewrites is gone)', async (t) => {
  const script = '../scripts/bundle-providers.mjs';
  const { commonJsTwins } = (await import(script)) as { commonJsTwins: (out: string) => Promise<void> };
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-twins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const file of ['entry/discover.js', 'src/load-bundle.js']) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(path.join(ROOT, 'dist', file), 'utf8'));
  }
  await commonJsTwins(dir);
  const twin = readFileSync(path.join(dir, 'entry/discover.cjs'), 'utf8');
  t.true(twin.includes("require('../src/load-bundle.cjs')") || twin.includes('require("../src/load-bundle.cjs")'), 'the twin requires the loader twin');
  t.false(twin.startsWith('#!'), 'no shebang past line 1');
  const entry = path.join(dir, 'entry/discover.js');
  writeFileSync(entry, readFileSync(entry, 'utf8').replace("import('../src/load-bundle.js')", "import('../src/other.js')"));
  await t.throwsAsync(() => commonJsTwins(dir), { message: /entry\/discover\.js no longer has \(once\) import\('\.\.\/src\/load-bundle\.js'\)/ });
});

test('a failure inside the command is an uncaught error (exit 1, its message printed), even where Node only warns of an unhandled rejection', async (t) => {
  const { spawnSync } = await import('node:child_process');
  // The built entry's CommonJS twin, beside a loader whose CLI bundle fails: what an internal
  // error or a damaged install looks like to entry/discover.ts.
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-entry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'entry'));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'entry/discover.cjs'), readFileSync(path.join(ROOT, 'dist/entry/discover.cjs'), 'utf8'));
  writeFileSync(
    path.join(dir, 'src/load-bundle.cjs'),
    "exports.loadCliBundle = () => ({ main: () => Promise.reject(new Error('the CLI failed inside (test)')) });\n",
  );
  const run = spawnSync(process.execPath, [path.join(dir, 'entry/discover.cjs'), 'addrs', 'provider=aws'], {
    encoding: 'utf8',
    env: childEnv({ NODE_OPTIONS: '--unhandled-rejections=warn' }),
  });
  t.is(run.status, 1, run.stderr);
  t.regex(run.stderr, /Error: the CLI failed inside \(test\)/);
  t.is(run.stdout, '');
});

// A provider is one folder: a throwaway provider with a simulator module, written to a temporary
// folder, joins the built-ins through the composition API and is discovered through the simulator
// with no file of the repository changed; the example plugin, packed as a tarball and installed
// into a project outside the repo, works with help, check, addrs and inside `discover sim`.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { builtinSimModules, builtins, type ProviderEntry } from '../src/builtins.js';
import { Discover } from '../src/discover.js';
import { providerMarkdown } from '../src/help.js';
import { demoFleet } from '../src/sim/load.js';
import type { SimPasteData } from '../src/sim/paste.js';
import { runSim } from '../src/sim/run.js';
import { childEnv, ROOT } from './helpers/cli.js';
import { startTestSim } from './helpers/sim.js';

const kit = pathToFileURL(path.join(ROOT, 'src/kit/index.ts')).href;

/** The files a contributor creates for a new provider (docs/plugins.md, "Adding a provider"). */
function writeThrowawayProvider(dir: string): void {
  writeFileSync(
    path.join(dir, 'index.mjs'),
    `import { defineProvider, classifyHttpError, retryCall } from '${kit}';
export default defineProvider({
  name: 'throwaway',
  summary: 'A provider written in a temporary folder for a test.',
  args: {
    endpoint: { type: 'url', required: true, help: 'The API.' },
    api_key: { type: 'string', required: true, secret: true, help: 'The key.' },
    role: { type: 'string', required: true, help: 'The role tag to match.' },
  },
  async discover(args, ctx) {
    const url = new URL('/hosts?role=' + encodeURIComponent(args.role), args.endpoint);
    const response = await retryCall(() => ctx.http.request(url, { headers: { authorization: 'Bearer ' + args.api_key }, signal: ctx.signal }),
      { classify: classifyHttpError, signal: ctx.signal, deadline: ctx.deadline, maxAttempts: ctx.maxAttempts });
    return response.json().hosts.map((h) => ({ address: h.ip, id: h.id }));
  },
});
`,
  );
  writeFileSync(
    path.join(dir, 'sim.mjs'),
    `import { fleetCredentials, simJson, simRoutes, tokenAccepted, visibleInstances } from '${kit}';
const api = simRoutes(
  { name: 'throwaway-api', summary: 'GET /hosts', errorResponse: (kind) => simJson(kind === 'auth' ? 401 : 503, { error: kind }) },
  [{ method: 'GET', path: /^\\/hosts$/, handle(req, ctx) {
    if (!tokenAccepted(req, fleetCredentials(ctx, 'throwaway')?.api_key)) return simJson(401, { error: 'bad key' });
    const role = req.url.searchParams.get('role');
    const hosts = visibleInstances(ctx, 'throwaway').filter((i) => i.tags?.role === role);
    return simJson(200, { hosts: hosts.map((i) => ({ id: i.id, ip: i.private_ipv4 })) });
  } }],
);
export default {
  provider: 'throwaway',
  apis: [api],
  fleet: {
    credentials: { api_key: { help: 'The key requests carry.', required: true } },
    demo: {
      credentials: { throwaway: { api_key: 'throwaway-key-not-real' } },
      instances: [
        { id: 't-1', cloud: 'throwaway', tags: { role: 'server' }, private_ipv4: '10.99.0.1' },
        { id: 't-2', cloud: 'throwaway', tags: { role: 'server' }, private_ipv4: '10.99.0.2' },
        { id: 't-3', cloud: 'throwaway', tags: { role: 'client' }, private_ipv4: '10.99.0.3' },
      ],
    },
  },
  paste: (ctx) => ({ provider: 'throwaway', config: 'provider=throwaway role=server api_key=throwaway-key-not-real endpoint=' + ctx.httpUrl, env: {} }),
};
`,
  );
}

function gitStatus(): string {
  return execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' });
}

test('a new provider is one folder and one composition line: found through the simulator, no other file changed', async (t) => {
  const before = gitStatus();
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-newprovider-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeThrowawayProvider(dir);
  // The one line a contributor adds to providers/index.ts, here through the composition API.
  const entries: ProviderEntry[] = [
    ...builtins(),
    {
      name: 'throwaway',
      provider: () => import(pathToFileURL(path.join(dir, 'index.mjs')).href),
      sim: () => import(pathToFileURL(path.join(dir, 'sim.mjs')).href),
    },
  ];
  const modules = await builtinSimModules(entries);
  t.true(modules.some((m) => m.provider === 'throwaway'));

  // `discover sim` prints its paste block with the built-ins', from its demo slice.
  const printed: string[] = [];
  const stop = new AbortController();
  const running = runSim({ modules, format: 'json', stdout: (text) => printed.push(text), signal: stop.signal });
  const paste = await new Promise<SimPasteData>((resolve, reject) => {
    const poll = setInterval(() => {
      if (printed.length > 0) {
        clearInterval(poll);
        resolve(JSON.parse(printed[0] as string) as SimPasteData);
      }
    }, 5);
    running.catch((error) => {
      clearInterval(poll);
      reject(error);
    });
  });
  const block = paste.blocks.find((b) => b.provider === 'throwaway');
  t.truthy(block, 'discover sim prints the new provider');
  const engine = new Discover({ builtins: entries });
  t.deepEqual(await engine.addrs(block?.config ?? ''), ['10.99.0.1', '10.99.0.2']);
  stop.abort();
  await running;

  // Validation, secrets and the generated doc come from the descriptor alone.
  const checked = await engine.check('provider=throwaway endpoint=http://127.0.0.1:1 role=x api_key=SECRET');
  t.is(checked.redacted, 'provider=throwaway api_key=*** endpoint=http://127.0.0.1:1 role=x');
  t.regex(providerMarkdown(await engine.provider('throwaway')), /`api_key`/);
  await t.throwsAsync(engine.addrs('provider=throwaway endpoint=http://127.0.0.1:1'), { code: 'ERR_PROVIDER_ARGS', message: /"role"/ });

  // Its fleet fields are checked like a built-in's, and a wrong key is refused by its simulator.
  const sim = await startTestSim(t, demoFleet(modules), modules);
  await t.throwsAsync(engine.addrs(`provider=throwaway role=server api_key=wrong endpoint=${sim.httpUrl}`), { message: /401/ });
  t.is(gitStatus(), before, 'no file of the repository changed');
});

/** Packs a folder with npm and returns the tarball's path. */
function pack(folder: string, into: string): string {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', into], { cwd: folder, encoding: 'utf8', env: childEnv() })
    .trim()
    .split('\n')
    .pop() as string;
  return path.join(into, name);
}

test('the example plugin, installed from its packed tarball outside the repo: help, check, addrs, join and discover sim', async (t) => {
  const project = mkdtempSync(path.join(tmpdir(), 'autojoin-user-'));
  t.teardown(() => rmSync(project, { recursive: true, force: true }));
  const tarball = pack(path.join(ROOT, 'examples/autojoin-provider-inventory'), project);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, dependencies: { autojoin: `file:${ROOT}`, 'autojoin-provider-inventory': `file:${tarball}` } }),
  );
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, stdio: 'ignore', env: childEnv() });
  const discover = path.join(project, 'node_modules/.bin/discover');
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(discover, args, { cwd: project, env: childEnv() }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  const plugin = ['--plugin', 'autojoin-provider-inventory'];

  const help = await run([...plugin, 'help', 'inventory']);
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /provider=inventory/);
  const checked = await run([...plugin, 'check', 'provider=inventory', 'url=http://127.0.0.1:1', 'group=g', 'token=SECRET']);
  t.is(checked.code, 0, checked.stderr);
  t.regex(checked.stdout, /token=\*\*\*/);
  t.notRegex(checked.stdout + checked.stderr, /SECRET/);

  // Its simulated API is served by `discover sim` next to the built-ins, and addrs reads it.
  const sim = spawn(discover, [...plugin, '--format', 'json', 'sim', '--port', '0'], { cwd: project, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => sim.kill('SIGINT'));
  const paste = await new Promise<SimPasteData>((resolve, reject) => {
    let out = '';
    sim.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as SimPasteData);
    });
    sim.once('exit', (code) => reject(new Error(`discover sim exited with ${code}`)));
  });
  const block = paste.blocks.find((b) => b.provider === 'inventory');
  t.truthy(block, 'the plugin has a paste block');
  t.true(
    paste.blocks.some((b) => b.provider === 'aws'),
    'the built-ins are still served',
  );
  const found = await run([...plugin, '-q', 'addrs', block?.config ?? '']);
  t.is(found.code, 0, found.stderr);
  t.is(found.stdout, '10.9.0.11 10.9.0.12\n');
  // discover join finds the plugin's peers through the same simulator (plugin flag after `join` too).
  const joined = await run(['join', ...plugin, '-q', '--default-port', '4648', block?.config ?? '']);
  t.is(joined.code, 0, joined.stderr);
  t.is(joined.stdout, '10.9.0.11:4648 10.9.0.12:4648\n');
});

test('the example plugin passes its own tests (node --test) against the installed autojoin', async (t) => {
  const project = mkdtempSync(path.join(tmpdir(), 'autojoin-plugin-'));
  t.teardown(() => rmSync(project, { recursive: true, force: true }));
  const tarball = pack(path.join(ROOT, 'examples/autojoin-provider-inventory'), project);
  execFileSync('tar', ['-xzf', tarball, '-C', project]);
  const folder = path.join(project, 'package');
  writeFileSync(
    path.join(folder, 'index.test.js'),
    await import('node:fs').then((fs) => fs.readFileSync(path.join(ROOT, 'examples/autojoin-provider-inventory/index.test.js'))),
  );
  execFileSync('mkdir', ['-p', path.join(folder, 'node_modules')]);
  execFileSync('ln', ['-s', ROOT, path.join(folder, 'node_modules/autojoin')]);
  const out = execFileSync(process.execPath, ['--test', 'index.test.js'], { cwd: folder, encoding: 'utf8', env: childEnv() });
  t.regex(out, /# pass 2/);
  t.regex(out, /# fail 0/);
});

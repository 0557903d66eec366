// examples/intro-cluster run as a user runs it: `discover sim` serves a Consul catalog and the
// intro JWKS; two server processes join each other with retryJoin and admit clients with
// admitRegistration; client processes join the servers with retryJoin, presenting tokens.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { base64url, decodeJwt, UnsecuredJWT } from 'jose';
import { createIntroToken, INTRO_VIOLATION_METRIC } from '../src/intro/index.js';
import { CLI, childEnv, ROOT } from './helpers/cli.js';

/** A process whose output is kept, with a wait for a line; killed at teardown. */
interface Proc {
  child: ChildProcessByStdio<null, Readable, Readable>;
  out(): string;
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<number>;
}

function start(t: ExecutionContext, args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Proc {
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? ROOT, env: childEnv(options.env) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) return resolve(match);
        if (child.exitCode !== null) return reject(new Error(`exited with ${child.exitCode} before ${pattern}:\n${output}`));
        waiters.push(check);
      };
      child.once('exit', () => waiters.push(check) && onData(Buffer.alloc(0)));
      check();
    });
  return { child, out: () => output, waitFor, exited };
}

/** A free port on `host` (the fleet must name the servers' ports before they start). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The example copied outside the repo, with node_modules/autojoin linked to this checkout (as a user's project). */
function installExample(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-intro-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(ROOT, 'examples/intro-cluster'), dir, { recursive: true });
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(ROOT, path.join(dir, 'node_modules/autojoin'), 'dir');
  return dir;
}

async function cluster(t: ExecutionContext, enforcement: 'strict' | 'warn', subnet: number) {
  const dir = installExample(t);
  const ips = [`127.77.${subnet}.11`, `127.77.${subnet}.12`];
  const ports = await Promise.all(ips.map(freePort));
  const services = ips.map((ip, i) => `  - { node: server-${i + 1}, node_address: ${ip}, service: nomad, port: ${ports[i]}, tags: [rpc] }`);
  writeFileSync(path.join(dir, 'fleet.yaml'), `instances: []\nservices:\n${services.join('\n')}\nintro: { enforcement: ${enforcement} }\n`);
  const sim = start(t, [CLI, 'sim', '--fleet', path.join(dir, 'fleet.yaml'), '--port', '0']);
  const simUrl = (await sim.waitFor(/# autojoin simulator on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  const entry = `provider=consul service=nomad tag=rpc address=${simUrl}`;
  const jtiDir = path.join(dir, 'jti');
  const servers = ips.map((ip, i) =>
    start(
      t,
      [
        'server.mjs',
        '--listen',
        `${ip}:${ports[i]}`,
        '--peers',
        entry,
        '--jwks',
        `${simUrl}/.well-known/jwks.json`,
        '--enforcement',
        enforcement,
        '--jti-dir',
        jtiDir,
      ],
      {
        cwd: dir,
      },
    ),
  );
  // Servers are up once they joined each other through the sim's catalog.
  await Promise.all(servers.map((s) => s.waitFor(/agent\.joiner: retry join completed: initial_servers=1/)));
  const intro = await (await fetch(`${simUrl}/_sim/intro`)).json();
  const key = JSON.parse(readFileSync(intro.key_file, 'utf8'));
  const mint = async (NodePool: string, NodeName: string) => {
    const response = await fetch(`${simUrl}/v1/acl/identity/client-introduction-token`, { method: 'PUT', body: JSON.stringify({ NodePool, NodeName }) });
    return ((await response.json()) as { JWT: string }).JWT;
  };
  const violations = async () => {
    let total = 0;
    for (const [i, ip] of ips.entries()) {
      const metrics = (await (await fetch(`http://${ip}:${ports[i]}/v1/metrics`)).json()) as { Counters: Array<{ Name: string; Count: number }> };
      total += metrics.Counters.find((c) => c.Name === INTRO_VIOLATION_METRIC)?.Count ?? 0;
    }
    return total;
  };
  const serverLog = () => servers.map((s) => s.out()).join('');
  const client = async (name: string, pool: string, token?: string, extra: string[] = []) => {
    const proc = start(t, ['client.mjs', '--name', name, '--pool', pool, '--servers', entry, ...extra], {
      cwd: dir,
      env: { NOMAD_CLIENT_INTRO_TOKEN: token },
    });
    const code = await proc.exited;
    return { code, out: proc.out() };
  };
  /** A registration sent as a client without retryJoin's expiry guard would send it (Nomad's own client has none). */
  const rawRegister = (node: { ID: string; Name: string; NodePool: string }, token: string) =>
    fetch(`http://${ips[0]}:${ports[0]}/v1/node/register`, { method: 'PUT', headers: { 'X-Nomad-Token': token }, body: JSON.stringify({ Node: node }) });
  return { key, mint, violations, serverLog, client, rawRegister };
}

const DENIED = '[ERROR] client: error registering: error="rpc error: Permission denied"';

test("strict: a good token is admitted; every bad or missing one is refused with Nomad's line and the counter raised", async (t) => {
  const c = await cluster(t, 'strict', 1);
  const good = await c.mint('default', 'web-1');

  const admitted = await c.client('web-1', 'default', good);
  t.is(admitted.code, 0, admitted.out);
  t.regex(admitted.out, /client: node registration complete/);
  t.false(admitted.out.includes(good), 'the client never prints its token');
  t.is(await c.violations(), 0);

  /** Runs a refused case: the client's Nomad line, the server's line (node fields and claims), +2 on the counter (two attempts). */
  const refused = async (name: string, pool: string, token: string | undefined, serverLine: RegExp) => {
    const before = await c.violations();
    const result = await c.client(name, pool, token);
    t.is(result.code, 1, result.out);
    t.true(result.out.includes(DENIED), result.out);
    t.regex(c.serverLog(), serverLine);
    t.is(await c.violations(), before + 2, `${name}: one violation per attempt`);
    if (token) t.false(result.out.includes(token) || c.serverLog().includes(token), 'no token in any output');
  };
  const fields = (name: string, pool: string) => `enforcement_level=strict node_id=[0-9a-f-]{36} node_pool=${pool} node_name=${name}`;

  await refused(
    'web-2',
    'default',
    undefined,
    new RegExp(`\\[ERROR\\] nomad\\.client: node registration without introduction token: ${fields('web-2', 'default')}\\n`),
  );
  await refused(
    'web-3',
    'default',
    await c.mint('gpu', 'web-3'),
    new RegExp(
      `\\[ERROR\\] nomad\\.client: node registration introduction claims mismatch: ${fields('web-3', 'default')} claim_node_pool=gpu claim_node_name=web-3\\n`,
    ),
  );
  await refused(
    'web-4',
    'default',
    await c.mint('default', 'web-9'),
    new RegExp(
      `\\[ERROR\\] nomad\\.client: node registration introduction claims mismatch: ${fields('web-4', 'default')} claim_node_pool=default claim_node_name=web-9\\n`,
    ),
  );
  const [h, p, s] = (await c.mint('default', 'web-5')).split('.');
  const tampered = `${h}.${base64url.encode(JSON.stringify({ ...decodeJwt(`${h}.${p}.${s}`), nomad_node_pool: 'default', nomad_node_name: '', sub: 'node-introduction:global:default::default' }))}.${s}`;
  await refused('web-5', 'default', tampered, new RegExp(`authentication failure: ${fields('web-5', 'default')} error="invalid signature"\\n`));
  await refused(
    'web-1',
    'default',
    good,
    new RegExp(`authentication failure: ${fields('web-1', 'default')} error="token jti [0-9a-f-]{36} was used before"\\n`),
  );
  const none = new UnsecuredJWT({ ...decodeJwt(good), jti: crypto.randomUUID() }).encode();
  await refused(
    'web-1',
    'default',
    none,
    new RegExp(`authentication failure: ${fields('web-1', 'default')} error="algorithm \\\\"none\\\\" is not allowed \\(only RS256, EdDSA\\)"\\n`),
  );

  // Expired: our client refuses to start and says when; a client without that guard is refused by the server.
  const expired = await createIntroToken({ key: c.key, nodePool: 'default', nodeName: 'web-6', now: () => Date.now() - 3_600_000 });
  const stale = await c.client('web-6', 'default', expired);
  t.is(stale.code, 2);
  t.regex(stale.out, /intro token \(from env\) expired at \S+Z, 5\dm\d+s ago; create a new one/);
  const before = await c.violations();
  const answer = await c.rawRegister({ ID: crypto.randomUUID(), Name: 'web-6', NodePool: 'default' }, expired);
  t.is(answer.status, 403);
  t.is(await answer.text(), 'Permission denied');
  t.regex(c.serverLog(), new RegExp(`authentication failure: ${fields('web-6', 'default')} error="token is expired \\(exp\\)"\\n`));
  t.is(await c.violations(), before + 1);
});

test('warn: an anonymous client is admitted with the warning, counted; a token for another pool is still refused', async (t) => {
  const c = await cluster(t, 'warn', 2);
  const anonymous = await c.client('web-1', 'default');
  t.is(anonymous.code, 0, anonymous.out);
  t.regex(
    c.serverLog(),
    /\[WARN\] nomad\.client: node registration without introduction token: enforcement_level=warn node_id=[0-9a-f-]{36} node_pool=default node_name=web-1\n/,
  );
  t.is(await c.violations(), 1);
  const otherPool = await c.client('web-2', 'default', await c.mint('gpu', ''));
  t.is(otherPool.code, 1);
  t.regex(c.serverLog(), /\[ERROR\] nomad\.client: node registration introduction claims mismatch: enforcement_level=warn .* claim_node_pool=gpu\n/);
  t.is(await c.violations(), 3);
});

/**
 * provider=triton through the engine against the simulator's CloudAPI on 127.0.0.1, signed by a
 * real `ssh-agent` started here (keys made by `ssh-keygen`, loaded with `ssh-add`) and by key
 * files: every page, every argument, refused keys, accounts and skewed dates, every fault kind,
 * tinyproxy, and no key material in any output.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { checkPagesInFlight } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';
import triton, { createTritonProvider } from './index.js';
import tritonSim, { API_NAME } from './sim.js';

const ACCOUNT = 'acct';
const engine = new Discover({ builtins: false, providers: [triton] });
const dir = mkdtempSync(join(tmpdir(), 'autojoin-triton-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A key made by ssh-keygen: its files and its fingerprints as ssh-keygen prints them. */
function keygen(name: string, type: 'rsa' | 'ed25519', pem = false) {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), ...(pem ? ['-m', 'PEM'] : []), '-N', '', '-C', name, '-f', file]);
  const fp = (hash: string) => execFileSync('ssh-keygen', ['-l', '-E', hash, '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
  return { file, pub: readFileSync(`${file}.pub`, 'utf8'), md5: fp('md5').replace(/^MD5:/, ''), sha256: fp('sha256') };
}
const RSA = keygen('id_rsa', 'rsa');
const RSA_PEM = keygen('id_rsa_pem', 'rsa', true);
const ED = keygen('id_ed25519', 'ed25519');
const OTHER = keygen('id_other', 'rsa');

/** A real ssh-agent on a socket of its own, stopped (by its pid) when the test ends. */
async function startAgent(t: ExecutionContext, keys: string[]): Promise<string> {
  const socket = join(mkdtempSync(join(tmpdir(), 'autojoin-agent-')), 'agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    agent.kill();
  });
  // `ssh-agent -D` prints `SSH_AUTH_SOCK=...` once it listens.
  await new Promise<void>((resolve, reject) => {
    let out = '';
    agent.stdout?.on('data', (chunk) => {
      out += chunk;
      if (out.includes('SSH_AUTH_SOCK=')) resolve();
    });
    agent.once('exit', (code) => reject(new Error(`ssh-agent exited ${code}: ${out}`)));
  });
  for (const key of keys) execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
  return socket;
}

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env, AUTOJOIN_LOOPBACK_ONLY: '1' };
  for (const name of Object.keys(base)) if (/_proxy$/i.test(name) || /^(TRITON_|SDC_|SSH_AUTH_SOCK$)/.test(name)) delete base[name];
  return { ...base, ...extra };
}

const ip = (i: number) => `10.40.${i >> 8}.${i & 255}`;
function fleet(n: number, publicKey: string, extra: FleetInstance[] = [], pageSize?: number): Fleet {
  const instances: FleetInstance[] = Array.from({ length: n }, (_, i) => ({
    id: `m-${i}`,
    cloud: 'triton',
    name: `srv-${i}`,
    tags: { role: 'consul-server' },
    private_ipv4: ip(i),
  }));
  return {
    credentials: { triton: { account: ACCOUNT, public_key: publicKey } },
    instances: [...instances, ...extra],
    services: [],
    ...(pageSize ? { page_size: { [API_NAME]: pageSize } } : {}),
  };
}
const all = (n: number) => Array.from({ length: n }, (_, i) => ip(i));
const cfg = (url: string, keyId: string, more = '') =>
  `provider=triton account=${ACCOUNT} url=${url} key_id=${keyId} tag_key=role tag_value=consul-server ${more}`.trim();
const addrs = (config: string, e: Record<string, string | undefined> = env(), d = engine, extra: { timeout?: number; signal?: AbortSignal } = {}) =>
  d.addrs(config, { env: e, timeout: extra.timeout ?? 30_000, ...(extra.signal ? { signal: extra.signal } : {}) });

test('ssh-agent (RSA, rsa-sha256): every page (250 machines, 100 a page), running machines with the tag only', async (t) => {
  const socket = await startAgent(t, [RSA.file]);
  const others: FleetInstance[] = [
    { id: 'm-stopped', cloud: 'triton', state: 'stopped', tags: { role: 'consul-server' }, private_ipv4: '10.41.0.1' },
    { id: 'm-client', cloud: 'triton', tags: { role: 'consul-client' }, private_ipv4: '10.41.0.2' },
    { id: 'm-noip', cloud: 'triton', tags: { role: 'consul-server' } },
  ];
  const sim = await startTestSim(t, fleet(250, RSA.pub, others, 100), [tritonSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl, RSA.md5), env({ SSH_AUTH_SOCK: socket })), all(250));
  t.is(sim.counts()[API_NAME], 3);
});

/** The `offset` of a ListMachines request (-1 for another request). */
const offsetOf = (path: string) => Number(new URL(path, 'http://x').searchParams.get('offset') ?? -1);

test('pages after the first are read 4 at a time (never more), each signed by the agent, at the offsets of the served page size; every machine in order', async (t) => {
  const socket = await startAgent(t, [RSA.file]);
  const sim = await startTestSim(t, fleet(45, RSA.pub, [], 5), [tritonSim]);
  // Nine pages of five (the server serves 5 of the 1000 asked): the gate holds pages 2.. until four
  // wait at once. The simulator verifies each page's signature; one refused would fail the lookup.
  await checkPagesInFlight(t, sim.httpUrl, 4, {
    pageOf: (request) => offsetOf(request.path),
    held: (offset) => offset > 0,
    lookup: (url) => addrs(cfg(url, RSA.md5), env({ SSH_AUTH_SOCK: socket }), engine, { timeout: 20_000 }),
    addresses: all(45),
    pages: [0, 5, 10, 15, 20, 25, 30, 35, 40],
  });
  t.is(sim.counts()[API_NAME], 9);
});

test('key_id as ssh-keygen prints it: MD5:..., SHA256:...; account, url and key id from TRITON_* and SDC_*', async (t) => {
  const socket = await startAgent(t, [OTHER.file, RSA.file]);
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl, `MD5:${RSA.md5}`), env({ SSH_AUTH_SOCK: socket })), all(3));
  t.deepEqual(await addrs(cfg(sim.httpUrl, RSA.sha256), env({ SSH_AUTH_SOCK: socket })), all(3));
  const bare = 'provider=triton tag_key=role tag_value=consul-server';
  t.deepEqual(await addrs(bare, env({ SSH_AUTH_SOCK: socket, TRITON_ACCOUNT: ACCOUNT, TRITON_URL: sim.httpUrl, TRITON_KEY_ID: RSA.md5 })), all(3));
  t.deepEqual(await addrs(bare, env({ SSH_AUTH_SOCK: socket, SDC_ACCOUNT: ACCOUNT, SDC_URL: sim.httpUrl, SDC_KEY_ID: RSA.md5 })), all(3));
});

test('an Ed25519 key, in the agent and as a key file (ed25519-sha512)', async (t) => {
  const socket = await startAgent(t, [ED.file]);
  const sim = await startTestSim(t, fleet(3, ED.pub), [tritonSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl, ED.md5), env({ SSH_AUTH_SOCK: socket })), all(3));
  t.deepEqual(await addrs(cfg(sim.httpUrl, ED.md5, `key_file=${ED.file}`)), all(3));
});

test('key_file beyond go-discover: OpenSSH and PEM RSA files, no agent needed', async (t) => {
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${RSA.file}`)), all(3));
  const pemSim = await startTestSim(t, fleet(3, RSA_PEM.pub), [tritonSim]);
  t.deepEqual(await addrs(cfg(pemSim.httpUrl, RSA_PEM.md5), env({ TRITON_KEY_FILE: RSA_PEM.file })), all(3));
});

const fileCfg = (url: string) => cfg(url, RSA.md5, `key_file=${RSA.file}`);
/** The lines of the private keys: none may appear in any output. */
const keyLines = () => [...readFileSync(RSA.file, 'utf8').split('\n'), ...readFileSync(OTHER.file, 'utf8').split('\n')].filter((l) => l.length > 40);

/** The sim (started by the caller) and the lookup of `config` (with `extra` variables) against it, for the shared fault scenarios. */
function faulty(sim: RunningSim, config = fileCfg(sim.httpUrl), extra: Record<string, string> = {}): faults.FaultTarget {
  return { sim, api: API_NAME, lookup: (options = {}) => engine.addrs(config, { timeout: 30_000, ...options, env: env({ ...extra, ...options.env }) }) };
}

test('a key the account does not have: 401 InvalidCredentials naming key_id, one attempt', async (t) => {
  const socket = await startAgent(t, [OTHER.file]);
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  const refused = new RegExp(`^discover-triton: ListMachines failed: 401 InvalidCredentials: the key ${OTHER.md5} \\(key_id\\) was refused for account acct`);
  await faults.checkCredentialRefused(t, faulty(sim, cfg(sim.httpUrl, OTHER.md5), { SSH_AUTH_SOCK: socket }), keyLines(), {
    instanceOf: ProviderError,
    message: refused,
  });
});

test('a forged signature (the account key id, another key file) is refused as CloudAPI refuses it', async (t) => {
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  // key_file must match key_id: the mismatch is caught before any request.
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${OTHER.file}`)), {
    instanceOf: ProviderError,
    message: /key_file .* holds the key .*, not key_id/,
  });
  t.is(sim.counts()[API_NAME] ?? 0, 0);
  sim.setFaults(API_NAME, { auth_reject: true });
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${RSA.file}`)), {
    instanceOf: ProviderError,
    message: /401 InvalidCredentials: .*Invalid authorization credentials supplied$/,
  });
  t.is(sim.counts()[API_NAME], 1);
});

test('another account: 403 NotAuthorized naming the account', async (t) => {
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${RSA.file}`).replace(`account=${ACCOUNT}`, 'account=someone')), {
    instanceOf: ProviderError,
    message: /403 NotAuthorized: account someone was refused/,
  });
});

test('a date 10 minutes off is refused (clock skew), 2 minutes passes', async (t) => {
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  const slow = new Discover({ builtins: false, providers: [createTritonProvider({ now: () => Date.now() - 600_000 })] });
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${RSA.file}`), env(), slow), {
    instanceOf: ProviderError,
    message: /400 InvalidHeader: clock skew/,
  });
  t.is(sim.counts()[API_NAME], 1);
  const near = new Discover({ builtins: false, providers: [createTritonProvider({ now: () => Date.now() - 120_000 })] });
  t.deepEqual(await addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${RSA.file}`), env(), near), all(3));
});

test('no agent and no key file, a key not in the agent, an unreadable file: clear signer errors before any request', async (t) => {
  const sim = await startTestSim(t, fleet(3, RSA.pub), [tritonSim]);
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5)), { instanceOf: ProviderError, message: /SSH_AUTH_SOCK is not set/ });
  const socket = await startAgent(t, [OTHER.file]);
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5), env({ SSH_AUTH_SOCK: socket })), {
    instanceOf: ProviderError,
    message: /is not among the 1 key\(s\) in the ssh-agent/,
  });
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5), env({ SSH_AUTH_SOCK: join(dir, 'no-such.sock') })), {
    instanceOf: ProviderError,
    message: /ssh-agent at SSH_AUTH_SOCK: ENOENT/,
  });
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${join(dir, 'missing')}`)), { instanceOf: ProviderError, message: /cannot be used: ENOENT/ });
  const encrypted = join(dir, 'id_enc');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'passphrase1', '-f', encrypted]);
  await t.throwsAsync(addrs(cfg(sim.httpUrl, RSA.md5, `key_file=${encrypted}`)), { instanceOf: ProviderError, message: /encrypted with a passphrase/ });
  t.is(sim.counts()[API_NAME] ?? 0, 0);
});

test('strict arguments: account, key_id and url required; tag_key needs tag_value', async (t) => {
  for (const [config, key] of [
    ['provider=triton key_id=aa url=http://127.0.0.1:1', 'account'],
    ['provider=triton account=a url=http://127.0.0.1:1', 'key_id'],
    ['provider=triton account=a key_id=aa', 'url'],
    ['provider=triton account=a key_id=aa url=http://127.0.0.1:1 tag_key=x', 'tag_value'],
  ] as const) {
    const err = await t.throwsAsync(addrs(config), { instanceOf: ProviderArgsError });
    t.regex(err?.message ?? '', new RegExp(key));
  }
});

// --- faults -----------------------------------------------------------------------------------

test('429 RequestThrottled twice, then success; every call throttled: 4 attempts', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3, RSA.pub), [tritonSim]));
  await faults.checkFaultRecovers(t, target, { error: 'throttle', error_count: 2 }, { found: all(3), attempts: 3 });
  await faults.checkFaultFails(t, target, { error: 'throttle' }, { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', attempts: 4 });
});

test('500 once is retried; 503 on every call fails after 4 attempts', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3, RSA.pub), [tritonSim]));
  await faults.checkFaultRecovers(t, target, { error: 'server', error_count: 1 }, { found: all(3), attempts: 2 });
  await faults.checkFaultFails(t, target, { error: 'unavailable' }, { instanceOf: ProviderError, message: /503 ServiceUnavailableError/, attempts: 4 });
});

test('malformed, truncated, reset, latency and abort', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3, RSA.pub), [tritonSim]));
  await faults.checkFaultFails(t, target, { malformed: true }, { instanceOf: MalformedResponseError, attempts: 1 });
  await faults.checkResetAndTruncated(t, target, 'discover-triton: ListMachines failed: ');
  await faults.checkTimeoutAndAbort(t, target, { provider: 'triton' });
});

test('a rate limit throttles pages and every one is still read; machines appearing later are not listed', async (t) => {
  const late: FleetInstance = { id: 'm-late', cloud: 'triton', tags: { role: 'consul-server' }, private_ipv4: '10.41.0.9' };
  const target = faulty(await startTestSim(t, fleet(12, RSA.pub, [], 3), [tritonSim]));
  await faults.checkRateLimit(t, target, { rps: 20, burst: 1, found: all(12) });
  await faults.checkAppearsLater(t, target, late, { before: all(12), after: [...all(12), '10.41.0.9'] });
});

test('a later page failing fails the whole call (no partial list); a throttled page is read once more alone first', async (t) => {
  const target = faulty(await startTestSim(t, fleet(12, RSA.pub, [], 3), [tritonSim]));
  // Page 1, then pages 2, 3 and 4 at once, all refused as throttled: page 2 is read once more alone,
  // refused again, and that ends the call.
  const limit = { rate_limit: { rps: 0.001, burst: 1 } };
  await faults.checkFaultFails(t, target, limit, { code: 'ERR_PROVIDER_THROTTLED', attempts: 5 }, { maxAttempts: 1 });
});

test('HTTP_PROXY carries the signed GETs (tinyproxy log), agent-signed', async (t) => {
  const socket = await startAgent(t, [RSA.file]);
  const sim = await startTestSim(t, fleet(30, RSA.pub), [tritonSim]);
  await faults.checkProxy(t, faulty(sim, cfg(sim.httpUrl, RSA.md5), { SSH_AUTH_SOCK: socket }), { found: all(30), secrets: keyLines() });
});

test('no key material in check, addrs --format json or a refusal', async (t) => {
  const sim = await startTestSim(t, fleet(2, RSA.pub), [tritonSim]);
  const args = fileCfg(sim.httpUrl).split(' ');
  await faults.checkCliHidesSecrets(t, faults.inProcessCli(env()), {
    check: { args },
    addrs: { args, addresses: all(2) },
    refused: { args: cfg(sim.httpUrl, RSA.md5, `key_file=${OTHER.file}`).split(' '), says: /key_file .* holds the key .*, not key_id/ },
    secrets: keyLines(),
  });
});

test('the paste block of the demo fleet works as printed (the sim makes the key)', async (t) => {
  const demo = tritonSim.fleet?.demo as Fleet;
  const sim = await startTestSim(t, { credentials: demo.credentials, instances: demo.instances, services: [] }, [tritonSim]);
  const paste = tritonSim.paste?.(sim.ctx);
  t.truthy(paste);
  t.deepEqual(await addrs(paste?.config as string, env(paste?.env)), ['10.9.0.11', '10.9.0.12', '10.9.0.13']);
});

writeFileSync(join(dir, 'README'), 'keys made by triton.test.ts; removed at exit\n');

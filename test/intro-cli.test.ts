// `discover intro ...` and `discover join` presenting a token, run as a user runs them (the built CLI).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { decodeJwt } from 'jose';
import { createIntroToken, generateIntroKey } from '../src/intro/index.js';
import { runDiscover } from './helpers/cli.js';

async function folder(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-intro-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function keyFolder(t: ExecutionContext) {
  const dir = await folder(t);
  const result = await runDiscover(['intro', 'keygen', '-kid', 'root-1', '-out', dir]);
  t.is(result.code, 0, result.stderr);
  return dir;
}

test('keygen writes a private key only its owner reads, and a public JWKS; it never overwrites a key', async (t) => {
  const dir = await keyFolder(t);
  t.is((await stat(join(dir, 'intro-key.jwk'))).mode & 0o777, 0o600);
  const jwks = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8'));
  t.like(jwks.keys[0], { kid: 'root-1', alg: 'EdDSA', kty: 'OKP', use: 'sig' });
  t.false('d' in jwks.keys[0]);
  const again = await runDiscover(['intro', 'keygen', '-out', dir]);
  t.is(again.code, 2);
  t.regex(again.stderr, /intro-key\.jwk: it exists/);
});

test("create: Nomad's flags, output text and -json; the TTL clamp warns as Nomad's server does", async (t) => {
  const dir = await keyFolder(t);
  const key = join(dir, 'intro-key.jwk');
  const text = await runDiscover(['intro', 'create', '-key', key, '-node-pool', 'gpu', '-node-name', 'gpu-7', '-ttl', '10m']);
  t.is(text.code, 0, text.stderr);
  const match = /^Successfully generated client introduction token:\n\n(\S+)\n$/.exec(text.stdout);
  t.truthy(match);
  const claims = decodeJwt(match?.[1] ?? '');
  t.like(claims, { nomad_node_pool: 'gpu', nomad_node_name: 'gpu-7', sub: 'node-introduction:global:gpu:gpu-7:default' });
  t.is((claims.exp ?? 0) - (claims.iat ?? 0), 600);

  const json = await runDiscover(['intro', 'create', '--key', key, '-json', '-ttl', '1h']);
  t.is(json.code, 0);
  t.regex(json.stdout, /^\{\n {4}"JWT": "[\w-]+\.[\w-]+\.[\w-]+"\n\}\n$/);
  const clamped = decodeJwt(JSON.parse(json.stdout).JWT);
  t.is((clamped.exp ?? 0) - (clamped.iat ?? 0), 1800);
  t.is(clamped.nomad_node_pool, 'default');
  t.is(
    json.stderr,
    '[WARN] nomad.acl: node introduction identity TTL request exceeds server maximum, using server maximum: requested_ttl=1h0m0s server_max_ttl=30m0s\n',
  );
});

test("create: a bad TTL is Nomad's error text, exit 2; a missing key is named", async (t) => {
  const dir = await keyFolder(t);
  const bad = await runDiscover(['intro', 'create', '-key', join(dir, 'intro-key.jwk'), '-ttl', '5x']);
  t.is(bad.code, 2);
  t.is(bad.stderr, 'Error parsing TTL: time: invalid duration "5x"\n');
  const noKey = await runDiscover(['intro', 'create']);
  t.is(noKey.code, 2);
  t.regex(noKey.stderr, /-key FILE is required/);
});

test('inspect prints claims and human expiry, and says the signature was not checked', async (t) => {
  const key = await generateIntroKey({ kid: 'k' });
  const token = await createIntroToken({ key: key.privateJwk, nodePool: 'gpu', ttl: '5m' });
  const result = await runDiscover(['intro', 'inspect', token]);
  t.is(result.code, 0);
  t.regex(result.stdout, /^Node pool: +gpu$/m);
  t.regex(result.stdout, /^Node name: +\(any\)$/m);
  t.regex(result.stdout, /^Expires: +\S+Z \(in [0-4]m\d+s\)$/m);
  t.regex(result.stdout, /Signature NOT checked/);
  const old = await createIntroToken({ key: key.privateJwk, ttl: '5m', now: () => Date.now() - 3_600_000 });
  const viaEnv = await runDiscover(['intro', 'inspect', '-json'], { env: { NOMAD_CLIENT_INTRO_TOKEN: old } });
  t.like(JSON.parse(viaEnv.stdout), { expired: true, signature_checked: false });
  const garbage = await runDiscover(['intro', 'inspect', 'secret-garbage']);
  t.is(garbage.code, 1);
  t.false(garbage.stderr.includes('secret-garbage'));
});

test('verify: exit 0 admitted, 1 refused with the reason, 2 usage', async (t) => {
  const dir = await keyFolder(t);
  const jwks = join(dir, 'jwks.json');
  const key = JSON.parse(await readFile(join(dir, 'intro-key.jwk'), 'utf8'));
  const token = await createIntroToken({ key, nodePool: 'gpu', nodeName: 'gpu-7' });
  const ok = await runDiscover(['intro', 'verify', token, '-jwks', jwks, '-node-pool', 'gpu', '-node-name', 'gpu-7']);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /^Admitted: node pool "gpu", node name "gpu-7", region global, key root-1 \(EdDSA\)\nExpires: \S+ \(in [0-4]m\d+s\)\n$/);

  const otherName = await runDiscover(['intro', 'verify', token, '-jwks', jwks, '-node-pool', 'gpu', '-node-name', 'gpu-8']);
  t.is(otherName.code, 1);
  t.is(otherName.stdout, 'Refused: claims mismatch: the token is for node name "gpu-7", the node is "gpu-8"\n');

  const otherRegion = await runDiscover(['intro', 'verify', token, '-jwks', jwks, '-node-pool', 'gpu', '-region', 'eu', '-json']);
  t.is(otherRegion.code, 1);
  t.deepEqual(JSON.parse(otherRegion.stdout), { admitted: false, code: 'ERR_INTRO_REGION', reason: 'token is for region "global", not "eu"' });

  const stranger = await createIntroToken({ key: (await generateIntroKey({ kid: 'root-1' })).privateJwk, nodePool: 'gpu' });
  const forged = await runDiscover(['intro', 'verify', stranger, '-jwks', jwks, '-node-pool', 'gpu']);
  t.is(forged.code, 1);
  t.is(forged.stdout, 'Refused: invalid signature\n');

  const usage = await runDiscover(['intro', 'verify', token]);
  t.is(usage.code, 2);
  t.false(usage.stderr.includes(token));
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
// COMMAND prints a digest of the token it received: proves the hand-over without printing the token.
const PRINT_DIGEST = [
  process.execPath,
  '-e',
  "console.log('token-sha=' + require('crypto').createHash('sha256').update(process.env[process.argv[1]] || '').digest('hex'))",
];

test('join hands COMMAND the token (env beats flag) and never prints it, in text, -v or json', async (t) => {
  const key = await generateIntroKey({ kid: 'k' });
  const fromEnv = await createIntroToken({ key: key.privateJwk, ttl: '10m' });
  const fromFlag = await createIntroToken({ key: key.privateJwk, ttl: '10m' });
  for (const extra of [[], ['-v'], ['--format', 'json']]) {
    const result = await runDiscover(['join', ...extra, '--intro-token', fromFlag, '127.0.0.1:4647', '--', ...PRINT_DIGEST, 'NOMAD_CLIENT_INTRO_TOKEN'], {
      env: { NOMAD_CLIENT_INTRO_TOKEN: fromEnv },
    });
    t.is(result.code, 0, result.stderr);
    t.true(result.stdout.includes(`token-sha=${sha(fromEnv)}`), 'the variable beats the flag');
    for (const token of [fromEnv, fromFlag]) t.false(`${result.stdout}${result.stderr}`.includes(token), `no token in output (${extra.join(' ')})`);
  }
});

test('join reads the state dir file and hands it under the configured name', async (t) => {
  const key = await generateIntroKey({ kid: 'k' });
  const token = await createIntroToken({ key: key.privateJwk, ttl: '10m' });
  const dir = await folder(t);
  await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'intro_token.jwt'), `${token}\n`));
  const result = await runDiscover(['join', '--state-dir', dir, '--intro-token-env', 'MY_INTRO', '127.0.0.1:4647', '--', ...PRINT_DIGEST, 'MY_INTRO'], {
    env: { NOMAD_CLIENT_INTRO_TOKEN: undefined },
  });
  t.is(result.code, 0, result.stderr);
  t.true(result.stdout.includes(`token-sha=${sha(token)}`));
});

test('join refuses to start with an expired token (exit 2, when it expired) or a directory for the file', async (t) => {
  const key = await generateIntroKey({ kid: 'k' });
  const expiredAt = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const token = await createIntroToken({ key: key.privateJwk, ttl: '5m', now: () => expiredAt - 300_000 });
  const result = await runDiscover(['join', '--intro-token', token, '127.0.0.1:4647', '--', process.execPath, '-e', '']);
  t.is(result.code, 2);
  t.regex(result.stderr, new RegExp(`^intro token \\(from flag\\) expired at ${new Date(expiredAt).toISOString()}, 1h\\d+m\\d+s ago; create a new one\\n$`));
  t.false(result.stderr.includes(token));

  const dir = await folder(t);
  await mkdir(join(dir, 'intro_token.jwt'));
  const asDir = await runDiscover(['join', '--state-dir', dir, '127.0.0.1:4647'], { env: { NOMAD_CLIENT_INTRO_TOKEN: undefined } });
  t.is(asDir.code, 2);
  t.is(asDir.stderr, 'intro token file is a directory\n');
});

test('join warns when the token expires before the expected join (even without -v)', async (t) => {
  const key = await generateIntroKey({ kid: 'k' });
  const token = await createIntroToken({ key: key.privateJwk, ttl: '5m' });
  const warned = await runDiscover(
    ['join', '--intro-token', token, '--retry-interval', '1m', '--retry-max', '10', '127.0.0.1:4647', '--', process.execPath, '-e', ''],
    { env: { NOMAD_CLIENT_INTRO_TOKEN: undefined } },
  );
  t.is(warned.code, 0, warned.stderr);
  t.regex(warned.stderr, /\[WARN\] agent\.joiner: intro token expires before the expected join: expires_at=\S+Z expires_in=[0-4]m\d+s expected_join=10m0s\n/);
  t.false(`${warned.stderr}${warned.stdout}`.includes(token));
});

// The loop's stop at expiry is tested on a fake clock in intro-present; here, once through the real
// CLI: a token that lives 30 s (generous for a busy machine's start-up), and a command that fails
// only once the token has expired, so the loop's next check finds it expired whatever the load.
test('join stops with a typed error (exit 1) once the token has expired', async (t) => {
  const key = await generateIntroKey({ kid: 'k' });
  const token = await createIntroToken({ key: key.privateJwk, ttl: '30s' });
  const expMs = (decodeJwt(token).exp ?? 0) * 1000;
  const failAfterExpiry = [process.execPath, '-e', 'setTimeout(() => process.exit(1), Math.max(0, Number(process.argv[1]) - Date.now() + 500))', String(expMs)];
  const result = await runDiscover(['join', '-q', '--intro-token', token, '--retry-interval', '1s', '127.0.0.1:4647', '--', ...failAfterExpiry], {
    env: { NOMAD_CLIENT_INTRO_TOKEN: undefined },
    timeoutMs: 120_000,
  });
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /^retry join stopped: the intro token expired at \S+ after \d+ attempt\(s\) without a join; last error: .* exited with code 1\n$/);
  t.false(result.stderr.includes(token));
});

test("verify against a server's JWKS URL (the simulator playing Nomad), as an operator checks a token before boot", async (t) => {
  const { default: introSim } = await import('../src/intro/sim.js');
  const { validateFleet } = await import('../src/sim/load.js');
  const { startTestSim } = await import('./helpers/sim.js');
  const sim = await startTestSim(t, validateFleet({ instances: [], intro: { enforcement: 'strict', region: 'eu' } }, [introSim]), [introSim]);
  const minted = await fetch(`${sim.httpUrl}/v1/acl/identity/client-introduction-token`, { method: 'PUT', body: '{"NodePool":"gpu","TTL":"20m"}' });
  const { JWT: token } = (await minted.json()) as { JWT: string };
  const jwks = `${sim.httpUrl}/.well-known/jwks.json`;
  const ok = await runDiscover(['intro', 'verify', '-jwks', jwks, '-node-pool', 'gpu', '-node-name', 'gpu-1', '-region', 'eu'], {
    env: { NOMAD_CLIENT_INTRO_TOKEN: token },
  });
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /^Admitted: node pool "gpu", any node name, region eu, key [\w-]+ \(EdDSA\)\nExpires: \S+ \(in 1?\dm\d+s\)\n$/);
  const wrongRegion = await runDiscover(['intro', 'verify', '-jwks', jwks, '-node-pool', 'gpu'], { env: { NOMAD_CLIENT_INTRO_TOKEN: token } });
  t.is(wrongRegion.code, 1);
  t.is(wrongRegion.stdout, 'Refused: token is for region "eu", not "global"\n');
  await sim.close();
  const down = await runDiscover(['intro', 'verify', '-jwks', jwks, '-node-pool', 'gpu'], { env: { NOMAD_CLIENT_INTRO_TOKEN: token } });
  t.is(down.code, 1);
  t.regex(down.stdout, /^Refused: jwks http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json: cannot fetch: /);
  t.false(`${ok.stdout}${down.stdout}${down.stderr}`.includes(token));
});

// Client introduction tokens: minting in Nomad's format, the TTL rule, policy validation and
// every verification failure with its stable code.
import test from 'ava';
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT, importJWK } from 'jose';
import {
  createIntroToken,
  DEFAULT_INTRO_POLICY,
  generateIntroKey,
  INTRO_TOKEN_CODES,
  IntroPolicyError,
  IntroTokenError,
  introTTL,
  MemoryJtiStore,
  validateIntroPolicy,
  verifyIntroToken,
} from '../src/intro/index.js';
import type { Logger } from '../src/log.js';
import { UsageError } from '../src/errors.js';

const NOW = Date.UTC(2026, 11, 4, 22, 0, 0);
const now = () => NOW;

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`[${level}] ${message}`);
  return { lines, debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

const ed = await generateIntroKey({ kid: 'ed-key' });
const rsa = await generateIntroKey({ alg: 'RS256', kid: 'rsa-key' });
const other = await generateIntroKey({ kid: 'ed-key' }); // same kid, different key: a forger's
const keys = { keys: [ed.publicJwk, rsa.publicJwk] };

test("a token carries Nomad's claims and header, the name claim even when empty", async (t) => {
  const jwt = await createIntroToken({ nodePool: 'gpu', ttl: '10m', key: ed.privateJwk, now });
  const header = decodeProtectedHeader(jwt);
  t.deepEqual(header, { alg: 'EdDSA', kid: 'ed-key', typ: 'JWT' });
  const claims = decodeJwt(jwt);
  t.is(claims.nomad_node_pool, 'gpu');
  t.is(claims.nomad_node_name, '');
  t.true('nomad_node_name' in claims);
  t.is(claims.sub, 'node-introduction:global:gpu::default');
  t.is(claims.aud, 'nomadproject.io'); // one audience: a plain string, as go-jose writes it
  t.regex(claims.jti as string, /^[0-9a-f-]{36}$/);
  t.is(claims.iat, NOW / 1000);
  t.is(claims.nbf, NOW / 1000);
  t.is(claims.exp, NOW / 1000 + 600);
  t.false('iss' in claims);
});

test('pool defaults to default, RSA keys sign RS256, the issuer appears only when set', async (t) => {
  const jwt = await createIntroToken({ nodeName: 'web-1', region: 'eu', issuer: 'https://nomad.example', key: rsa.privateJwk, now });
  t.is(decodeProtectedHeader(jwt).alg, 'RS256');
  const claims = decodeJwt(jwt);
  t.is(claims.nomad_node_pool, 'default');
  t.is(claims.sub, 'node-introduction:eu:default:web-1:default');
  t.is(claims.iss, 'https://nomad.example');
});

// nomad/structs/acl_test.go TestACLClientIntroductionTokenRequest_IdentityTTL, plus the clamp's WARN.
for (const c of [
  { name: 'no ttl set', ttl: undefined, want: 5 * 60_000 },
  { name: 'ttl 0 is the default', ttl: '0', want: 5 * 60_000 },
  { name: 'ttl set in bounds', ttl: '25m', want: 25 * 60_000 },
  { name: 'ttl set exceeds bounds', ttl: '35m', want: 30 * 60_000 },
]) {
  test(`introTTL: ${c.name}`, (t) => {
    const logger = recordingLogger();
    t.is(introTTL(c.ttl, DEFAULT_INTRO_POLICY, logger), c.want);
    t.deepEqual(
      logger.lines,
      c.ttl === '35m'
        ? ['[WARN] nomad.acl: node introduction identity TTL request exceeds server maximum, using server maximum: requested_ttl=35m0s server_max_ttl=30m0s']
        : [],
    );
  });
}

test('introTTL refuses a negative or unparsable TTL (Nomad would sign a token that never expires)', (t) => {
  t.throws(() => introTTL('-5m'), { instanceOf: UsageError, message: /negative/ });
  t.throws(() => introTTL('5 minutes'), { instanceOf: UsageError, message: /ttl: invalid duration "5 minutes"/ });
});

test("validateIntroPolicy fills Nomad's defaults and reports its texts", (t) => {
  t.deepEqual(validateIntroPolicy({}), { enforcement: 'warn', defaultIdentityTtlMs: 300_000, maxIdentityTtlMs: 1_800_000 });
  t.deepEqual(validateIntroPolicy({ enforcement: 'strict', default_identity_ttl: '10m', max_identity_ttl: 3_600_000 }), {
    enforcement: 'strict',
    defaultIdentityTtlMs: 600_000,
    maxIdentityTtlMs: 3_600_000,
  });
  const error = t.throws(() => validateIntroPolicy({ enforcement: 'x', default_identity_ttl: '1h' }), { instanceOf: IntroPolicyError });
  t.is(error.code, 'ERR_INTRO_POLICY');
  t.deepEqual(error.problems, ['invalid enforcement "x"', 'max_identity_ttl must be greater than or equal to default_identity_ttl']);
  t.is(
    error.message,
    'invalid server.client_introduction configuration: 2 errors occurred:\n\t* invalid enforcement "x"\n\t* max_identity_ttl must be greater than or equal to default_identity_ttl\n\n',
  );
});

test('a good token verifies into typed claims, with either algorithm', async (t) => {
  for (const key of [ed, rsa]) {
    const jwt = await createIntroToken({ nodePool: 'gpu', nodeName: 'gpu-7', key: key.privateJwk, now });
    const intro = await verifyIntroToken(jwt, { keys, now });
    t.like(intro, { kind: 'intro', nodePool: 'gpu', nodeName: 'gpu-7', region: 'global', expiresAt: NOW + 300_000, kid: key.publicJwk.kid });
  }
});

const good = () => createIntroToken({ nodePool: 'gpu', key: ed.privateJwk, now });

/** Re-signs arbitrary claims with a real key, for claims Nomad would never write. */
async function signed(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'EdDSA', kid: 'ed-key', typ: 'JWT' }) {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(await importJWK(ed.privateJwk, 'EdDSA'));
}

const base = {
  nomad_node_pool: 'gpu',
  nomad_node_name: '',
  sub: 'node-introduction:global:gpu::default',
  aud: 'nomadproject.io',
  jti: 'f0e1d2c3-0000-4000-8000-000000000001',
  iat: NOW / 1000,
  nbf: NOW / 1000,
  exp: NOW / 1000 + 300,
};

const failures: Array<{ name: string; jwt: () => Promise<string>; code: string; message: RegExp; options?: object }> = [
  { name: 'not a JWT', jwt: async () => 'not-a-token', code: INTRO_TOKEN_CODES.malformed, message: /not a JWT/ },
  {
    name: 'alg none',
    jwt: async () => new UnsecuredJWT(base).encode(),
    code: INTRO_TOKEN_CODES.algorithm,
    message: /algorithm "none" is not allowed \(only RS256, EdDSA\)/,
  },
  {
    name: 'HS256 outside the allow-list',
    jwt: async () => new SignJWT(base).setProtectedHeader({ alg: 'HS256', kid: 'ed-key' }).sign(new TextEncoder().encode('x'.repeat(32))),
    code: INTRO_TOKEN_CODES.algorithm,
    message: /"HS256" is not allowed/,
  },
  { name: 'unknown kid', jwt: () => signed(base, { alg: 'EdDSA', kid: 'rotated' }), code: INTRO_TOKEN_CODES.unknownKid, message: /no key with kid "rotated"/ },
  {
    name: 'bad signature (a forger with the same kid)',
    jwt: () => createIntroToken({ nodePool: 'gpu', key: other.privateJwk, now }),
    code: INTRO_TOKEN_CODES.signature,
    message: /invalid signature/,
  },
  {
    name: 'tampered claims',
    jwt: async () => {
      const [h, , s] = (await good()).split('.');
      const forged = base64url.encode(JSON.stringify({ ...base, nomad_node_pool: 'prod', sub: 'node-introduction:global:prod::default' }));
      return `${h}.${forged}.${s}`;
    },
    code: INTRO_TOKEN_CODES.signature,
    message: /invalid signature/,
  },
  { name: 'expired', jwt: () => signed({ ...base, exp: NOW / 1000 - 6 }), code: INTRO_TOKEN_CODES.expired, message: /expired/ },
  { name: 'not yet valid', jwt: () => signed({ ...base, nbf: NOW / 1000 + 60 }), code: INTRO_TOKEN_CODES.notYetValid, message: /nbf/ },
  { name: 'issued in the future', jwt: () => signed({ ...base, iat: NOW / 1000 + 60 }), code: INTRO_TOKEN_CODES.notYetValid, message: /iat/ },
  { name: 'wrong audience', jwt: () => signed({ ...base, aud: 'vault.io' }), code: INTRO_TOKEN_CODES.audience, message: /audience "vault.io"/ },
  {
    name: 'two audiences',
    jwt: () => signed({ ...base, aud: ['nomadproject.io', 'vault.io'] }),
    code: INTRO_TOKEN_CODES.audience,
    message: /is not "nomadproject.io"/,
  },
  {
    name: 'wrong region in sub',
    jwt: () => signed({ ...base, sub: 'node-introduction:eu:gpu::default' }),
    code: INTRO_TOKEN_CODES.region,
    message: /region "eu", not "global"/,
  },
  {
    name: 'a workload identity is not an intro token',
    jwt: () => signed({ ...base, nomad_node_pool: undefined, sub: 'global:default:web:web:web:default' }),
    code: INTRO_TOKEN_CODES.notIntro,
    message: /not a node introduction token/,
  },
  {
    name: 'sub and claims disagree',
    jwt: () => signed({ ...base, nomad_node_pool: 'prod' }),
    code: INTRO_TOKEN_CODES.notIntro,
    message: /sub does not match/,
  },
  { name: 'no exp', jwt: () => signed({ ...base, exp: undefined }), code: INTRO_TOKEN_CODES.notIntro, message: /exp/ },
  {
    name: 'expected issuer missing',
    jwt: good,
    code: INTRO_TOKEN_CODES.issuer,
    message: /issuer null is not "https:\/\/nomad.example"/,
    options: { issuer: 'https://nomad.example' },
  },
];

for (const c of failures) {
  test(`verify refuses: ${c.name} (${c.code})`, async (t) => {
    const jwt = await c.jwt();
    const error = await t.throwsAsync(verifyIntroToken(jwt, { keys, now, ...c.options }), { instanceOf: IntroTokenError, message: c.message });
    t.is(error?.code as string | undefined, c.code);
    t.false(error?.message.includes(jwt), 'the message never quotes the token');
  });
}

test('a one-element audience list is accepted; audience and region checks can be switched off', async (t) => {
  await t.notThrowsAsync(verifyIntroToken(await signed({ ...base, aud: ['nomadproject.io'] }), { keys, now }));
  const elsewhere = await signed({ ...base, aud: 'x', sub: 'node-introduction:eu:gpu::default', nomad_node_pool: 'gpu' });
  await t.notThrowsAsync(verifyIntroToken(elsewhere, { keys, now, audience: null, region: null }));
});

test('the clock tolerance is 5s by default and configurable', async (t) => {
  const justExpired = await signed({ ...base, exp: NOW / 1000 - 3 });
  await t.notThrowsAsync(verifyIntroToken(justExpired, { keys, now }));
  await t.throwsAsync(verifyIntroToken(justExpired, { keys, now, clockTolerance: 0 }), { code: INTRO_TOKEN_CODES.expired });
});

test('with a replay store a jti is accepted once', async (t) => {
  const replay = new MemoryJtiStore({ now });
  const jwt = await good();
  await t.notThrowsAsync(verifyIntroToken(jwt, { keys, now, replay }));
  await t.throwsAsync(verifyIntroToken(jwt, { keys, now, replay }), { code: INTRO_TOKEN_CODES.replayed, message: /was used before/ });
  t.is(replay.size, 1);
});

test('createIntroToken refuses a public key, a missing kid and a colon in a sub part', async (t) => {
  await t.throwsAsync(createIntroToken({ key: ed.publicJwk }), { instanceOf: UsageError, message: /public key cannot sign/ });
  const { kid: _kid, ...noKid } = ed.privateJwk;
  await t.throwsAsync(createIntroToken({ key: noKid }), { instanceOf: UsageError, message: /kid: required/ });
  await t.throwsAsync(createIntroToken({ key: ed.privateJwk, nodePool: 'a:b' }), { instanceOf: UsageError, message: /nodePool: "a:b" must not contain ":"/ });
});

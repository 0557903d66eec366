// The servers' gate: Nomad's decision table (nomad/node_endpoint_test.go TestNode_newRegistrationAllowed),
// its log lines and counter, and the stricter single use of a token.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { importJWK, SignJWT } from 'jose';
import {
  type AdmissionPolicy,
  admitRegistration,
  createIntroToken,
  type Enforcement,
  FileJtiStore,
  formatAdmission,
  generateIntroKey,
  INTRO_VIOLATION_METRIC,
  IntroCounters,
  MemoryJtiStore,
} from '../src/intro/index.js';
import type { Logger } from '../src/log.js';

const NOW = Date.UTC(2026, 11, 4, 22, 0, 0);
const now = () => NOW;
const key = await generateIntroKey({ kid: 'root-1' });
const keys = { keys: [key.publicJwk] };
// structs.MockNode() with NodePool = "monitoring"
const node = { id: '5b9f0a3e-1111-4c2d-9e8f-0123456789ab', name: 'foobar', pool: 'monitoring' };

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`[${level}] ${message}`);
  return { lines, debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

function policy(enforcement: Enforcement, extra: Partial<AdmissionPolicy> = {}) {
  const metrics = new IntroCounters();
  const logger = recordingLogger();
  return { policy: { enforcement, keys, now, metrics, logger, ...extra }, metrics, logger };
}

const intro = (nodeName: string, nodePool: string) => createIntroToken({ nodeName, nodePool, ttl: '10m', key: key.privateJwk, now });
const expired = () => createIntroToken({ nodeName: node.name, nodePool: node.pool, ttl: '1m', key: key.privateJwk, now: () => NOW - 3_600_000 });
async function nodeIdentity(nodeId: string) {
  const claims = { nomad_node_id: nodeId, nomad_node_pool: node.pool, nomad_node_class: '', nomad_node_datacenter: 'dc1' };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'root-1', typ: 'JWT' })
    .setSubject(`node:global:${node.pool}:${nodeId}:default`)
    .setAudience('nomadproject.io')
    .setJti(crypto.randomUUID())
    .setIssuedAt(NOW / 1000)
    .setNotBefore(NOW / 1000)
    .setExpirationTime(NOW / 1000 + 86_400)
    .sign(await importJWK(key.privateJwk, 'EdDSA'));
}

const pairs = `node_id=${node.id} node_pool=monitoring node_name=foobar`;
const table: Array<{ name: string; enforcement: Enforcement; token: () => Promise<string | undefined>; allowed: boolean; line?: string }> = [
  { name: 'enforcement none anonymous', enforcement: 'none', token: async () => undefined, allowed: true },
  {
    name: 'enforcement warn anonymous',
    enforcement: 'warn',
    token: async () => undefined,
    allowed: true,
    line: `[WARN] nomad.client: node registration without introduction token: enforcement_level=warn ${pairs}`,
  },
  {
    name: 'enforcement strict anonymous',
    enforcement: 'strict',
    token: async () => undefined,
    allowed: false,
    line: `[ERROR] nomad.client: node registration without introduction token: enforcement_level=strict ${pairs}`,
  },
  {
    name: 'enforcement warn auth error',
    enforcement: 'warn',
    token: expired,
    allowed: false,
    line: `[ERROR] nomad.client: node registration introduction authentication failure: enforcement_level=warn ${pairs} error="token is expired (exp)"`,
  },
  {
    name: 'enforcement strict auth error',
    enforcement: 'strict',
    token: expired,
    allowed: false,
    line: `[ERROR] nomad.client: node registration introduction authentication failure: enforcement_level=strict ${pairs} error="token is expired (exp)"`,
  },
  {
    name: 'enforcement warn claims pool mismatch',
    enforcement: 'warn',
    token: () => intro(node.name, 'wrong-node-pool'),
    allowed: false,
    line: `[ERROR] nomad.client: node registration introduction claims mismatch: enforcement_level=warn ${pairs} claim_node_pool=wrong-node-pool claim_node_name=foobar`,
  },
  {
    name: 'enforcement strict claims pool mismatch',
    enforcement: 'strict',
    token: () => intro(node.name, 'wrong-node-pool'),
    allowed: false,
    line: `[ERROR] nomad.client: node registration introduction claims mismatch: enforcement_level=strict ${pairs} claim_node_pool=wrong-node-pool claim_node_name=foobar`,
  },
  {
    name: 'enforcement warn claims name mismatch',
    enforcement: 'warn',
    token: () => intro('wrong-node-name', node.pool),
    allowed: false,
    line: `[ERROR] nomad.client: node registration introduction claims mismatch: enforcement_level=warn ${pairs} claim_node_pool=monitoring claim_node_name=wrong-node-name`,
  },
  {
    name: 'enforcement strict claims name mismatch',
    enforcement: 'strict',
    token: () => intro('wrong-node-name', node.pool),
    allowed: false,
    line: `[ERROR] nomad.client: node registration introduction claims mismatch: enforcement_level=strict ${pairs} claim_node_pool=monitoring claim_node_name=wrong-node-name`,
  },
  { name: 'enforcement warn claims match', enforcement: 'warn', token: () => intro(node.name, node.pool), allowed: true },
  { name: 'enforcement strict claims match', enforcement: 'strict', token: () => intro(node.name, node.pool), allowed: true },
  { name: 'enforcement strict claims match, any name', enforcement: 'strict', token: () => intro('', node.pool), allowed: true },
  { name: 'enforcement warn node identity claims match', enforcement: 'warn', token: () => nodeIdentity(node.id), allowed: true },
  { name: 'enforcement strict node identity claims match', enforcement: 'strict', token: () => nodeIdentity(node.id), allowed: true },
  {
    name: 'enforcement warn node identity of another node (Nomad: a mismatch that warn lets in)',
    enforcement: 'warn',
    token: () => nodeIdentity('00000000-0000-4000-8000-000000000000'),
    allowed: true,
    line: `[WARN] nomad.client: node registration introduction claims mismatch: enforcement_level=warn ${pairs} claim_node_id=00000000-0000-4000-8000-000000000000 claim_node_pool=monitoring claim_node_class="" claim_node_datacenter=dc1`,
  },
];

for (const c of table) {
  test(`decision: ${c.name}`, async (t) => {
    const { policy: p, metrics, logger } = policy(c.enforcement);
    const token = await c.token();
    const decision = await admitRegistration(p, { ...(token ? { token } : {}), node });
    t.is(decision.allowed, c.allowed);
    t.deepEqual(logger.lines, c.line ? [c.line] : []);
    t.is(metrics.get(INTRO_VIOLATION_METRIC), c.line ? 1 : 0, 'every logged violation counts once');
    if (token) t.false(logger.lines.join('\n').includes(token), 'the token is never logged');
  });
}

test('a token admits one node: its replay is an authentication failure, even under warn', async (t) => {
  const { policy: p, metrics, logger } = policy('warn');
  const token = await intro(node.name, node.pool);
  t.true((await admitRegistration(p, { token, node })).allowed);
  const replay = await admitRegistration(p, { token, node: { ...node, id: 'a-second-node' } });
  t.false(replay.allowed);
  t.is(replay.violation, 'authentication');
  t.is(replay.error?.code, 'ERR_INTRO_REPLAYED');
  t.regex(
    logger.lines[0] ?? '',
    /^\[ERROR\] nomad\.client: node registration introduction authentication failure: .* error="token jti [0-9a-f-]{36} was used before"$/,
  );
  t.is(metrics.get(), 1);
});

test('a mismatched token is not spent; replay: false accepts reuse as Nomad does', async (t) => {
  const { policy: p } = policy('strict');
  const token = await intro(node.name, node.pool);
  t.false((await admitRegistration(p, { token, node: { ...node, pool: 'other' } })).allowed);
  t.true((await admitRegistration(p, { token, node })).allowed, 'the mismatch did not spend it');
  const { policy: lax } = policy('strict', { replay: false });
  t.true((await admitRegistration(lax, { token, node })).allowed);
  t.true((await admitRegistration(lax, { token, node })).allowed);
});

test('formatAdmission renders the fields as hclog does', async (t) => {
  const { policy: p } = policy('warn');
  const decision = await admitRegistration(p, { node: { id: 'n1', name: '', pool: 'default' } });
  t.is(
    formatAdmission(decision),
    'nomad.client: node registration without introduction token: enforcement_level=warn node_id=n1 node_pool=default node_name=""',
  );
});

test('the in-memory jti store forgets a jti once its token has expired', (t) => {
  let clock = NOW;
  const store = new MemoryJtiStore({ now: () => clock });
  t.true(store.use('a', NOW + 1000));
  t.false(store.use('a', NOW + 1000));
  clock = NOW + 1000;
  t.true(store.use('b', NOW + 5000));
  t.is(store.size, 1);
  t.true(store.use('a', NOW + 5000));
});

test('the file jti store refuses a replay across instances (a restart, or two servers on one host)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-jti-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let clock = NOW;
  const first = new FileJtiStore(dir, { now: () => clock });
  const second = new FileJtiStore(dir, { now: () => clock });
  const results = await Promise.all([first.use('../../etc/passwd', NOW + 1000), second.use('../../etc/passwd', NOW + 1000)]);
  t.deepEqual(results.sort(), [false, true], 'exactly one of two concurrent uses wins');
  t.deepEqual(
    (await readdir(dir)).map((name) => /^[0-9a-f]{64}$/.test(name)),
    [true],
    'file names are hashes, never the jti',
  );
  clock = NOW + 1000;
  await new FileJtiStore(dir, { now: () => clock }).prune();
  t.deepEqual(await readdir(dir), []);
});

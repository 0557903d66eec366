// The simulator's intro module: Nomad's JWKS and mint API, the registration stand-in enforcing
// the fleet's level, and the violation counter on the control endpoint.
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { createIntroToken, INTRO_VIOLATION_METRIC, verifyIntroToken } from '../src/intro/index.js';
import introSim, { introFleetBlock, readIntroFleet } from '../src/intro/sim.js';
import { FleetError, validateFleet } from '../src/sim/load.js';
import { startTestSim } from './helpers/sim.js';

const fleet = (intro: unknown) => validateFleet({ instances: [], intro }, [introSim]);

async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

async function startIntroSim(t: import('ava').ExecutionContext, intro: unknown) {
  const sim = await startTestSim(t, fleet(intro), [introSim]);
  const mint = async (body: object, headers: Record<string, string> = {}) => {
    const answer = await call(`${sim.httpUrl}/v1/acl/identity/client-introduction-token`, { method: 'PUT', body: JSON.stringify(body), headers });
    return answer.status === 200 ? (answer.json().JWT as string) : answer;
  };
  const register = (node: object, token?: string) =>
    call(`${sim.httpUrl}/v1/node/register`, { method: 'PUT', body: JSON.stringify({ Node: node }), headers: token ? { 'X-Nomad-Token': token } : {} });
  const control = async () => (await call(`${sim.httpUrl}/_sim/intro`)).json();
  return { sim, mint, register, control };
}

test("the sim mints tokens through Nomad's API that verify against its JWKS, with the fleet's TTL policy", async (t) => {
  const { sim, mint, control } = await startIntroSim(t, { enforcement: 'strict', max_identity_ttl: '10m', region: 'eu' });
  const jwt = (await mint({ TTL: '1h', NodePool: 'gpu', NodeName: 'gpu-7' })) as string;
  const intro = await verifyIntroToken(jwt, { jwksUrl: `${sim.httpUrl}/.well-known/jwks.json`, region: 'eu' });
  t.like(intro, { nodePool: 'gpu', nodeName: 'gpu-7', region: 'eu' });
  t.is(intro.expiresAt - intro.issuedAt, 600_000, "clamped to the fleet's max_identity_ttl");
  const state = await control();
  t.deepEqual(state.log, [
    '[WARN] nomad.acl: node introduction identity TTL request exceeds server maximum, using server maximum: requested_ttl=1h0m0s server_max_ttl=10m0s',
  ]);
  t.is(state.jwks_url, `${sim.httpUrl}/.well-known/jwks.json`);
  t.is(((await mint({ TTL: 600_000_000_000 })) as string).split('.').length, 3, 'TTL in nanoseconds, as the Go client sends it');
  t.like(await mint({ TTL: true }), { status: 400, text: 'unexpected TTL type' });
});

test('an acl_token in the fleet guards the mint call', async (t) => {
  const { mint } = await startIntroSim(t, { acl_token: 'sim-acl-token' });
  t.like(await mint({}), { status: 403, text: 'Permission denied' });
  t.is(typeof (await mint({}, { 'X-Nomad-Token': 'sim-acl-token' })), 'string');
});

test('strict: the registration endpoint admits a good token once and counts every refusal', async (t) => {
  const { sim, mint, register, control } = await startIntroSim(t, { enforcement: 'strict' });
  const jwt = (await mint({ NodePool: 'gpu', NodeName: 'gpu-7' })) as string;
  const node = { ID: 'node-1', Name: 'gpu-7', NodePool: 'gpu' };
  t.like(await register(node), { status: 403, text: 'Permission denied' });
  t.like(await register({ ...node, NodePool: 'web' }, jwt), { status: 403 });
  const ok = await register(node, jwt);
  t.is(ok.status, 200);
  t.deepEqual(ok.json(), { NodeID: 'node-1', Registered: 'new' });
  t.like(await register({ ...node, ID: 'node-2' }, jwt), { status: 403 }, 'a replayed jti');
  const key = JSON.parse(await readFile((await control()).key_file, 'utf8'));
  const expired = await createIntroToken({ key, nodePool: 'gpu', now: () => Date.now() - 3_600_000 });
  t.like(await register({ ...node, ID: 'node-3' }, expired), { status: 403 });

  const state = await control();
  t.deepEqual(state.violations, { [INTRO_VIOLATION_METRIC]: 4 });
  t.deepEqual(
    state.log.map((line: string) => line.replace(/ node_id=.*$/, '')),
    [
      '[ERROR] nomad.client: node registration without introduction token: enforcement_level=strict',
      '[ERROR] nomad.client: node registration introduction claims mismatch: enforcement_level=strict',
      '[ERROR] nomad.client: node registration introduction authentication failure: enforcement_level=strict',
      '[ERROR] nomad.client: node registration introduction authentication failure: enforcement_level=strict',
    ],
  );
  t.deepEqual(state.registered, [{ id: 'node-1', name: 'gpu-7', pool: 'gpu' }]);
  const metrics = (await call(`${sim.httpUrl}/v1/metrics`)).json();
  t.like(metrics.Counters[0], { Name: 'nomad.nomad.client.introduction_violation_num', Count: 4 });
  t.false(JSON.stringify(state).includes(jwt), 'the control endpoint never shows a token');
  await call(`${sim.httpUrl}/_sim/intro`, { method: 'DELETE' });
  t.deepEqual((await control()).violations, { [INTRO_VIOLATION_METRIC]: 0 });
});

test('warn: an anonymous node is admitted with the warning, and counted', async (t) => {
  const { register, control } = await startIntroSim(t, {});
  const answer = await register({ ID: 'n1', Name: 'web-1' });
  t.is(answer.status, 200);
  t.is(answer.json().Warning, 'node registration without introduction token');
  const state = await control();
  t.is(state.enforcement, 'warn');
  t.deepEqual(state.log, [
    '[WARN] nomad.client: node registration without introduction token: enforcement_level=warn node_id=n1 node_pool=default node_name=web-1',
  ]);
  t.is(state.violations[INTRO_VIOLATION_METRIC], 1);
});

test('a fleet without an intro block serves nothing of it', async (t) => {
  const sim = await startTestSim(t, validateFleet({ instances: [] }, [introSim]), [introSim]);
  t.is((await call(`${sim.httpUrl}/.well-known/jwks.json`)).status, 404);
  t.is((await call(`${sim.httpUrl}/_sim/intro`)).status, 404);
});

test('a bad intro block names every field at fault and the fleet does not load', async (t) => {
  const error = t.throws(() => readIntroFleet({ intro: { enforcement: 'strikt', alg: 'HS256', single_use: 'yes', ttl: '5m' } }), { instanceOf: FleetError });
  t.deepEqual(error?.problems, [
    'intro.ttl: unknown field',
    'intro: invalid enforcement "strikt"',
    'intro.alg: "HS256" is not one of "EdDSA", "RS256"',
    'intro.single_use: expected true or false, got "yes"',
  ]);
  // The fleet's own check refuses it (every problem at once), before any sim starts.
  t.throws(() => fleet({ enforcement: 'x' }), { code: 'ERR_FLEET', message: 'fleet: intro: invalid enforcement "x"' });
});

test('the block spec for module-owned fleet blocks reports the same problems and keeps a valid block as is', (t) => {
  const checker = { problems: [] as string[] };
  const block = { enforcement: 'strict', region: 'eu' };
  t.is(introFleetBlock.check(block, 'intro', checker), block);
  t.deepEqual(checker.problems, []);
  t.is(introFleetBlock.check({ enforcement: 'x' }, 'intro', checker), undefined);
  t.deepEqual(checker.problems, ['intro: invalid enforcement "x"']);
});

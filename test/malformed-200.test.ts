import https from 'node:https';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import aws from '../providers/aws/index.js';
import azure from '../providers/azure/index.js';
import gce from '../providers/gce/index.js';
import { Discover } from '../src/discover.js';
import { MalformedResponseError } from '../src/errors.js';
import { ensureCa, issueServerCert } from '../src/sim/ca.js';
import { azureTokenSim, gceTokenSim } from './helpers/token-sims.js';
import { runDiscover } from './helpers/cli.js';
import { startHttpServer } from './helpers/servers.js';

// The GCE SDK takes seconds to load on a busy machine: loaded before any test starts.
await import('../providers/gce/client.js');

const bodies: Array<[string, string, string]> = [
  ['an HTML page', 'text/html', '<html><body><h1>Sign in to the guest network</h1></body></html>'],
  ['an empty body', 'application/json', ''],
  ['JSON of another shape', 'application/json', '{"status":"ok"}'],
];

for (const [name, type, body] of bodies) {
  test(`aws: ${name} with status 200 is a malformed response, exit 1`, async (t) => {
    const server = await startHttpServer(t, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    const engine = new Discover({ builtins: false, providers: [aws] });
    const cfg = `provider=aws region=eu-west-1 tag_key=role tag_value=nomad access_key_id=AKIDEXAMPLE secret_access_key=sim-secret endpoint=${server.url}`;
    await t.throwsAsync(engine.addrs(cfg, { env: {} }), {
      instanceOf: MalformedResponseError,
      code: 'ERR_MALFORMED_RESPONSE',
      message: /^discover-aws: DescribeInstances: malformed response: (no reservationSet|@aws-sdk XML parse error)/,
    });
  });
}

/** An HTTPS server with a certificate from the simulator's CA (the test run trusts it), answering `body` with 200. */
async function fakeArm(t: ExecutionContext, type: string, body: string): Promise<string> {
  const cert = await issueServerCert(await ensureCa('.sim'));
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on('connection', (socket) => t.teardown(() => socket.destroy()));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** azure against a fake ARM answering `body` with 200 (the simulator issues the token). */
async function azureAgainst(t: ExecutionContext, type: string, body: string): Promise<void> {
  const token = await azureTokenSim(t);
  const arm = await fakeArm(t, type, body);
  const engine = new Discover({ builtins: false, providers: [azure] });
  await t.throwsAsync(engine.addrs(`${token.args} endpoint=${arm} tag_name=a tag_value=b`, { env: token.env }), {
    instanceOf: MalformedResponseError,
    code: 'ERR_MALFORMED_RESPONSE',
    message: /^discover-azure: NetworkInterfaces_ListAll: malformed response: .*not an ARM list$/,
  });
}

for (const [name, type, body] of bodies) {
  test(`azure: ${name} with status 200 is a malformed response, exit 1`, (t) => azureAgainst(t, type, body));
}

/**
 * What an ARM list answer of the wrong shape reads as: `{"value": 5}`, `{"value": {}}`, `[]`
 * (the SDK's pager would read each as "no items").
 */
const azureShapes: Array<[string, string]> = [
  ['"value" a number', '{"value": 5}'],
  ['"value" an object', '{"value": {"id": "x"}}'],
  ['a JSON array', '[]'],
  ['JSON null', 'null'],
  ['a "value" item a number', '{"value": [5]}'],
];

for (const [name, body] of azureShapes) {
  test(`azure: ${name} with status 200 is a malformed response`, (t) => azureAgainst(t, 'application/json', body));
}

/**
 * GCE: the SDK decodes JSON through protobuf, which reads most wrong shapes as an empty list.
 * Real answers (compute v1 REST reference) are `{"kind":"compute#instanceAggregatedList",
 * "items":{"zones/us-central1-a":{"instances":[...]}}}`, and `{}` for an empty partial response.
 */
const gceBodies: Array<[string, string, string, RegExp]> = [
  ['an HTML page', 'text/html', '<html><body><h1>Sign in to the guest network</h1></body></html>', /not JSON$/],
  ['an empty body', 'application/json', '', /an empty body$/],
  ['a JSON array', 'application/json', '[]', /a JSON array, not a compute#instanceAggregatedList$/],
  ['JSON of another shape', 'application/json', '{"status":"ok"}', /no list fields \(items, nextPageToken\)/],
  ['items a number', 'application/json', '{"items": 5}', /items is not a map of scopes$/],
  ['items an array', 'application/json', '{"items": [{"name": "i-1"}]}', /items is not a map of scopes$/],
  ['instances a string', 'application/json', '{"items":{"zones/x":{"instances":"nope"}}}', /items\["zones\/x"\]\.instances is not an array$/],
  ['an instance a number', 'application/json', '{"items":{"zones/x":{"instances":[5]}}}', /items\["zones\/x"\]\.instances\[0\] is not an object$/],
  ['another kind', 'application/json', '{"kind":"compute#operation","items":{}}', /kind "compute#operation", not compute#instanceAggregatedList$/],
];

interface FakeCompute {
  cfg: string;
  env: Record<string, string>;
}

/** A compute endpoint answering `body` with 200 to every request; the simulator issues the token. */
async function fakeCompute(t: ExecutionContext, type: string, body: string | ((path: string) => string)): Promise<FakeCompute> {
  const token = await gceTokenSim(t);
  const compute = await startHttpServer(t, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': type });
    res.end(typeof body === 'string' ? body : body(new URL(req.url ?? '/', 'http://x').pathname));
  });
  return { cfg: `${token.args} endpoint=${compute.url}`, env: token.env };
}

for (const [name, type, body, problem] of gceBodies) {
  test(`gce: ${name} with status 200 is a malformed response`, async (t) => {
    const fake = await fakeCompute(t, type, body);
    const engine = new Discover({ builtins: false, providers: [gce] });
    const err = await t.throwsAsync(engine.addrs(`${fake.cfg} tag_value=consul`, { env: fake.env }), {
      instanceOf: MalformedResponseError,
      code: 'ERR_MALFORMED_RESPONSE',
      message: /^discover-gce: instances\.aggregatedList: malformed response: /,
    });
    t.regex(err?.message ?? '', problem);
  });
}

test('gce: an empty partial response ({}) is an empty list, not an error', async (t) => {
  const fake = await fakeCompute(t, 'application/json', '{}');
  const engine = new Discover({ builtins: false, providers: [gce] });
  t.deepEqual(await engine.addrs(`${fake.cfg} tag_value=consul`, { env: fake.env }), []);
});

test('gce zone_pattern: zones.list and instances.list answers are checked too', async (t) => {
  // zones.list answers one zone; that zone's instances.list answers items as an object.
  const fake = await fakeCompute(t, 'application/json', (path) => (path.endsWith('/zones') ? '{"items":[{"name":"us-west1-a"}]}' : '{"items":{"name":"i-1"}}'));
  const engine = new Discover({ builtins: false, providers: [gce] });
  await t.throwsAsync(engine.addrs(`${fake.cfg} tag_value=consul zone_pattern=us-west1-.*`, { env: fake.env }), {
    instanceOf: MalformedResponseError,
    message: /^discover-gce: instances\.list us-west1-a: malformed response: items is not an array$/,
  });
  const zones = await fakeCompute(t, 'application/json', '{"items":"us-west1-a"}');
  await t.throwsAsync(engine.addrs(`${zones.cfg} tag_value=consul zone_pattern=us-west1-.*`, { env: zones.env }), {
    instanceOf: MalformedResponseError,
    message: /^discover-gce: zones\.list: malformed response: items is not an array$/,
  });
});

test('gce CLI: a wrong-shaped 200 exits 1 naming the provider, prints no addresses', async (t) => {
  const fake = await fakeCompute(t, 'application/json', '{"items": 5}');
  const result = await runDiscover(['addrs', `${fake.cfg} tag_value=consul`], { env: fake.env });
  t.is(result.code, 1, result.stderr);
  t.is(result.stdout, '');
  t.regex(result.stderr, /discover-gce: instances\.aggregatedList: malformed response: items is not a map of scopes/);
});

/**
 * A 200 that is not the API's answer (an HTML login page from a captive portal or a proxy, an
 * empty body, JSON of another shape) is ERR_MALFORMED_RESPONSE, never "no peers".
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import aws from '../providers/aws/index.js';
import azure from '../providers/azure/index.js';
import azureSim from '../providers/azure/sim.js';
import { Discover } from '../src/discover.js';
import { MalformedResponseError } from '../src/errors.js';
import { ensureCa, issueServerCert } from '../src/sim/ca.js';
import { startTestSim } from './helpers/sim.js';
import { startHttpServer } from './helpers/servers.js';

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

for (const [name, type, body] of bodies) {
  test(`azure: ${name} with status 200 is a malformed response, exit 1`, async (t) => {
    const tenant = 'aaaaaaaa-0000-0000-0000-000000000001';
    const client = 'bbbbbbbb-0000-0000-0000-000000000002';
    const secret = 'sim-Secret~value.1';
    const sub = 'cccccccc-0000-0000-0000-000000000003';
    // The simulator issues the token; the ARM answers come from the fake.
    const sim = await startTestSim(
      t,
      { instances: [], credentials: { azure: { tenant_id: tenant, client_id: client, client_secret: secret, subscription_id: sub } } },
      [azureSim],
    );
    const arm = await fakeArm(t, type, body);
    const engine = new Discover({ builtins: false, providers: [azure] });
    const cfg = `provider=azure tenant_id=${tenant} client_id=${client} secret_access_key="${secret}" subscription_id=${sub} endpoint=${arm} tag_name=a tag_value=b`;
    await t.throwsAsync(engine.addrs(cfg, { env: { AZURE_AUTHORITY_HOST: sim.httpsUrl, AUTOJOIN_LOOPBACK_ONLY: '1' } }), {
      instanceOf: MalformedResponseError,
      code: 'ERR_MALFORMED_RESPONSE',
      message: /^discover-azure: NetworkInterfaces_ListAll: malformed response: .*not an ARM list$/,
    });
  });
}

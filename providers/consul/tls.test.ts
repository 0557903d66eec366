/**
 * provider=consul over HTTPS with Consul's TLS settings (CONSUL_CACERT, CONSUL_CLIENT_CERT,
 * CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME, CONSUL_HTTP_SSL_VERIFY) against the simulator's
 * HTTPS listener requiring a client certificate signed by its CA (Consul's `verify_incoming`).
 * The test process trusts the sim's CA through NODE_EXTRA_CA_CERTS (package.json), so a CA given
 * here must *replace* the store for the "wrong CA" case to fail.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { generate } from 'selfsigned';
import consul from './index.js';
import consulSim from './sim.js';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { SIM_CA_DIR, startTestSim } from '../../test/helpers/sim.js';

const engine = new Discover({ builtins: false, providers: [consul] });

const fleet: Fleet = {
  credentials: {},
  instances: [],
  services: [
    { node: 'srv-1', node_address: '10.0.0.1', service: 'nomad', port: 4647, tags: ['rpc'] },
    { node: 'srv-2', node_address: '10.0.0.2', service: 'nomad', port: 4647, tags: ['rpc'] },
  ],
};
const EXPECTED = ['10.0.0.1:4647', '10.0.0.2:4647'];

interface Pki {
  dir: string;
  simCa: string;
  otherCa: string;
  clientCert: string;
  clientKey: string;
  /** The client key's PEM text, to check it never shows up. */
  clientKeyPem: string;
}

/** A client certificate issued by the sim's CA, and a CA that has nothing to do with the sim; files in a temp folder. */
async function pki(t: ExecutionContext): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-consul-tls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [caCert, caKey] = await Promise.all([readFile(join(SIM_CA_DIR, 'ca.pem'), 'utf8'), readFile(join(SIM_CA_DIR, 'ca-key.pem'), 'utf8')]);
  const client = await generate([{ name: 'commonName', value: 'cli.dc1.consul' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { cert: caCert, key: caKey },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  const other = await generate([{ name: 'commonName', value: 'unrelated CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, critical: true },
    ],
  });
  const files = {
    simCa: join(dir, 'consul-agent-ca.pem'),
    otherCa: join(dir, 'other-ca.pem'),
    clientCert: join(dir, 'dc1-cli-consul-0.pem'),
    clientKey: join(dir, 'dc1-cli-consul-0-key.pem'),
  };
  await Promise.all([
    writeFile(files.simCa, caCert),
    writeFile(files.otherCa, other.cert),
    writeFile(files.clientCert, client.cert),
    writeFile(files.clientKey, client.private, { mode: 0o600 }),
  ]);
  return { dir, ...files, clientKeyPem: client.private };
}

/** A sim whose HTTPS listener wants a client certificate, and the env pointing the provider at it. */
async function mtlsSim(t: ExecutionContext): Promise<{ sim: RunningSim; pki: Pki; env: Record<string, string> }> {
  const sim = await startTestSim(t, fleet, [consulSim], { requireClientCert: true });
  const files = await pki(t);
  const env = {
    AUTOJOIN_LOOPBACK_ONLY: '1',
    CONSUL_HTTP_ADDR: new URL(sim.httpsUrl).host,
    CONSUL_HTTP_SSL: 'true',
    CONSUL_CACERT: files.simCa,
    CONSUL_CLIENT_CERT: files.clientCert,
    CONSUL_CLIENT_KEY: files.clientKey,
  };
  return { sim, pki: files, env };
}

test('a client certificate from CONSUL_CLIENT_CERT/KEY, the CA from CONSUL_CACERT: the mutual-TLS agent answers', async (t) => {
  const { env, sim } = await mtlsSim(t);
  t.deepEqual(await engine.addrs('provider=consul tag=rpc', { env }), EXPECTED);
  t.deepEqual(sim.counts(), { consul: 1 });
});

test('the datacenter walk runs over mutual TLS too', async (t) => {
  const { env } = await mtlsSim(t);
  t.deepEqual(await engine.addrs('provider=consul tag=rpc walk_datacenters=true', { env }), EXPECTED);
});

test('without a client certificate the agent refuses the handshake; the key never shows', async (t) => {
  const { env, pki: files } = await mtlsSim(t);
  const { CONSUL_CLIENT_CERT: _cert, CONSUL_CLIENT_KEY: _key, ...withoutCert } = env;
  const error = await t.throwsAsync(engine.discover('provider=consul tag=rpc', { env: withoutCert, maxAttempts: 1 }), {
    instanceOf: ProviderError,
    message:
      /^discover-consul: CatalogService failed: .*the server refused the TLS handshake \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\): it wants a client certificate it trusts$/,
  });
  t.false(String(error?.message).includes(files.clientKeyPem.split('\n')[1] as string));
});

test('CONSUL_CACERT replaces the trusted store: a CA that did not sign the agent is refused', async (t) => {
  const { env, pki: files } = await mtlsSim(t);
  await t.throwsAsync(engine.discover('provider=consul tag=rpc', { env: { ...env, CONSUL_CACERT: files.otherCa }, maxAttempts: 1 }), {
    instanceOf: ProviderError,
    // No NODE_EXTRA_CA_CERTS hint: the caller chose the CA.
    message: /TLS verification failed \(SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain\)$/,
  });
});

test('CONSUL_HTTP_SSL_VERIFY=false accepts the agent whatever the CA', async (t) => {
  const { env, pki: files } = await mtlsSim(t);
  t.deepEqual(await engine.addrs('provider=consul tag=rpc', { env: { ...env, CONSUL_CACERT: files.otherCa, CONSUL_HTTP_SSL_VERIFY: 'false' } }), EXPECTED);
  // And its Go-bool spellings are checked before any request.
  await t.throwsAsync(engine.discover('provider=consul tag=rpc', { env: { ...env, CONSUL_HTTP_SSL_VERIFY: 'nope' } }), {
    instanceOf: ProviderArgsError,
    message: /verify_ssl: "nope" \(from env CONSUL_HTTP_SSL_VERIFY\) is not a boolean/,
  });
});

test('CONSUL_TLS_SERVER_NAME is the name the certificate is checked against', async (t) => {
  const { env } = await mtlsSim(t);
  // The sim's certificate names 127.0.0.1 and localhost; the address is 127.0.0.1.
  await t.throwsAsync(engine.discover('provider=consul tag=rpc', { env: { ...env, CONSUL_TLS_SERVER_NAME: 'server.dc1.consul' }, maxAttempts: 1 }), {
    instanceOf: ProviderError,
    message: /ERR_TLS_CERT_ALTNAME_INVALID: Hostname\/IP does not match certificate's altnames: Host: server\.dc1\.consul\. is not in the cert's altnames/,
  });
  t.deepEqual(await engine.addrs('provider=consul tag=rpc', { env: { ...env, CONSUL_TLS_SERVER_NAME: 'localhost' } }), EXPECTED);
});

test('the arguments win over the environment', async (t) => {
  const { env, pki: files } = await mtlsSim(t);
  const wrongEnv = { ...env, CONSUL_CACERT: files.otherCa, CONSUL_TLS_SERVER_NAME: 'server.dc1.consul' };
  t.deepEqual(await engine.addrs(`provider=consul tag=rpc ca_file=${files.simCa} tls_server_name=localhost`, { env: wrongEnv }), EXPECTED);
});

test('an unreadable file names its argument and path; a certificate without its key is refused before any request', async (t) => {
  const { env, pki: files } = await mtlsSim(t);
  const missing = join(files.dir, 'nope.pem');
  await t.throwsAsync(engine.discover('provider=consul tag=rpc', { env: { ...env, CONSUL_CACERT: missing } }), {
    instanceOf: ProviderArgsError,
    message: `discover-consul: invalid arguments:\n  - ca_file: cannot read ${JSON.stringify(missing)} (ENOENT)`,
  });
  const { CONSUL_CLIENT_KEY: _key, ...withoutKey } = env;
  await t.throwsAsync(engine.discover('provider=consul tag=rpc', { env: withoutKey }), {
    instanceOf: ProviderArgsError,
    message: /cert_file and key_file go together: key_file is missing \(or set CONSUL_CLIENT_KEY\)/,
  });
});

test('over plain http the TLS settings are not read', async (t) => {
  const sim = await startTestSim(t, fleet, [consulSim]);
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', CONSUL_CACERT: '/nonexistent/ca.pem' };
  t.deepEqual(await engine.addrs(`provider=consul tag=rpc address=${sim.httpUrl}`, { env }), EXPECTED);
});

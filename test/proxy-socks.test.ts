// ALL_PROXY=socks5://... (curl's convention, and go-discover's Go HTTP stack reads socks5:// too):
// every provider's calls go through a real SOCKS5 proxy on loopback and find the same addresses
// as directly; a SOCKS proxy that refuses is one ProxyError with the provider's name, the proxy
// without its credentials, and what it answered.
import test from 'ava';
import { Discover } from '../src/discover.js';
import { ProxyError, ProxySettingError } from '../src/errors.js';
import { defaultFleetPath, loadFleet } from '../src/sim/index.js';
import { simEnv } from '../src/sim/paste.js';
import { startTestSim } from './helpers/sim.js';
import { runDiscover } from './helpers/cli.js';
import { startSocksProxy } from './helpers/socks5.js';

/** The worker's environment without any proxy or cloud variable a developer may have set. */
function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env))
    env[key] = /_proxy$|^AWS_|^AZURE_|^GOOGLE_|^GCE_|^CONSUL_|^DIGITALOCEAN_/i.test(key) ? undefined : value;
  return env;
}

// aws, azure, gce and consul hand ctx.http's agents to their SDK or client; digitalocean stands
// for the REST providers that call ctx.http.request.
const PROVIDERS = ['aws', 'azure', 'gce', 'consul', 'digitalocean'];

for (const provider of PROVIDERS) {
  test(`${provider}: ALL_PROXY=socks5:// carries every call and finds what a direct call finds`, async (t) => {
    const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
    const socks = await startSocksProxy(t);
    const paste = sim.modules.map((m) => m.paste?.(sim.ctx)).find((p) => p?.provider === provider);
    if (!paste) throw new Error(`the sim has no paste for ${provider}`);
    const env = { ...baseEnv(), ...simEnv(sim.ctx), ...paste.env, METADATA_SERVER_DETECTION: 'none' };
    const direct = await new Discover().addrs(paste.config, { env, timeout: 120_000 });
    t.true(direct.length > 0, 'the fleet has addresses for this provider');
    t.deepEqual(socks.requests, []);
    const viaSocks = await new Discover().addrs(paste.config, { env: { ...env, ALL_PROXY: `socks5://127.0.0.1:${socks.port}` }, timeout: 120_000 });
    t.deepEqual(viaSocks, direct);
    const simPorts = new Set([new URL(sim.ctx.httpUrl).port, new URL(sim.ctx.httpsUrl).port]);
    t.true(socks.requests.length > 0, 'the calls went through the SOCKS proxy');
    t.true(
      socks.requests.every((r) => simPorts.has(r.split(':').at(-1) ?? '')),
      socks.requests.join(', '),
    );
  });

  test(`${provider}: a SOCKS proxy that refuses is a ProxyError naming the provider, the proxy (no credentials) and its answer`, async (t) => {
    const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
    const socks = await startSocksProxy(t, { refuse: true, auth: { username: 'sockuser', password: 's0cksp4ss' } });
    const paste = sim.modules.map((m) => m.paste?.(sim.ctx)).find((p) => p?.provider === provider);
    if (!paste) throw new Error(`the sim has no paste for ${provider}`);
    const env = {
      ...baseEnv(),
      ...simEnv(sim.ctx),
      ...paste.env,
      METADATA_SERVER_DETECTION: 'none',
      ALL_PROXY: `socks5://sockuser:s0cksp4ss@127.0.0.1:${socks.port}`,
    };
    const error = await t.throwsAsync(new Discover().addrs(paste.config, { env, timeout: 120_000, maxAttempts: 1 }), {
      instanceOf: ProxyError,
      code: 'ERR_PROXY',
    });
    t.regex(
      error.message,
      new RegExp(`^discover-${provider}: proxy socks5://127\\.0\\.0\\.1:${socks.port} refused the tunnel: Socks5 proxy rejected connection - NotAllowed`),
    );
    t.notRegex(`${error.message} ${error.stack}`, /sockuser|s0cksp4ss/);
    t.true(socks.requests.length > 0);
  });
}

test('a proxy URL in a scheme no agent speaks is refused naming the setting, with the provider prefix', async (t) => {
  const env = { ...baseEnv(), ALL_PROXY: 'quic://user:pw@127.0.0.1:1080', CONSUL_HTTP_ADDR: 'http://127.0.0.1:1' };
  const error = await t.throwsAsync(new Discover().addrs('provider=consul service=nomad', { env, timeout: 120_000 }), { instanceOf: ProxySettingError });
  t.regex(error.message, /^discover-consul: .*unsupported proxy quic:\/\/127\.0\.0\.1:1080 \(from HTTP_PROXY \/ HTTPS_PROXY \/ ALL_PROXY\)/);
  t.notRegex(error.message, /user:pw/);
});

// A proxy setting no agent can use is the user's mistake, as a bad argument is: exit 2, said once,
// never retried, whichever way the provider reaches the network (SDK agents or ctx.http).
for (const provider of ['aws', 'azure', 'gce', 'consul', 'digitalocean']) {
  test(`${provider}: HTTPS_PROXY in an unsupported scheme is a setting error (exit 2), not retried`, async (t) => {
    const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
    const paste = sim.modules.map((m) => m.paste?.(sim.ctx)).find((p) => p?.provider === provider);
    if (!paste) throw new Error(`the sim has no paste for ${provider}`);
    const bad = 'quic://puser:pr0xyp4ss@127.0.0.1:1080';
    const env = { ...baseEnv(), ...simEnv(sim.ctx), ...paste.env, HTTP_PROXY: bad, HTTPS_PROXY: bad, METADATA_SERVER_DETECTION: 'none' };
    sim.resetCounts();
    const result = await runDiscover(['--timeout', '10m', 'addrs', paste.config], { env });
    t.is(result.code, 2, result.stderr);
    t.is(result.stdout, '');
    t.true(result.stderr.includes(`discover-${provider}: unsupported proxy quic://127.0.0.1:1080 (from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY)`), result.stderr);
    t.notRegex(result.stderr, /pr0xyp4ss|puser/);
    t.notRegex(result.stderr, /attempt \d+ of/, 'not retried');
    t.deepEqual(
      Object.values(sim.counts()).reduce((a, b) => a + b, 0),
      0,
      'no request reached the cloud',
    );
  });
}

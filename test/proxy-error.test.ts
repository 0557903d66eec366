// One typed ProxyError for every provider: through a real tinyproxy that refuses the tunnel
// (wrong proxy credentials), each provider's call fails the same way, naming the proxy without
// its credentials and what it answered, whatever its SDK made of the refusal.
import test from 'ava';
import { Discover } from '../src/discover.js';
import { ProxyError } from '../src/errors.js';
import { defaultFleetPath, loadFleet } from '../src/sim/index.js';
import { simEnv } from '../src/sim/paste.js';
import { startTestSim } from './helpers/sim.js';
import { startTinyproxy } from './helpers/tinyproxy.js';

/** The worker's environment without any proxy or cloud variable a developer may have set. */
function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/_proxy$|^AWS_|^AZURE_|^GOOGLE_|^GCE_|^CONSUL_/i.test(key)) env[key] = value;
  }
  return env;
}

// azure too, though MSAL reports a refused tunnel as `endpoints_resolution_error` and drops the
// proxy's answer: the client's record of the failure says it (providers/azure/proxy.test.ts has
// the 403 cases, token request and Resource Manager).
for (const provider of ['aws', 'azure', 'gce', 'consul']) {
  test(`${provider}: a proxy refusing the tunnel is a ProxyError naming the proxy (no credentials) and its answer`, async (t) => {
    const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
    const proxy = await startTinyproxy(t, { basicAuth: { user: 'proxyuser', password: 's3cr3tpw' } });
    const module = sim.modules.find((m) => m.paste?.(sim.ctx)?.provider === provider);
    const paste = module?.paste?.(sim.ctx);
    if (!paste) throw new Error(`no paste for ${provider}`);
    const badProxy = `http://proxyuser:wrongpw@127.0.0.1:${proxy.port}`;
    const env = { ...baseEnv(), ...simEnv(sim.ctx), ...paste.env, HTTP_PROXY: badProxy, HTTPS_PROXY: badProxy, METADATA_SERVER_DETECTION: 'none' };
    const error = await t.throwsAsync(new Discover().addrs(paste.config, { env, timeout: 120_000, maxAttempts: 1 }), {
      instanceOf: ProxyError,
      code: 'ERR_PROXY',
    });
    // tinyproxy answers 401 where RFC 9110 says 407; either gets the hint.
    t.is(error.message, `discover-${provider}: proxy http://127.0.0.1:${proxy.port}/ refused the tunnel: HTTP 401 (check the proxy credentials)`);
    t.is(error.proxy, `http://127.0.0.1:${proxy.port}/`);
    t.notRegex(`${error.message} ${error.stack}`, /wrongpw|proxyuser/);
    t.true(proxy.requests().length > 0, 'the call went to the proxy');
  });
}

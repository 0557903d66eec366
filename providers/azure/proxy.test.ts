// azure through a real proxy (tinyproxy) that refuses the tunnel with HTTP 403 (CONNECT only to
// port 443): MSAL reports the refused token request as an opaque `endpoints_resolution_error`
// and drops the proxy's answer, and ARM calls wrap it in a RestError. Both are one ProxyError
// naming the proxy, without its credentials, and what it answered, as for every provider.
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../../src/discover.js';
import { ProxyError } from '../../src/errors.js';
import { defaultFleetPath, loadFleet } from '../../src/sim/index.js';
import { simEnv } from '../../src/sim/paste.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';

/** The worker's environment without any proxy or cloud variable a developer may have set. */
function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) env[key] = /_proxy$|^AZURE_|^ARM_|^IDENTITY_|^MSI_/i.test(key) ? undefined : value;
  return env;
}

async function setUp(t: ExecutionContext) {
  const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
  const proxy = await startTinyproxy(t, { connectPorts: [443] });
  const paste = sim.modules.map((m) => m.paste?.(sim.ctx)).find((p) => p?.provider === 'azure');
  if (!paste) throw new Error('the sim has no azure paste');
  const badProxy = `http://proxyuser:s3cr3tpw@127.0.0.1:${proxy.port}`;
  const env = { ...baseEnv(), ...simEnv(sim.ctx), ...paste.env, HTTP_PROXY: badProxy, HTTPS_PROXY: badProxy };
  return { sim, proxy, paste, env };
}

test('azure: a proxy refusing the token request is a ProxyError with its answer (not MSAL endpoints_resolution_error)', async (t) => {
  const { proxy, paste, env } = await setUp(t);
  const error = await t.throwsAsync(new Discover().addrs(paste.config, { env, timeout: 120_000, maxAttempts: 1 }), {
    instanceOf: ProxyError,
    code: 'ERR_PROXY',
  });
  t.is(error.message, `discover-azure: proxy http://127.0.0.1:${proxy.port}/ refused the tunnel: HTTP 403`);
  t.is(error.answer, 'HTTP 403');
  t.notRegex(`${error.message} ${error.stack}`, /s3cr3tpw|proxyuser/);
  t.true(proxy.requests().length > 0, 'the token request went to the proxy');
});

test('azure: a proxy refusing the Resource Manager calls is a ProxyError with its answer', async (t) => {
  const { sim, proxy, paste, env } = await setUp(t);
  // Tokens come from https://localhost:<port> directly (NO_PROXY); ARM at 127.0.0.1 goes to the proxy.
  const authority = sim.ctx.httpsUrl.replace('127.0.0.1', 'localhost');
  const error = await t.throwsAsync(
    new Discover().addrs(paste.config, { env: { ...env, AZURE_AUTHORITY_HOST: authority, NO_PROXY: 'localhost' }, timeout: 120_000, maxAttempts: 1 }),
    { instanceOf: ProxyError, code: 'ERR_PROXY' },
  );
  t.is(error.message, `discover-azure: proxy http://127.0.0.1:${proxy.port}/ refused the tunnel: HTTP 403`);
  t.deepEqual(proxy.requests(), [`CONNECT ${new URL(sim.ctx.httpsUrl).host}`], 'only ARM went to the proxy');
});

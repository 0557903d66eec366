// An https:// proxy URL pointing at a plain-HTTP proxy: a TLS handshake with it would wait for a
// ServerHello that never comes (the proxy reads the ClientHello as the start of a request line
// and waits for the rest), so every provider's call hung until its timeout. Through a real
// tinyproxy (plain HTTP) named as https://, each provider's CLI call now ends on its own with one
// ProxyError saying the proxy did not speak TLS. The timeout is 10 minutes: the test waits for
// the process to exit (an event), and a hang would end in the CLI helper's own reported limit.
import test from 'ava';
import { defaultFleetPath, loadFleet } from '../src/sim/index.js';
import { simEnv } from '../src/sim/paste.js';
import { runDiscover } from './helpers/cli.js';
import { startTestSim } from './helpers/sim.js';
import { startTinyproxy } from './helpers/tinyproxy.js';

/** The worker's environment without any proxy or cloud variable a developer may have set. */
function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env))
    env[key] = /_proxy$|^AWS_|^AZURE_|^GOOGLE_|^GCE_|^CONSUL_|^DIGITALOCEAN_/i.test(key) ? undefined : value;
  return env;
}

// aws, azure, gce and consul hand ctx.http's agents to their SDK or client; digitalocean stands
// for the REST providers that call ctx.http.request.
for (const provider of ['aws', 'azure', 'gce', 'consul', 'digitalocean']) {
  test(`${provider}: an https:// proxy that speaks plain HTTP fails at once with a ProxyError (use http://)`, async (t) => {
    const sim = await startTestSim(t, await loadFleet(defaultFleetPath()));
    const proxy = await startTinyproxy(t);
    const paste = sim.modules.map((m) => m.paste?.(sim.ctx)).find((p) => p?.provider === provider);
    if (!paste) throw new Error(`the sim has no paste for ${provider}`);
    const tlsProxy = `https://user:pr0xyp4ss@127.0.0.1:${proxy.port}`;
    const env = { ...baseEnv(), ...simEnv(sim.ctx), ...paste.env, HTTP_PROXY: tlsProxy, HTTPS_PROXY: tlsProxy, METADATA_SERVER_DETECTION: 'none' };
    const result = await runDiscover(['--timeout', '10m', 'addrs', paste.config], { env });
    t.is(result.code, 1, result.stderr);
    t.is(result.stdout, '');
    t.true(
      result.stderr.includes(
        `discover-${provider}: proxy https://127.0.0.1:${proxy.port}/ did not speak TLS: it answers in plain HTTP; if it is a plain HTTP proxy, write its URL as http://127.0.0.1:${proxy.port}`,
      ),
      result.stderr,
    );
    t.notRegex(result.stderr, /pr0xyp4ss/);
  });
}

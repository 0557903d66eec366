/**
 * gce never follows a redirect: node-fetch would resend `Authorization: Bearer ...` to wherever the
 * Location points (another port, or 169.254.169.254), though docs/http.md says redirects are never followed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import gce from './index.js';
import gceSim from './sim.js';
import { Discover } from '../../src/discover.js';
import { ProviderError } from '../../src/errors.js';
import { startHttpServer } from '../../test/helpers/servers.js';
import { startTestSim } from '../../test/helpers/sim.js';

// Load the SDK before the test, so that its load time is not counted against the call's timeout.
await import('./client.js');

test('a 302 from the compute endpoint is an error; the Location is never visited, the token never forwarded', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'autojoin-gce-redirect-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const credentials = { gce: { project: 'sim-project', client_email: 'discovery@sim-project.iam.gserviceaccount.com' } };
  await startTestSim(t, { credentials, instances: [] }, [gceSim], { stateDir });
  const elsewhere = await startHttpServer(t, (_req, res) => res.end('{"items":[]}'));
  const redirecting = await startHttpServer(t, (req, res) => {
    req.resume();
    res.writeHead(302, { location: `${elsewhere.url}${req.url}` });
    res.end();
  });
  const engine = new Discover({ builtins: false, providers: [gce] });
  const cfg = `provider=gce project_name=sim-project credentials_file=${join(stateDir, 'gce-service-account.json')} endpoint=${redirecting.url} tag_value=consul`;
  const error = await t.throwsAsync(engine.addrs(cfg, { env: { AUTOJOIN_LOOPBACK_ONLY: '1', METADATA_SERVER_DETECTION: 'none', HOME: stateDir } }), {
    instanceOf: ProviderError,
  });
  t.is(error?.status, 302, error?.message);
  t.true(redirecting.requests().length >= 1);
  t.is(elsewhere.connections(), 0);
});

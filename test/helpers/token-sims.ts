/**
 * Simulators that only issue tokens, for tests whose cloud answers come from a fake server (a
 * hung one, one answering malformed 200s): the provider's credential arguments and environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import azureSim from '../../providers/azure/sim.js';
import gceSim from '../../providers/gce/sim.js';
import { startTestSim } from './sim.js';

export interface TokenSim {
  /** The config string's credential arguments (append `endpoint=` and the filters). */
  args: string;
  env: Record<string, string>;
}

/** The Entra ID token endpoint for a client secret; ARM is the caller's. */
export async function azureTokenSim(t: ExecutionContext): Promise<TokenSim> {
  const tenant = 'aaaaaaaa-0000-0000-0000-000000000001';
  const client = 'bbbbbbbb-0000-0000-0000-000000000002';
  const secret = 'sim-Secret~value.1';
  const sub = 'cccccccc-0000-0000-0000-000000000003';
  const sim = await startTestSim(
    t,
    { instances: [], credentials: { azure: { tenant_id: tenant, client_id: client, client_secret: secret, subscription_id: sub } } },
    [azureSim],
  );
  return {
    args: `provider=azure tenant_id=${tenant} client_id=${client} secret_access_key="${secret}" subscription_id=${sub}`,
    env: { AZURE_AUTHORITY_HOST: sim.httpsUrl, AUTOJOIN_LOOPBACK_ONLY: '1' },
  };
}

/** The GCE token endpoint for a service-account key file the sim writes; compute is the caller's. */
export async function gceTokenSim(t: ExecutionContext): Promise<TokenSim> {
  const stateDir = mkdtempSync(join(tmpdir(), 'autojoin-gce-token-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  await startTestSim(
    t,
    { instances: [], credentials: { gce: { project: 'sim-proj', client_email: 'discovery@sim-proj.iam.gserviceaccount.com' } } },
    [gceSim],
    { stateDir },
  );
  return {
    args: `provider=gce project_name=sim-proj credentials_file=${join(stateDir, 'gce-service-account.json')}`,
    env: { AUTOJOIN_LOOPBACK_ONLY: '1', METADATA_SERVER_DETECTION: 'none', HOME: stateDir },
  };
}

/**
 * The azure provider's simulated cloud: Azure Resource Manager (`azure-arm`) and Entra ID with
 * the managed-identity endpoint (`azure-identity`). ARM needs the HTTPS listener (the Azure SDK
 * sends bearer tokens only over TLS), so `discover sim` prints the sim CA for NODE_EXTRA_CA_CERTS.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatConfig, type SimModule } from '../../src/kit/index.js';
import { armApi } from './sim-arm.js';
import { type AzureInstance, azureFleet } from './sim-fleet.js';
import { DEFAULT_RESOURCE_GROUP } from './sim-model.js';
import { FEDERATED_TOKEN_FILE, MSI_PATH, SIM_IDENTITY_HEADER, azureCredentials, identityApi } from './sim-identity.js';

const azureSim: SimModule = {
  provider: 'azure',
  apis: [identityApi, armApi],
  fleet: azureFleet,
  connect: {
    config: '`endpoint=https://127.0.0.1:PORT+1`, `tenant_id`, `client_id`, `secret_access_key`, `subscription_id`',
    env: '`AZURE_AUTHORITY_HOST=https://127.0.0.1:PORT+1`; for managed identity `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`',
    why: 'MSAL insists on an HTTPS authority; Resource Manager calls go to `endpoint`',
  },
  async setup(ctx) {
    // Workload identity reads its federated token from a file; the token endpoint accepts this one.
    await writeFile(join(ctx.stateDir, FEDERATED_TOKEN_FILE), `sim-federated-${randomUUID()}\n`, { mode: 0o600 });
  },
  paste(ctx) {
    const azure = ctx.fleet.instances.filter((i): i is AzureInstance => i.cloud === 'azure');
    if (azure.length === 0) return undefined;
    const creds = azureCredentials(ctx.fleet);
    const tagged = azure.find((i) => i.tags && Object.keys(i.tags).length > 0 && !(i.scale_set && i.orchestration !== 'flexible'));
    const tag = tagged ? Object.entries(tagged.tags!)[0] : undefined;
    const first = azure[0]!;
    const selector: Record<string, string> = tag
      ? { tag_name: tag[0], tag_value: tag[1] }
      : { resource_group: first.resource_group ?? DEFAULT_RESOURCE_GROUP, vm_scale_set: first.scale_set ?? '' };
    return {
      provider: 'azure',
      config: formatConfig({
        provider: 'azure',
        tenant_id: creds.tenant_id,
        client_id: creds.client_id,
        subscription_id: creds.subscription_id,
        secret_access_key: creds.client_secret,
        ...selector,
        endpoint: ctx.httpsUrl,
      }),
      env: {
        AZURE_AUTHORITY_HOST: ctx.httpsUrl,
        NODE_EXTRA_CA_CERTS: ctx.caPath,
        // For managed identity instead of a secret (drop secret_access_key from the config).
        IDENTITY_ENDPOINT: `${ctx.httpUrl}${MSI_PATH}`,
        IDENTITY_HEADER: SIM_IDENTITY_HEADER,
      },
    };
  },
};

export default azureSim;

/**
 * provider=azure: private or public addresses of Azure NICs, chosen by a NIC tag or by VM scale
 * set (Uniform and Flexible). go-discover's arguments and environment fallbacks, on the official
 * `@azure/arm-network` / `@azure/arm-compute` / `@azure/identity` SDKs, loaded only when it runs.
 */
import { type ArgProblem, defineProvider } from '../../src/kit/index.js';
import { AZURE_ADDR_TYPES } from './extract.js';

export default defineProvider({
  name: 'azure',
  summary: 'Microsoft Azure: NIC addresses by NIC tag or by VM scale set (Uniform and Flexible).',
  packages: ['@azure/arm-compute', '@azure/arm-network', '@azure/core-auth', '@azure/core-rest-pipeline', '@azure/identity'],
  args: {
    tenant_id: {
      type: 'string',
      env: ['ARM_TENANT_ID'],
      help: 'The id of the Microsoft Entra tenant (directory) of the service principal.',
    },
    client_id: {
      type: 'string',
      env: ['ARM_CLIENT_ID'],
      help: 'The id of the client (application). Without a secret it selects a user-assigned managed identity.',
    },
    subscription_id: {
      type: 'string',
      required: true,
      env: ['ARM_SUBSCRIPTION_ID'],
      help: 'The id of the subscription to search.',
    },
    secret_access_key: {
      type: 'string',
      secret: true,
      env: ['ARM_CLIENT_SECRET'],
      help: 'The client secret of the service principal. Quote it with double quotes if it holds spaces, `"` or `\\`.',
    },
    tag_name: {
      type: 'string',
      help: 'The name of the NIC tag to filter on (with tag_value).',
    },
    tag_value: {
      type: 'string',
      help: 'The value of the NIC tag to filter on (with tag_name).',
    },
    resource_group: {
      type: 'string',
      help: 'The resource group of the VM scale set (with vm_scale_set).',
    },
    vm_scale_set: {
      type: 'string',
      help: 'The name of the VM scale set to filter on (with resource_group); Uniform and Flexible orchestration.',
    },
    addr_type: {
      type: 'enum',
      values: AZURE_ADDR_TYPES,
      default: 'private_v4',
      help: 'Which address of each IP configuration: `private_v4` (default), `public_v4` (the attached public IP resource), `private_v6` or `public_v6`.',
    },
    endpoint: {
      type: 'url',
      help: 'Azure Resource Manager endpoint, for sovereign clouds: https://management.usgovcloudapi.net, https://management.chinacloudapi.cn. Default https://management.azure.com.',
    },
    authority_host: {
      type: 'url',
      env: ['AZURE_AUTHORITY_HOST'],
      help: 'Microsoft Entra authority for tokens, for sovereign clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn. Default https://login.microsoftonline.com.',
    },
    msft_telemetry_opt_in: {
      type: 'bool',
      env: ['OPT_IN_MSFT_TELEMETRY'],
      default: false,
      help: 'Accepted for go-discover compatibility and ignored: autojoin sends no telemetry.',
    },
  },
  notes: [
    'Modes: `tag_name` + `tag_value` lists every NIC in the subscription and keeps those carrying that tag (the tag must be on the NIC, compared case-sensitively, as in go-discover); `resource_group` + `vm_scale_set` lists the NICs of that scale set. Give exactly one of the two pairs.',
    'Flexible scale sets (go-discover#268): when the Uniform NIC list of the set is empty, the VMs of the resource group that belong to the set (`virtualMachineScaleSet.id`) are listed and their NICs taken from the resource group NIC list.',
    'Credentials, first match wins, without fall-through: (1) tenant_id + client_id + secret_access_key (client secret); (2) env AZURE_TENANT_ID, AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, or with AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_CERTIFICATE_PASSWORD); (3) env AZURE_FEDERATED_TOKEN_FILE with tenant and client id (AKS workload identity); (4) managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER, MSI_ENDPOINT, Azure Arc, else the VM metadata service), user-assigned when client_id or AZURE_CLIENT_ID is set. The Azure CLI, PowerShell and azd credentials of DefaultAzureCredential are never used, so no process is spawned. The managed-identity variables are read from the process environment (by MSAL, which keeps the source it finds first for the life of the process), the others from the environment autojoin is given.',
    "Environment: ARM_TENANT_ID, ARM_CLIENT_ID, ARM_SUBSCRIPTION_ID, ARM_CLIENT_SECRET, OPT_IN_MSFT_TELEMETRY (go-discover's), AZURE_AUTHORITY_HOST, the AZURE_* and managed-identity variables above, HTTP_PROXY / HTTPS_PROXY / NO_PROXY (applied by autojoin, Azure's own proxy handling is bypassed).",
    'Permissions (read only): tag mode `Microsoft.Network/networkInterfaces/read` (plus `Microsoft.Network/publicIPAddresses/read` for public_*); Uniform scale sets `Microsoft.Compute/virtualMachineScaleSets/networkInterfaces/read` (and `.../publicIPAddresses/read`); Flexible scale sets also `Microsoft.Compute/virtualMachines/read` and `Microsoft.Network/networkInterfaces/read` on the resource group. The built-in Reader role covers all of them.',
    "Every page of every list is read (ARM returns up to 1,000 NICs a page and a nextLink). Each page is one call tried at most 4 times (throttling 429 honouring Retry-After, 5xx, broken connections; the Azure SDK's own retries are off); a token request is tried once by the SDK and at most 4 times in all. A failure rejects the whole discovery: never a partial list.",
    'Differences from go-discover: `private_v4` (the default) returns IPv4 addresses only, where go-discover returned every private address including IPv6 ones (use `private_v6` for those); an empty result is an empty list, not the error `no interfaces`; a secret without tenant and client id is a validation error instead of a silent switch to DefaultAzureCredential; `endpoint` and `authority_host` reach sovereign clouds.',
    'Resource Manager must be reached over https (the SDK sends bearer tokens only over TLS); trust a private CA with NODE_EXTRA_CA_CERTS.',
    'Addresses come in API order, one per IP configuration; an IP configuration without the chosen kind of address (no public IP attached, a deallocated dynamic public IP) is skipped. An empty result is not an error.',
  ],
  examples: [
    'provider=azure tag_name=consul tag_value=server subscription_id=SUB tenant_id=TENANT client_id=CLIENT secret_access_key="SECRET"',
    'provider=azure resource_group=rg1 vm_scale_set=consul-servers subscription_id=SUB',
    'provider=azure tag_name=role tag_value=nomad addr_type=public_v4 subscription_id=SUB',
    'provider=azure tag_name=consul tag_value=server subscription_id=SUB endpoint=https://management.usgovcloudapi.net authority_host=https://login.microsoftonline.us',
  ],
  rules: [
    {
      oneOf: [
        ['tag_name', 'tag_value'],
        ['resource_group', 'vm_scale_set'],
      ],
      required: true,
      why: 'the configuration names no VMs otherwise',
    },
  ],
  validate(args) {
    const problems: ArgProblem[] = [];
    const given = [args.tenant_id, args.client_id, args.secret_access_key].filter(Boolean).length;
    if (args.secret_access_key && given < 3) {
      problems.push({
        key: args.tenant_id ? 'client_id' : 'tenant_id',
        message: 'secret_access_key needs tenant_id and client_id (or ARM_TENANT_ID and ARM_CLIENT_ID)',
      });
    }
    return problems;
  },
  async discover(args, ctx) {
    const { runAzure } = await import('./client.js');
    return runAzure(args, ctx);
  },
});

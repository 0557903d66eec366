/**
 * The azure provider's pure parts, without a server: NIC/public IP/VM objects -> targets,
 * tag matching, Flexible scale set membership, SDK error mapping and the retry verdicts.
 */
import test from 'ava';
import { crossArgProblems } from '../../src/args.js';
import { AbortError, ProviderError } from '../../src/errors.js';
import { classifyAzureError, toAzureError } from './errors.js';
import {
  type AzureAddrType,
  compactNic,
  compactPublicIp,
  type NicLike,
  type VmLike,
  flexibleScaleSetNics,
  nicHasTag,
  nicTargets,
  publicIpIndex,
} from './extract.js';
import azure from './index.js';

const RG = '/subscriptions/s/resourceGroups/rg/providers';
const pip = (name: string, ipAddress?: string, version = 'IPv4') => ({
  id: `${RG}/Microsoft.Network/publicIPAddresses/${name}`,
  ...(ipAddress ? { ipAddress } : {}),
  publicIPAddressVersion: version,
});

/** A dual-stack VM: v4 config with a public IP, v6 config with a public IPv6, in one NIC. */
const dual: NicLike = {
  id: `${RG}/Microsoft.Network/networkInterfaces/a-nic0`,
  name: 'a-nic0',
  location: 'westeurope',
  tags: { consul: 'server' },
  virtualMachine: { id: `${RG}/Microsoft.Compute/virtualMachines/a` },
  ipConfigurations: [
    {
      privateIPAddress: '10.0.0.4',
      privateIPAddressVersion: 'IPv4',
      publicIPAddress: { id: `${RG}/Microsoft.Network/publicIPAddresses/A-PIP` },
    },
    { privateIPAddress: 'fd00::4', privateIPAddressVersion: 'IPv6', publicIPAddress: { id: `${RG}/Microsoft.Network/publicIPAddresses/a-pip6` } },
  ],
};
/** A second NIC on another VM: private only, a public IP whose dynamic address was released (deallocated). */
const noPublic: NicLike = {
  id: `${RG}/Microsoft.Network/networkInterfaces/b-nic0`,
  name: 'b-nic0',
  virtualMachine: { id: `${RG}/Microsoft.Compute/virtualMachines/b` },
  ipConfigurations: [
    { privateIPAddress: '10.0.0.5', publicIPAddress: { id: `${RG}/Microsoft.Network/publicIPAddresses/b-pip` } },
    { privateIPAddress: '10.0.1.5' },
  ],
};
/** A NIC with no address at all yet (still provisioning) and a detached NIC (no VM). */
const empty: NicLike = { id: `${RG}/Microsoft.Network/networkInterfaces/c-nic0`, ipConfigurations: [{}] };
const detached: NicLike = { id: `${RG}/Microsoft.Network/networkInterfaces/d-nic0`, ipConfigurations: [{ privateIPAddress: '10.0.0.9' }] };
/** A Uniform scale set NIC whose public IP came inline (an expanded response). */
const inline: NicLike = { ipConfigurations: [{ privateIPAddress: '10.0.2.1', publicIPAddress: { id: 'x/publicIPAddresses/p', ipAddress: '52.0.0.9' } }] };

// Public IP ids are matched case-insensitively (ARM ids are), hence A-PIP vs a-pip.
const publicIps = publicIpIndex([pip('a-pip', '20.0.0.4'), pip('a-pip6', '2603:1000::4', 'IPv6'), pip('b-pip')]);

const addressCases: Array<{ name: string; nics: NicLike[]; addrType: AzureAddrType; want: string[] }> = [
  {
    name: 'private_v4: every IPv4 config of every NIC, API order',
    nics: [dual, noPublic, empty, detached],
    addrType: 'private_v4',
    want: ['10.0.0.4', '10.0.0.5', '10.0.1.5', '10.0.0.9'],
  },
  {
    name: 'public_v4: joined through the public IP resource; released and missing IPs skipped',
    nics: [dual, noPublic, empty, detached],
    addrType: 'public_v4',
    want: ['20.0.0.4'],
  },
  { name: 'private_v6: only IPv6 configs', nics: [dual, noPublic], addrType: 'private_v6', want: ['fd00::4'] },
  { name: 'public_v6: IPv6 public IP resources', nics: [dual, noPublic], addrType: 'public_v6', want: ['2603:1000::4'] },
  { name: 'public_v4: an inline ipAddress needs no lookup', nics: [inline], addrType: 'public_v4', want: ['52.0.0.9'] },
  { name: 'no NICs, no targets', nics: [], addrType: 'private_v4', want: [] },
  { name: 'a NIC without ipConfigurations', nics: [{ id: 'x' }], addrType: 'private_v4', want: [] },
];
for (const c of addressCases) {
  test(`nicTargets ${c.name}`, (t) => {
    t.deepEqual(
      nicTargets(c.nics, c.addrType, publicIps).map((target) => target.address),
      c.want,
    );
  });
}

test('nicTargets: a version-less config is classified by its address', (t) => {
  const nic: NicLike = { ipConfigurations: [{ privateIPAddress: '10.9.9.9' }, { privateIPAddress: 'fd00::9' }] };
  t.deepEqual(
    nicTargets([nic], 'private_v4').map((x) => x.address),
    ['10.9.9.9'],
  );
  t.deepEqual(
    nicTargets([nic], 'private_v6').map((x) => x.address),
    ['fd00::9'],
  );
});

test('nicTargets: target names the VM, the NIC and the location', (t) => {
  const [first] = nicTargets([dual], 'private_v4');
  t.deepEqual(first, {
    address: '10.0.0.4',
    id: `${RG}/Microsoft.Compute/virtualMachines/a`,
    name: 'a-nic0',
    zone: 'westeurope',
    meta: { nic: dual.id! },
  });
  t.is(nicTargets([detached], 'private_v4')[0]?.id, detached.id, 'a NIC without a VM is named by its own id');
});

test('compactNic/compactPublicIp keep exactly what nicTargets reads', (t) => {
  const sdkShaped = {
    ...dual,
    etag: 'W/"x"',
    macAddress: '00-0D-3A',
    ipConfigurations: dual.ipConfigurations!.map((c) => ({ ...c, subnet: { id: 'sub' }, primary: true })),
  };
  const compact = compactNic(sdkShaped);
  t.deepEqual(nicTargets([compact], 'public_v4', publicIps), nicTargets([dual], 'public_v4', publicIps));
  t.deepEqual(nicTargets([compact], 'private_v6', publicIps), nicTargets([dual], 'private_v6', publicIps));
  t.false('etag' in compact || 'tags' in compact);
  t.deepEqual(compactPublicIp({ ...pip('p', '1.2.3.4'), sku: { name: 'Standard' } } as never), pip('p', '1.2.3.4'));
});

const tagCases: Array<{ name: string; tags: Record<string, string> | undefined; key: string; value: string; want: boolean }> = [
  { name: 'exact match', tags: { consul: 'server' }, key: 'consul', value: 'server', want: true },
  { name: 'other value', tags: { consul: 'client' }, key: 'consul', value: 'server', want: false },
  { name: 'key case differs (Go map lookup is exact)', tags: { Consul: 'server' }, key: 'consul', value: 'server', want: false },
  { name: 'value case differs', tags: { consul: 'Server' }, key: 'consul', value: 'server', want: false },
  { name: 'empty value matches an empty tag', tags: { consul: '' }, key: 'consul', value: '', want: true },
  { name: 'no tags', tags: undefined, key: 'consul', value: 'server', want: false },
  { name: 'inherited keys do not count', tags: {}, key: 'toString', value: 'x', want: false },
];
for (const c of tagCases) {
  test(`nicHasTag: ${c.name}`, (t) => {
    t.is(nicHasTag({ ...(c.tags ? { tags: c.tags } : {}) }, c.key, c.value), c.want);
  });
}

test('flexibleScaleSetNics: members by VM link or NIC list, case-insensitive ids, other sets excluded', (t) => {
  const set = '/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/flex';
  const vms: VmLike[] = [
    { id: `${RG}/Microsoft.Compute/virtualMachines/f1`, virtualMachineScaleSet: { id: set.toUpperCase() } },
    {
      id: `${RG}/Microsoft.Compute/virtualMachines/f2`,
      virtualMachineScaleSet: { id: set },
      networkProfile: { networkInterfaces: [{ id: `${RG}/Microsoft.Network/networkInterfaces/f2-second` }] },
    },
    { id: `${RG}/Microsoft.Compute/virtualMachines/other`, virtualMachineScaleSet: { id: `${set}2` } },
    { id: `${RG}/Microsoft.Compute/virtualMachines/solo` },
  ];
  const nic = (name: string, vm?: string): NicLike => ({
    id: `${RG}/Microsoft.Network/networkInterfaces/${name}`,
    ...(vm ? { virtualMachine: { id: `${RG}/Microsoft.Compute/virtualMachines/${vm}` } } : {}),
  });
  const nics = [nic('f1-nic0', 'F1'), nic('f2-second'), nic('other-nic0', 'other'), nic('solo-nic0', 'solo')];
  t.deepEqual(
    flexibleScaleSetNics(vms, nics, 'rg', 'flex').map((n) => n.id?.split('/').pop()),
    ['f1-nic0', 'f2-second'],
  );
});

/** What the Azure SDK throws, shaped as @azure/core-rest-pipeline's RestError. */
function restError(message: string, code: string | undefined, statusCode: number | undefined, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), {
    name: 'RestError',
    code,
    statusCode,
    response: statusCode === undefined ? undefined : { status: statusCode, headers: { get: (h: string) => headers[h.toLowerCase()] } },
  });
}

const errorCases: Array<{
  name: string;
  err: unknown;
  status?: number;
  cloudCode?: string;
  throttled: boolean;
  retry: boolean;
  afterMs?: number;
  message: RegExp;
}> = [
  {
    name: '429 TooManyRequests with Retry-After',
    err: restError('The request is being throttled', 'TooManyRequests', 429, { 'retry-after': '3' }),
    status: 429,
    cloudCode: 'TooManyRequests',
    throttled: true,
    retry: true,
    afterMs: 3000,
    message: /^discover-azure: NetworkInterfaces_ListAll failed: 429 TooManyRequests: The request is being throttled$/,
  },
  {
    name: '500',
    err: restError('Encountered internal server error.', 'InternalServerError', 500),
    status: 500,
    cloudCode: 'InternalServerError',
    throttled: false,
    retry: true,
    message: /500 InternalServerError/,
  },
  {
    name: '503',
    err: restError('unavailable', 'ServiceUnavailable', 503),
    status: 503,
    cloudCode: 'ServiceUnavailable',
    throttled: false,
    retry: true,
    message: /503 ServiceUnavailable/,
  },
  {
    name: '401 token refused by ARM',
    err: restError('The access token is invalid.', 'InvalidAuthenticationToken', 401),
    status: 401,
    cloudCode: 'InvalidAuthenticationToken',
    throttled: false,
    retry: false,
    message: /401 InvalidAuthenticationToken/,
  },
  {
    name: '404 subscription',
    err: restError("The subscription 'x' could not be found.", 'SubscriptionNotFound', 404),
    status: 404,
    cloudCode: 'SubscriptionNotFound',
    throttled: false,
    retry: false,
    message: /404 SubscriptionNotFound/,
  },
  {
    name: 'connection reset',
    err: restError('socket hang up', 'ECONNRESET', undefined),
    cloudCode: 'ECONNRESET',
    throttled: false,
    retry: true,
    message: /ECONNRESET: socket hang up/,
  },
  {
    name: 'malformed 200 body',
    err: restError('Error "SyntaxError: Unexpected token" occurred while parsing the response body', 'PARSE_ERROR', 200),
    status: 200,
    cloudCode: 'PARSE_ERROR',
    throttled: false,
    retry: false,
    message: /malformed response body/,
  },
  {
    name: 'body cut short',
    err: restError('Error reading response as text: aborted', 'PARSE_ERROR', undefined),
    cloudCode: 'PARSE_ERROR',
    throttled: false,
    retry: true,
    message: /response body cut short/,
  },
  {
    name: 'wrong client secret (MSAL text)',
    err: Object.assign(
      new Error(
        'invalid_client: Error(s): 7000215 - Timestamp: 2026-11-25 21:00:00Z - Description: AADSTS7000215: Invalid client secret provided. Trace ID: t Correlation ID: c Timestamp: x',
      ),
      { name: 'AuthenticationRequiredError' },
    ),
    status: 401,
    cloudCode: 'AADSTS7000215',
    throttled: false,
    retry: false,
    message: /^discover-azure: GetToken failed: 401 AADSTS7000215: Invalid client secret provided\.$/,
  },
  {
    name: 'Entra ID throttling',
    err: Object.assign(new Error('temporarily_unavailable: Error(s): 50196 - Description: AADSTS50196: loop. Trace ID: t'), {
      name: 'AuthenticationRequiredError',
    }),
    status: 503,
    cloudCode: 'AADSTS50196',
    throttled: true,
    retry: true,
    message: /GetToken failed: 503 AADSTS50196/,
  },
  {
    name: 'Entra ID 5xx (MSAL words it without a status)',
    err: Object.assign(new Error('90000: AADSTS90000: The service encountered an internal error. Trace ID: t'), { name: 'AuthenticationRequiredError' }),
    cloudCode: 'AADSTS90000',
    throttled: false,
    retry: true,
    message: /^discover-azure: GetToken failed: AADSTS90000: The service encountered an internal error\.$/,
  },
  {
    name: 'managed identity endpoint unavailable',
    err: Object.assign(new Error('ManagedIdentityCredential: no managed identity endpoint'), { name: 'CredentialUnavailableError' }),
    cloudCode: 'CredentialUnavailableError',
    throttled: false,
    retry: false,
    message: /GetToken failed: CredentialUnavailableError: ManagedIdentityCredential/,
  },
];
for (const c of errorCases) {
  test(`toAzureError + classify: ${c.name}`, (t) => {
    const mapped = toAzureError(c.err, 'NetworkInterfaces_ListAll');
    t.true(mapped instanceof ProviderError);
    const e = mapped as ProviderError;
    t.is(e.provider, 'azure');
    t.is(e.status, c.status);
    t.is(e.cloudCode, c.cloudCode);
    t.is(e.throttled, c.throttled);
    t.is(e.code, c.throttled ? 'ERR_PROVIDER_THROTTLED' : 'ERR_PROVIDER');
    t.regex(e.message, c.message);
    t.is(e.cause, c.err);
    const verdict = classifyAzureError(e);
    t.is(verdict.retry, c.retry);
    t.is(verdict.afterMs, c.afterMs);
  });
}

test('toAzureError: an SDK abort becomes AbortError; autojoin errors pass through', (t) => {
  t.true(toAzureError(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }), 'X') instanceof AbortError);
  const own = new ProviderError('azure', 'x', { operation: 'Y' });
  t.is(toAzureError(own, 'X'), own);
  t.deepEqual(classifyAzureError(new Error('programming error')), { retry: false });
});

const validateCases: Array<{ name: string; args: Record<string, string | undefined>; problems: string[] }> = [
  { name: 'tags', args: { tag_name: 'a', tag_value: 'b' }, problems: [] },
  { name: 'scale set', args: { resource_group: 'rg', vm_scale_set: 'v' }, problems: [] },
  { name: 'neither', args: {}, problems: ['tag_name'] },
  { name: 'both', args: { tag_name: 'a', tag_value: 'b', resource_group: 'rg', vm_scale_set: 'v' }, problems: ['tag_name'] },
  { name: 'tag_name alone', args: { tag_name: 'a' }, problems: ['tag_value'] },
  { name: 'vm_scale_set alone', args: { vm_scale_set: 'v' }, problems: ['resource_group'] },
  { name: 'secret without tenant', args: { tag_name: 'a', tag_value: 'b', client_id: 'c', secret_access_key: 's' }, problems: ['tenant_id'] },
  { name: 'full service principal', args: { tag_name: 'a', tag_value: 'b', tenant_id: 't', client_id: 'c', secret_access_key: 's' }, problems: [] },
];
for (const c of validateCases) {
  test(`validate: ${c.name}`, (t) => {
    const args = { subscription_id: 'sub', addr_type: 'private_v4', msft_telemetry_opt_in: false, ...c.args } as Parameters<
      NonNullable<typeof azure.validate>
    >[0];
    t.deepEqual(
      crossArgProblems(azure, args).map((p) => p.key),
      c.problems,
    );
  });
}

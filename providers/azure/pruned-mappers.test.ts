/**
 * The azure bundle's arm-network holds only the type mappers its operation groups reach, with
 * NetworkInterface, NetworkInterfaceIPConfiguration and PublicIPAddress cut to the properties the
 * provider reads (scripts/bundle-arm-mappers.mjs, providers/azure/fields.ts). Differential:
 * core-client's serializer over the pruned models/mappers.js, exactly as the bundle gets it, reads
 * the recorded ARM answers (fixtures/), the simulator's answers and error bodies, and a
 * polymorphic answer into the same objects as over the package's whole file: every field, and
 * for NICs and public IPs every field the provider reads (what `compactNic`/`compactPublicIp`
 * keep); and the pruning fails loudly when a mapper it needs is missing, a cut names a property
 * the package lacks, or the file's shape changes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSerializer, type CompositeMapper, type Mapper } from '@azure/core-client';
import test, { type ExecutionContext } from 'ava';
import { compactNic, compactPublicIp, type NicLike, type PublicIpLike } from './extract.js';
import { ARM_NETWORK_READ_PROPERTIES } from './fields.js';
import azureSim from './sim.js';
import { armFleet, armGet } from './test-arm.js';
import { createHttpClient } from '../../src/http/index.js';
import { startTestSim } from '../../test/helpers/sim.js';

interface ArmSettings {
  package: string;
  file: string;
  keep: string[];
}
type Namespace = Record<string, unknown> & { discriminators: Record<string, Mapper> };
interface Pruning {
  armFiles(settings: ArmSettings): { mappers: string; parameters: string; client: string; operations: Record<string, { file: string }> };
  cutProperties(all: object, cuts: Record<string, readonly string[]>): string;
  pruneArmModels(
    settings: ArmSettings,
    cuts?: Record<string, readonly string[]>,
  ): Promise<{ mappers: string; parameters: string; reached: { names: string[]; discriminators: string[] } }>;
  reachableMappers(all: object, parameters: object, files: string[]): { names: string[] };
  splitExportConsts(text: string, file: string, module: object): { statements: Map<string, string> };
}

const scripts = new URL('../../scripts/', import.meta.url);
// The build scripts are plain ES modules (no types): imported by URL, typed here.
const pruning = (await import(new URL('bundle-arm-mappers.mjs', scripts).href)) as Pruning;
const { SETTINGS } = (await import(new URL('bundle-providers.mjs', scripts).href)) as { SETTINGS: { azure: { armOperations: ArmSettings } } };
const settings = SETTINGS.azure.armOperations;
const files = pruning.armFiles(settings);
const whole = (await import(pathToFileURL(files.mappers).href)) as Namespace;
const pruned = await pruning.pruneArmModels(settings, ARM_NETWORK_READ_PROPERTIES);

/** The pruned files loaded as the bundle loads them: side by side, parameters.js importing ../models/mappers.js. */
async function loadPruned(): Promise<Namespace> {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-arm-models-test-'));
  try {
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(dir, 'mappers.js'), pruned.mappers);
    return (await import(pathToFileURL(path.join(dir, 'mappers.js')).href)) as Namespace;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const prunedNamespace = await loadPruned();

/** What the provider keeps of a list answer whose items are cut mappers: the fields extract.ts reads. */
const READ: Record<string, (item: never) => unknown> = {
  NetworkInterfaceListResult: (nic: NicLike) => compactNic(nic),
  PublicIPAddressListResult: (pip: PublicIpLike) => compactPublicIp(pip),
};

/**
 * `body` read as `className` by a serializer over each namespace: the same objects (for a list of
 * cut mappers, the same fields the provider reads, and the same next link), or the test fails.
 * @returns the pruned reading and the whole one
 */
function readBoth(t: ExecutionContext, className: string, body: unknown): { pruned: Record<string, unknown>; whole: Record<string, unknown> } {
  const fromWhole = createSerializer(whole, false).deserialize(whole[className] as CompositeMapper, body, 'body') as Record<string, unknown>;
  const fromPruned = createSerializer(prunedNamespace, false).deserialize(prunedNamespace[className] as CompositeMapper, body, 'body') as Record<
    string,
    unknown
  >;
  const read = READ[className];
  if (read) {
    const project = (list: Record<string, unknown>) => ({ ...list, value: (list.value as never[]).map(read) });
    t.deepEqual(project(fromPruned), project(fromWhole), className);
  } else {
    t.deepEqual(fromPruned, fromWhole, className);
  }
  return { pruned: fromPruned, whole: fromWhole };
}

const recorded = async (name: string): Promise<unknown> => JSON.parse(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));

test('the pruned mappers are a small part of the whole file, and hold what the list answers name as far as the provider reads', (t) => {
  const names = Object.keys(prunedNamespace).filter((name) => name !== 'discriminators');
  t.true(names.length < 150, `${names.length} mappers kept`);
  t.true(Object.keys(whole).length > 800);
  t.true(pruned.mappers.length * 4 < (whole.CloudError ? 1_000_000 : 0));
  for (const name of [
    'NetworkInterfaceListResult',
    'NetworkInterface',
    'NetworkInterfaceIPConfiguration',
    'PublicIPAddressListResult',
    'PublicIPAddress',
    'CloudError',
  ]) {
    t.true(name in prunedNamespace, name);
  }
  t.false('ApplicationGateway' in prunedNamespace);
  // Reached only through properties the cuts leave out (a configuration's subnet, a NIC's DNS settings).
  t.false('Subnet' in prunedNamespace);
  t.false('NetworkInterfaceDnsSettings' in prunedNamespace);
});

test('the recorded NetworkInterfaces_List answer reads the same through the pruned mappers, every field the provider reads', async (t) => {
  const read = readBoth(t, 'NetworkInterfaceListResult', await recorded('network-interfaces-list.json'));
  type Nic = { ipConfigurations: { privateIPAddress?: string; subnet?: { id?: string } }[]; enableIPForwarding?: boolean };
  const [prunedNic, wholeNic] = [read.pruned, read.whole].map((list) => (list.value as Nic[])[0]!);
  // Not vacuous: the answer is read deep (flattened properties, nested configurations)...
  t.is(prunedNic!.ipConfigurations[0]?.privateIPAddress, '172.20.2.4');
  // ...and cut: the whole mappers read the subnet and the NIC's other properties, the bundle's do not.
  t.truthy(wholeNic!.ipConfigurations[0]?.subnet?.id);
  t.is(prunedNic!.ipConfigurations[0]?.subnet, undefined);
  t.is(typeof wholeNic!.enableIPForwarding, 'boolean');
  t.is(prunedNic!.enableIPForwarding, undefined);
});

test('the recorded PublicIPAddresses_List answer reads the same through the pruned mappers, every field the provider reads', async (t) => {
  const read = readBoth(t, 'PublicIPAddressListResult', await recorded('public-ip-addresses-list.json'));
  t.true((read.pruned.value as { ipAddress?: string }[]).some((pip) => pip.ipAddress === '192.0.2.247'));
});

test("the simulator's list answers and error bodies read the same through the pruned mappers", async (t) => {
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const sim = await startTestSim(t, armFleet(), [azureSim]);
  const get = (pathAndQuery: string, appid?: string) => armGet(http, sim.httpsUrl, pathAndQuery, appid);
  const lists: [string, string][] = [
    ['/providers/Microsoft.Network/networkInterfaces?api-version=2025-05-01', 'NetworkInterfaceListResult'],
    ['/resourceGroups/rg-sets/providers/Microsoft.Compute/virtualMachineScaleSets/uni/networkInterfaces?api-version=2018-10-01', 'NetworkInterfaceListResult'],
    ['/providers/Microsoft.Network/publicIPAddresses?api-version=2025-05-01', 'PublicIPAddressListResult'],
    ['/resourceGroups/rg-sets/providers/Microsoft.Compute/virtualMachineScaleSets/uni/publicIPAddresses?api-version=2018-10-01', 'PublicIPAddressListResult'],
  ];
  for (const [pathAndQuery, className] of lists) {
    const answer = await get(pathAndQuery);
    t.is(answer.status, 200, pathAndQuery);
    const read = readBoth(t, className, answer.body);
    t.true((read.pruned.value as unknown[]).length > 0, pathAndQuery);
  }
  // Every operation's `default` answer is a CloudError.
  const refused = await get('/providers/Microsoft.Network/networkInterfaces?api-version=2025-05-01', 'dddddddd-0000-0000-0000-000000000004');
  t.is(refused.status, 403);
  const error = readBoth(t, 'CloudError', refused.body).pruned as { error?: { code?: string } };
  t.is(error.error?.code, 'AuthorizationFailed');
});

test("a polymorphic answer of the client's own operations picks the same subtypes through the pruned discriminators", (t) => {
  t.deepEqual(
    Object.keys(prunedNamespace.discriminators).filter((key) => key.startsWith('ActiveBaseSecurityAdminRule')),
    ['ActiveBaseSecurityAdminRule', 'ActiveBaseSecurityAdminRule.Custom', 'ActiveBaseSecurityAdminRule.Default'],
  );
  // ListActiveSecurityAdminRules' answer shape (NetworkManagerActiveSecurityAdminRulesList.json of azure-rest-api-specs).
  const body = {
    value: [
      {
        id: 'rule1',
        kind: 'Custom',
        properties: { protocol: 'Tcp', access: 'Deny', priority: 1, direction: 'Inbound', sources: [{ addressPrefix: '10.0.0.0/8' }] },
      },
      { id: 'rule2', kind: 'Default', properties: { flag: 'AllowVnetInbound', protocol: 'Tcp' } },
    ],
    skipToken: 'next',
  };
  const read = readBoth(t, 'ActiveSecurityAdminRulesListResult', body).pruned as { value: Record<string, unknown>[] };
  t.is(read.value[0]?.access, 'Deny');
  t.is(read.value[1]?.flag, 'AllowVnetInbound');
});

test('the pruning fails loudly when a mapper it reaches is missing', async (t) => {
  const { NetworkInterfaceDnsSettings: _dropped, ...lacking } = whole;
  const parameters = (await import(pathToFileURL(files.parameters).href)) as object;
  t.throws(() => pruning.reachableMappers(lacking, parameters, [files.operations.networkInterfaces?.file ?? '']), {
    message: /names the mapper NetworkInterfaceDnsSettings, which arm-network's models\/mappers\.js does not define/,
  });
});

test('a cut that names a mapper or a property arm-network lacks fails the build', (t) => {
  t.regex(pruning.cutProperties(whole, { PublicIPAddress: ['id', 'ipAddress'] }), /\[PublicIPAddress, \["id","ipAddress"\]\]/);
  t.throws(() => pruning.cutProperties(whole, { PublicIPAddress: ['id', 'address'] }), {
    message: "bundle: arm-network's mapper PublicIPAddress has no property address",
  });
  t.throws(() => pruning.cutProperties(whole, { NoSuchMapper: ['id'] }), { message: 'bundle: arm-network has no composite mapper NoSuchMapper to cut' });
});

test('the pruning fails loudly when models/mappers.js is no longer a list of export const statements', (t) => {
  const module = { A: 1, B: 2 };
  const good = 'export const A = {\n    x: 1,\n};\nexport const B = 2;\n//# sourceMappingURL=m.js.map';
  t.is(pruning.splitExportConsts(good, 'm.js', module).statements.size, 2);
  const cases = [
    { name: 'another statement between two', text: 'export const A = {\n    x: 1,\n};\nObject.freeze(A);\nexport const B = 2;\n//# sourceMappingURL=m.js.map' },
    { name: 'an export not written as export const', text: 'export const A = 1;\nexport { B };\n//# sourceMappingURL=m.js.map' },
    { name: 'no source map comment to end the list', text: 'export const A = 1;\nexport const B = 2;\n' },
  ];
  for (const c of cases) t.throws(() => pruning.splitExportConsts(c.text, 'm.js', module), { message: /^bundle: m\.js/ }, c.name);
});

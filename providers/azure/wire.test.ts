/**
 * The simulator's ARM answers against the `x-ms-examples` of Azure/azure-rest-api-specs
 * (fixtures/, sources in fixtures/README.md): every key path the extractor reads is in both with
 * the same type, the simulator sends no path the real API lacks, and the extractor yields the
 * expected targets from the recorded samples.
 */
import { readFile } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { compactNic, compactPublicIp, idKey, type NicLike, nicTargets, type PublicIpLike, publicIpIndex } from './extract.js';
import azureSim from './sim.js';
import { armFleet, armGet } from './test-arm.js';
import { createHttpClient } from '../../src/http/index.js';
import { compareShapes, shapeOf } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';

const recorded = async (name: string): Promise<unknown> => JSON.parse(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));

const http = createHttpClient({ env: {} });
test.after.always(() => http.destroy());

/** One ARM GET of the test estate's simulator, which must answer 200. */
async function listOf(t: ExecutionContext, path: string): Promise<unknown> {
  const sim = await startTestSim(t, armFleet(), [azureSim]);
  const answer = await armGet(http, sim.httpsUrl, path);
  t.is(answer.status, 200);
  return answer.body;
}

/** User-keyed maps: their keys are data, not schema. */
const MAPS = ['value.tags'];

/** What nicTargets / nicHasTag / compactNic read of a NIC, on the wire (the SDK flattens `properties`). */
const NIC_READ = [
  'value.id',
  'value.name',
  'value.location',
  'value.properties.virtualMachine.id',
  'value.properties.ipConfigurations.properties.privateIPAddress',
  'value.properties.ipConfigurations.properties.privateIPAddressVersion',
  'value.properties.ipConfigurations.properties.publicIPAddress.id',
];
// Read too, but absent from the example (it tags nothing): `value.tags.*` (string). The rest are
// fields of the spec's NetworkInterface schema a real ARM answer carries that the example leaves out.
const NIC_EXTRA = [
  'value.tags',
  'nextLink',
  'value.etag',
  'value.properties.resourceGuid',
  'value.properties.nicType',
  'value.properties.ipConfigurations.etag',
  'value.properties.ipConfigurations.type',
];

/** What compactPublicIp reads of a public IP. */
const PIP_READ = ['value.id', 'value.properties.ipAddress', 'value.properties.publicIPAddressVersion'];
// In the spec's PublicIPAddress schema (a Standard SKU is what ARM reports for new addresses), not in the example.
const PIP_EXTRA = ['nextLink', 'value.etag', 'value.sku', 'value.properties.resourceGuid'];

test('NetworkInterfaces_ListAll: the sim answers in the shape of the spec example', async (t) => {
  const sim = shapeOf(await listOf(t, '/providers/Microsoft.Network/networkInterfaces?api-version=2025-05-01'), { maps: MAPS });
  const real = shapeOf(await recorded('network-interfaces-list.json'), { maps: MAPS });
  t.deepEqual(compareShapes(sim, real, NIC_READ, NIC_EXTRA), []);
  t.deepEqual([...(sim.get('value.tags.*') ?? [])], ['string']);
});

test('VirtualMachineScaleSets_ListNetworkInterfaces: a NetworkInterface list, in the shape of the spec example', async (t) => {
  const body = await listOf(t, '/resourceGroups/rg-sets/providers/Microsoft.Compute/virtualMachineScaleSets/uni/networkInterfaces?api-version=2018-10-01');
  const sim = shapeOf(body, { maps: MAPS });
  const real = shapeOf(await recorded('network-interfaces-list.json'), { maps: MAPS });
  t.deepEqual(compareShapes(sim, real, NIC_READ, NIC_EXTRA), []);
});

test('PublicIPAddresses_ListAll: the sim answers in the shape of the spec example', async (t) => {
  const sim = shapeOf(await listOf(t, '/providers/Microsoft.Network/publicIPAddresses?api-version=2025-05-01'), { maps: MAPS });
  const real = shapeOf(await recorded('public-ip-addresses-list.json'), { maps: MAPS });
  t.deepEqual(compareShapes(sim, real, PIP_READ, PIP_EXTRA), []);
});

/** What the SDK's deserializer does to an ARM resource: `properties` flattened into the object. */
function flatten<T>(resource: Record<string, unknown>): T {
  const { properties, ...rest } = resource as { properties?: Record<string, unknown> };
  const out: Record<string, unknown> = { ...rest, ...properties };
  if (Array.isArray(out.ipConfigurations)) out.ipConfigurations = out.ipConfigurations.map((c: Record<string, unknown>) => flatten(c));
  return out as T;
}

test('the extractor on the recorded examples: private addresses per IP configuration, public ones by id', async (t) => {
  const nics = ((await recorded('network-interfaces-list.json')) as { value: Record<string, unknown>[] }).value.map((n) => compactNic(flatten<NicLike>(n)));
  const pips = ((await recorded('public-ip-addresses-list.json')) as { value: Record<string, unknown>[] }).value.map((p) =>
    compactPublicIp(flatten<PublicIpLike>(p)),
  );
  const nic = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/test-nic';
  t.deepEqual(nicTargets(nics, 'private_v4'), [
    // the prefix configuration (privateIPAddress null) gives nothing
    {
      address: '172.20.2.4',
      id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1',
      name: 'test-nic',
      zone: 'eastus',
      meta: { nic },
    },
    { address: '172.20.2.4', id: `${nic}2`, name: 'test-nic2', zone: 'eastus', meta: { nic: `${nic}2` } },
  ]);
  // The examples' NICs reference test-ip / test-ip2, which the public IP example does not hold.
  t.deepEqual(nicTargets(nics, 'public_v4', publicIpIndex(pips)), []);
  const ip03 = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/ip03';
  const linked = nics.map((n) => ({
    ...n,
    ipConfigurations: n.ipConfigurations?.map((c) => (c.publicIPAddress ? { ...c, publicIPAddress: { id: ip03 } } : c)),
  }));
  t.deepEqual(
    nicTargets(linked, 'public_v4', publicIpIndex(pips)).map((target) => target.address),
    ['192.0.2.247', '192.0.2.247'],
  );
  t.deepEqual(publicIpIndex(pips).get(idKey(ip03)), { id: ip03, ipAddress: '192.0.2.247', publicIPAddressVersion: 'IPv4' });
});

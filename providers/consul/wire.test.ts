/**
 * The simulator's Consul answers against the sample responses of HashiCorp's API docs
 * (fixtures/, sources in fixtures/README.md): every key path the extractor reads is in both with
 * the same type, the simulator sends no path the real API lacks, and the extractor yields the
 * expected targets from the recorded samples.
 */
import { readFile } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { type CatalogServiceEntry, catalogTargets, type HealthServiceEntry, healthTargets } from './extract.js';
import consulSim from './sim.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Fleet } from '../../src/sim/fleet.js';
import { compareShapes, shapeOf } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';

const TOKEN = 'sim-consul-token-wire';
const recorded = async (name: string): Promise<unknown> => JSON.parse(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));

const fleet = (): Fleet => ({
  credentials: { consul: { token: TOKEN } },
  instances: [],
  services: [
    { node: 'node-1', node_address: '10.3.0.11', service: 'nomad', port: 4647, tags: ['rpc', 'serf'], datacenter: 'dc1' },
    { node: 'node-2', node_address: '10.3.0.12', service: 'nomad', port: 4647, tags: ['rpc'], datacenter: 'dc1', service_address: '10.9.0.12' },
  ],
});

const http = createHttpClient({ env: {} });
test.after.always(() => http.destroy());

async function simGet(t: ExecutionContext, path: string): Promise<unknown> {
  const sim = await startTestSim(t, fleet(), [consulSim]);
  const res = await http.request(new URL(path, sim.httpUrl).href, { headers: { 'x-consul-token': TOKEN } });
  t.is(res.status, 200);
  return res.json();
}

/** User-keyed maps: their keys are data, not schema. */
const CATALOG_MAPS = ['TaggedAddresses', 'NodeMeta', 'ServiceMeta', 'ServiceTaggedAddresses'];
const HEALTH_MAPS = ['Node.TaggedAddresses', 'Node.Meta', 'Service.Meta', 'Service.TaggedAddresses'];

/** What catalogTargets reads (extract.ts). */
const CATALOG_READ = ['Node', 'Address', 'Datacenter', 'ServiceID', 'ServiceAddress', 'ServicePort', 'ServiceTags'];
/** What healthTargets reads (extract.ts). */
const HEALTH_READ = ['Node.Node', 'Node.Address', 'Node.Datacenter', 'Service.ID', 'Service.Address', 'Service.Port', 'Service.Tags'];

// Fields a real agent sends (structs.ServiceNode / api.CatalogService of Consul 1.x) that the
// docs' sample simply leaves out; none is read by the extractor.
const CATALOG_EXTRA = [
  'ServiceKind',
  'ServiceWeights',
  'ServiceSocketPath',
  'ServiceProxy.Mode',
  'ServiceProxy.MeshGateway',
  'ServiceProxy.Expose',
  // api.ServiceAddress has no json tags, so a real agent answers `Address`/`Port`; the docs
  // sample shows the lower-case register payload form.
  'ServiceTaggedAddresses.*.Address',
  'ServiceTaggedAddresses.*.Port',
];
const HEALTH_EXTRA = ['Node.CreateIndex', 'Node.ModifyIndex', 'Service.EnableTagOverride', 'Service.CreateIndex', 'Service.ModifyIndex'];

test('GET /v1/catalog/service/:name: the sim answers in the shape of the docs sample', async (t) => {
  const sim = shapeOf(await simGet(t, '/v1/catalog/service/nomad'), { maps: CATALOG_MAPS });
  const real = shapeOf(await recorded('catalog-service.json'), { maps: CATALOG_MAPS });
  t.deepEqual(compareShapes(sim, real, CATALOG_READ, CATALOG_EXTRA), []);
});

test('GET /v1/health/service/:name: the sim answers in the shape of the docs sample', async (t) => {
  const sim = shapeOf(await simGet(t, '/v1/health/service/nomad'), { maps: HEALTH_MAPS });
  const real = shapeOf(await recorded('health-service.json'), { maps: HEALTH_MAPS });
  t.deepEqual(compareShapes(sim, real, HEALTH_READ, HEALTH_EXTRA), []);
});

test('GET /v1/catalog/datacenters: an array of strings, as documented', async (t) => {
  const sim = shapeOf(await simGet(t, '/v1/catalog/datacenters'));
  const real = shapeOf(await recorded('catalog-datacenters.json'));
  t.deepEqual(compareShapes(sim, real, ['']), []);
  t.deepEqual([...(real.get('') ?? [])].sort(), ['array', 'string']);
});

test('the extractors on the recorded samples: the service address wins, else the node address', async (t) => {
  t.deepEqual(catalogTargets((await recorded('catalog-service.json')) as CatalogServiceEntry[]), [
    { address: '10.17.0.3', port: 5000, name: 't2.320', id: '32a2a47f7992:nodea:5000', zone: 'dc1', meta: { tags: 'prod' } },
  ]);
  t.deepEqual(healthTargets((await recorded('health-service.json')) as HealthServiceEntry[]), [
    { address: '10.1.10.12', port: 8000, name: 'foobar', id: 'redis', zone: 'dc1', meta: { tags: 'primary' } },
  ]);
});

/**
 * The simulator's compute v1 answers against responses recorded from the real API (apache/libcloud's
 * GCE test fixtures; sources in fixtures/README.md): every key path the extractor reads is in both
 * with the same type, the simulator sends no path the real API lacks, and the extractor yields the
 * expected targets from the recordings. Requests carry the provider's own field masks.
 */
import { readFile } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { extractTargets, type GceInstance } from './extract.js';
import { AGGREGATED_FIELDS, FIELD_MASK_HEADER, LIST_FIELDS, ZONE_FIELDS } from './fields.js';
import gceSim from './sim.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Fleet } from '../../src/sim/fleet.js';
import { compareShapes, shapeOf } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';

const PROJECT = 'wire-project';
const fleet = (): Fleet => ({
  credentials: { gce: { project: PROJECT } },
  instances: [
    {
      id: 'gce-1',
      cloud: 'gce',
      zone: 'us-central1-a',
      labels: { role: 'server' },
      network_tags: ['consul'],
      private_ipv4: '10.128.0.1',
      public_ipv4: '192.0.2.1',
    },
    { id: 'gce-2', cloud: 'gce', zone: 'us-central1-b', labels: { role: 'server' }, private_ipv4: '10.128.0.2' },
  ] as Fleet['instances'],
});

const recorded = async (name: string): Promise<unknown> => JSON.parse(await readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));

const http = createHttpClient({ env: {} });
test.after.always(() => http.destroy());

/** One compute GET with the metadata server's token, the provider's field mask in its header. */
async function computeGet(t: ExecutionContext, path: string, mask: string): Promise<unknown> {
  const sim = await startTestSim(t, fleet(), [gceSim]);
  const token = await http.request(`${sim.httpUrl}/computeMetadata/v1/instance/service-accounts/default/token`, { headers: { 'metadata-flavor': 'Google' } });
  const authorization = `Bearer ${token.json<{ access_token: string }>().access_token}`;
  const res = await http.request(`${sim.httpUrl}/compute/v1/projects/${PROJECT}/${path}`, { headers: { authorization, [FIELD_MASK_HEADER]: mask } });
  t.is(res.status, 200);
  return res.json();
}

/** What extract.ts reads of an instance, below the list's own prefix. */
const INSTANCE_READ = ['id', 'name', 'zone', 'status', 'tags.items', 'networkInterfaces.networkIP', 'networkInterfaces.accessConfigs.natIP'];
// Read too, but the recording (2013) has none: labels came later, and the fleet here has no IPv6.
const INSTANCE_READ_NOT_RECORDED = ['labels', 'networkInterfaces.ipv6Address', 'networkInterfaces.ipv6AccessConfigs'];

test('instances.aggregatedList: the sim answers in the shape of the recording', async (t) => {
  const prefix = 'items.*.instances';
  const maps = ['items', `${prefix}.labels`];
  const sim = shapeOf(await computeGet(t, 'aggregated/instances?maxResults=500&returnPartialSuccess=false', AGGREGATED_FIELDS), { maps });
  const real = shapeOf(await recorded('instances-aggregated-list.json'), { maps });
  const extra = INSTANCE_READ_NOT_RECORDED.map((p) => `${prefix}.${p}`);
  t.deepEqual(
    compareShapes(
      sim,
      real,
      INSTANCE_READ.map((p) => `${prefix}.${p}`),
      extra,
    ),
    [],
  );
  t.deepEqual([...(sim.get(`${prefix}.labels.*`) ?? [])], ['string']);
});

test('instances.list: the sim answers in the shape of the recording', async (t) => {
  const maps = ['items.labels'];
  const sim = shapeOf(await computeGet(t, 'zones/us-central1-a/instances?maxResults=500', LIST_FIELDS), { maps });
  const real = shapeOf(await recorded('instances-list.json'), { maps });
  const extra = INSTANCE_READ_NOT_RECORDED.map((p) => `items.${p}`);
  // The recorded instance is untagged (`tags` holds only its fingerprint), so tags.items is not read here.
  const read = INSTANCE_READ.filter((p) => p !== 'tags.items').map((p) => `items.${p}`);
  t.deepEqual(compareShapes(sim, real, read, [...extra, 'items.tags.items']), []);
});

test('zones.list: names, as recorded', async (t) => {
  const sim = shapeOf(await computeGet(t, 'zones?filter=name%20eq%20us-central1-.*', ZONE_FIELDS));
  const real = shapeOf(await recorded('zones-list.json'));
  t.deepEqual(compareShapes(sim, real, ['items.name']), []);
});

test('the extractor on the recordings: nic0 addresses, the zone name from its URL, tags and status checked', async (t) => {
  const aggregated = (await recorded('instances-aggregated-list.json')) as { items: Record<string, { instances?: GceInstance[] }> };
  const instances = Object.values(aggregated.items).flatMap((scope) => scope.instances ?? []);
  t.deepEqual(extractTargets(instances, { addrType: 'private_v4', tagValue: 'newtag' }), [
    { address: '10.240.240.204', id: '517678477070693411', name: 'libcloud-demo-europe-persist-node', zone: 'europe-west1-a', meta: { status: 'RUNNING' } },
  ]);
  t.deepEqual(
    extractTargets(instances, { addrType: 'public_v4', tagValue: 'libcloud', statuses: new Set(['RUNNING']) }).map((target) => target.address),
    ['192.0.2.252', '192.0.2.32'],
  );
  const listed = ((await recorded('instances-list.json')) as { items: GceInstance[] }).items;
  t.deepEqual(extractTargets(listed, { addrType: 'private_v4' }), [
    { address: '10.240.72.75', id: '4006034190819017667', name: 'node-name', zone: 'us-central1-a', meta: { status: 'RUNNING' } },
  ]);
  t.deepEqual(extractTargets(listed, { addrType: 'private_v4', labelKey: 'role', labelValue: 'server' }), []);
});

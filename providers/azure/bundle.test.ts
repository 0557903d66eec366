/**
 * The azure bundle's arm-network mappers, cut to the properties extract.ts reads
 * (providers/azure/fields.ts, scripts/bundle-arm-mappers.mjs): the built CLI, running the provider
 * from dist/bundles/azure, finds the same targets (address, VM id, NIC name, location) as the
 * installed SDK unbundled, for every address type, tag lookups and a Uniform scale set's NICs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import azureSim from './sim.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { startTestSim } from '../../test/helpers/sim.js';

const TENANT = 'aaaaaaaa-0000-0000-0000-000000000011';
const CLIENT = 'bbbbbbbb-0000-0000-0000-000000000012';
const SUB = 'cccccccc-0000-0000-0000-000000000013';
const vm = (id: string, extra: Partial<FleetInstance> = {}): FleetInstance => ({ id, cloud: 'azure', region: 'westeurope', ...extra });

/** Servers with every address kind, a second NIC, and a Uniform scale set whose NICs carry public IPs. */
function fleet(): Fleet {
  return {
    credentials: { azure: { tenant_id: TENANT, client_id: CLIENT, client_secret: 'sim-bundle-secret', subscription_id: SUB } },
    instances: [
      vm('srv1', { tags: { consul: 'server' }, private_ipv4: '10.0.0.1', public_ipv4: '192.0.2.1', private_ipv6: 'fd00::1', public_ipv6: '2001:db8::1' }),
      vm('srv2', { tags: { consul: 'server' }, private_ipv4: '10.0.0.2', extra_nics: [{ private_ipv4: '10.0.1.2', public_ipv4: '192.0.2.12' }] }),
      vm('srv3', { tags: { consul: 'server' }, private_ipv4: '10.0.0.3', public_ipv4: '192.0.2.3' }),
      vm('web1', { tags: { consul: 'client' }, private_ipv4: '10.0.0.9', public_ipv4: '192.0.2.9' }),
      vm('u0', { resource_group: 'rg-sets', scale_set: 'uni', private_ipv4: '10.1.0.4', public_ipv4: '192.0.2.4' }),
      vm('u1', { resource_group: 'rg-sets', scale_set: 'uni', private_ipv4: '10.1.0.5', public_ipv4: '192.0.2.5' }),
    ],
  };
}

async function lookup(t: ExecutionContext, config: string, env: Record<string, string>): Promise<unknown> {
  const cache = mkdtempSync(path.join(tmpdir(), 'autojoin-azure-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const result = await runDiscover(['--format', 'json', 'addrs', config], { env: { ...env, XDG_CACHE_HOME: cache } });
  t.is(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const CASES = [
  { selector: 'tag_name=consul tag_value=server', addrType: 'private_v4', count: 4 },
  { selector: 'tag_name=consul tag_value=server', addrType: 'public_v4', count: 3 },
  { selector: 'tag_name=consul tag_value=server', addrType: 'private_v6', count: 1 },
  { selector: 'tag_name=consul tag_value=server', addrType: 'public_v6', count: 1 },
  { selector: 'resource_group=rg-sets vm_scale_set=uni', addrType: 'public_v4', count: 2 },
];

for (const c of CASES) {
  test(`${c.selector} addr_type=${c.addrType}: the bundle's cut mappers give the targets the unbundled SDK gives`, async (t) => {
    const sim = await startTestSim(t, fleet(), [azureSim]);
    const paste = azureSim.paste?.(sim.ctx);
    if (!paste) return t.fail('the simulator offers no azure config');
    const config = `${paste.config.replace(/ tag_name=\S+ tag_value=\S+/, '')} ${c.selector} addr_type=${c.addrType}`;
    const env = { ...paste.env, NODE_EXTRA_CA_CERTS: sim.caPath };
    const unbundled = (await lookup(t, config, { ...env, AUTOJOIN_BUNDLES: '0' })) as { addr: string; id?: string; name?: string; zone?: string }[];
    const bundled = await lookup(t, config, env);
    t.deepEqual(bundled, unbundled);
    // Every field the cut mappers carry reached the answer.
    t.is(unbundled.length, c.count);
    t.true(
      unbundled.every((target) => target.id && target.name && target.zone === 'westeurope'),
      JSON.stringify(unbundled),
    );
  });
}

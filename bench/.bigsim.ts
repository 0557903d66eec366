import type { FleetInstance } from '../src/sim/fleet.js';
import { loadFleet, startSim } from '../src/sim/index.js';
import { defaultFleetPath } from '../src/sim/run.js';
const PER_CLOUD = 10_000;
const ip = (prefix: number, i: number) => `${prefix}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const base = await loadFleet(defaultFleetPath());
const instances: FleetInstance[] = [];
for (let i = 0; i < PER_CLOUD; i++) {
  const tags = { role: 'nomad-server', Name: `node-${i}` };
  instances.push(
    { id: `i-${i.toString(16).padStart(17, '0')}`, cloud: 'aws', region: 'eu-west-1', zone: 'eu-west-1a', tags, private_ipv4: ip(10, i) },
    { id: `vm-${i}`, cloud: 'azure', region: 'westeurope', resource_group: `rg-${i % 10}`, tags, private_ipv4: ip(11, i) },
    { id: `gce-${i}`, cloud: 'gce', name: `gce-${i}`, zone: i % 2 ? 'us-central1-a' : 'us-central1-b', labels: { role: 'nomad-server' }, network_tags: ['nomad'], private_ipv4: ip(12, i) },
  );
}
const sim = await startSim({ fleet: { ...base, instances, services: [], page_size: { 'aws-ec2': 1000, 'gce-compute': 500, 'azure-arm': 1000 } } });
for (const module of sim.modules) { const p = module.paste?.(sim.ctx); if (p) console.log(JSON.stringify({ ...p, env: { ...p.env, NODE_EXTRA_CA_CERTS: sim.caPath } })); }

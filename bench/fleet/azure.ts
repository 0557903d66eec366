// Claim: provider=azure lists 10,000 VMs' NICs behind ARM's real paging (1,000 NICs a page, with
// absolute nextLinks) in under 2 s and 300 MB, token request included.
// Standalone: `npx tsx bench/fleet/azure.ts`. Prints one JSON line. `wallMs` is a warm call (SDKs
// loaded, a fresh credential and token as every discovery gets); `coldWallMs` is the first call,
// SDK load included. Peak RSS covers the whole process: the simulator serving the JSON as well
// as the provider. The sim's CA is handed to the HTTP client, so no NODE_EXTRA_CA_CERTS is needed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import azure from '../../providers/azure/index.js';
import azureSim from '../../providers/azure/sim.js';
import { Discover } from '../../src/discover.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { startSim } from '../../src/sim/server.js';

const INSTANCES = 10_000;
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const credentials = {
  tenant_id: '7a3b0c1d-0000-4000-8000-00000000be7c',
  client_id: '5e1f2a3b-0000-4000-8000-00000000be7c',
  client_secret: 'bench-client-secret',
  subscription_id: '9c8d7e6f-0000-4000-8000-00000000be7c',
};

const instances: FleetInstance[] = [];
for (let i = 0; i < INSTANCES; i++) {
  instances.push({
    id: `vm-${i}`,
    cloud: 'azure',
    region: 'westeurope',
    resource_group: `rg-${i % 10}`,
    tags: { consul: 'server', Name: `node-${i}` },
    private_ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    public_ipv4: `20.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  });
}
const fleet: Fleet = { credentials: { azure: credentials }, instances, page_size: { 'azure-arm': 1000 } };

const sim = await startSim({ fleet, modules: [azureSim], stateDir: path.join(ROOT, '.sim') });
const http = createHttpClient({ ca: readFileSync(sim.caPath) });
try {
  const engine = new Discover({ builtins: false, providers: [azure] });
  const env = { ...process.env, AZURE_AUTHORITY_HOST: sim.httpsUrl };
  const cfg =
    `provider=azure tenant_id=${credentials.tenant_id} client_id=${credentials.client_id} secret_access_key=${credentials.client_secret} ` +
    `subscription_id=${credentials.subscription_id} tag_name=consul tag_value=server endpoint=${sim.httpsUrl}`;

  let started = performance.now();
  const cold = await engine.addrs(cfg, { env, http, timeout: 60_000 });
  const coldWallMs = performance.now() - started;

  sim.resetCounts();
  started = performance.now();
  const found = await engine.addrs(cfg, { env, http, timeout: 60_000 });
  const wallMs = performance.now() - started;
  if (cold.length !== found.length) throw new Error(`cold and warm runs disagree: ${cold.length} vs ${found.length}`);

  console.log(
    JSON.stringify({
      provider: 'azure',
      instances: INSTANCES,
      found: found.length,
      wallMs: Math.round(wallMs),
      coldWallMs: Math.round(coldWallMs),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      requests: sim.counts()['azure-arm'] ?? 0,
      tokenRequests: sim.counts()['azure-identity'] ?? 0,
    }),
  );
} finally {
  http.destroy();
  await sim.close();
}

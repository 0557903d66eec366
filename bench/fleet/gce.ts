// Claim: provider=gce lists 10,000 Compute Engine instances behind real paging (500 a page, the
// most instances.aggregatedList returns) in under 2 s and 300 MB.
// Standalone: `npx tsx bench/fleet/gce.ts`. Prints one JSON line. `wallMs` is a warm call (SDK
// loaded, protobuf root built, token cached by nothing: each call fetches its own token);
// `coldWallMs` is the first call, SDK load and protobuf root included. `zoneWallMs` is a warm
// call with zone_pattern (zones.list, then instances.list per zone). Peak RSS covers the whole
// process: the simulator serving the JSON as well as the provider.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import gce from '../../providers/gce/index.js';
import gceSim from '../../providers/gce/sim.js';
import { Discover } from '../../src/discover.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { startSim } from '../../src/sim/server.js';

const INSTANCES = 10_000;
const PROJECT = 'bench-project';
const ZONES = ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f', 'us-east1-b', 'us-east1-c', 'us-west1-a', 'us-west1-b'];

const instances: FleetInstance[] = [];
for (let i = 0; i < INSTANCES; i++) {
  instances.push({
    id: `consul-${i}`,
    cloud: 'gce',
    zone: ZONES[i % ZONES.length]!,
    labels: { role: 'consul-server', env: 'prod' },
    network_tags: ['consul'],
    private_ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    public_ipv4: `34.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  });
}
const fleet: Fleet = {
  credentials: { gce: { project: PROJECT, client_email: `bench@${PROJECT}.iam.gserviceaccount.com` } },
  instances,
  page_size: { 'gce-compute': 500 },
};

// Its own state folder: the service-account key the simulator writes is not shared with tests.
const stateDir = mkdtempSync(path.join(tmpdir(), 'autojoin-bench-gce-'));
const sim = await startSim({ fleet, modules: [gceSim], stateDir });
try {
  const engine = new Discover({ builtins: false, providers: [gce] });
  const env = { ...process.env, METADATA_SERVER_DETECTION: 'none' };
  const cfg = `provider=gce project_name=${PROJECT} credentials_file=${path.join(stateDir, 'gce-service-account.json')} endpoint=${sim.httpUrl} label_key=role label_value=consul-server`;

  let started = performance.now();
  const cold = await engine.addrs(cfg, { env, timeout: 60_000 });
  const coldWallMs = performance.now() - started;

  sim.resetCounts();
  started = performance.now();
  const found = await engine.addrs(cfg, { env, timeout: 60_000 });
  const wallMs = performance.now() - started;
  const requests = sim.counts()['gce-compute'] ?? 0;
  if (cold.length !== found.length) throw new Error(`cold and warm runs disagree: ${cold.length} vs ${found.length}`);

  started = performance.now();
  const byZone = await engine.addrs(`${cfg} zone_pattern=us-.*`, { env, timeout: 60_000 });
  const zoneWallMs = performance.now() - started;
  if (byZone.length !== found.length) throw new Error(`zone listing disagrees: ${byZone.length} vs ${found.length}`);

  console.log(
    JSON.stringify({
      provider: 'gce',
      instances: INSTANCES,
      found: found.length,
      wallMs: Math.round(wallMs),
      coldWallMs: Math.round(coldWallMs),
      zoneWallMs: Math.round(zoneWallMs),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      requests,
    }),
  );
} finally {
  await sim.close();
  rmSync(stateDir, { recursive: true, force: true });
}

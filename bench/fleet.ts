// Claim (issue 9): each cloud provider lists 10,000 instances behind real paging (EC2 1,000 a page,
// GCE 500, Azure 1,000) in at most 6x a bare node's time and 150 MB. The simulator runs in this
// process; each provider runs as `discover -q addrs <config>` in a process of its own, as a user
// would run it, with a warm code cache, so its wall time and peak RSS are its own. Baseline: a bare
// `node -e 0` measured the same way in the same run. Medians of BENCH_FLEET_RUNS (default 3) runs,
// interleaved; every run must find all the instances.
// The built-in providers and simulator modules (entry points import this first; a bench must too).
import '../entry/compose.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FleetInstance } from '../src/sim/fleet.js';
import { loadFleet, startSim } from '../src/sim/index.js';
import { defaultFleetPath } from '../src/sim/run.js';
import { CLI, type MeasuredRun, median, runMeasured, verdict } from './lib.js';

const PER_CLOUD = Number(process.env.BENCH_FLEET_SIZE ?? 10_000);
/** The providers measured (each gets PER_CLOUD instances below); others are the next to add. */
const BENCHED = [
  'aws',
  'azure',
  'gce',
  'hetzner',
  'scaleway',
  'packet',
  'k8s',
  'linode',
  'digitalocean',
  'os',
  'softlayer',
  'vsphere',
  'tencentcloud',
  'aliyun',
].filter((name) => !process.env.BENCH_FLEET_ONLY || process.env.BENCH_FLEET_ONLY.split(',').includes(name));
const RUNS = Number(process.env.BENCH_FLEET_RUNS ?? 3);
const RATIO_GOAL = 6;
const RSS_GOAL_MB = 150;
const ip = (prefix: number, i: number) => `${prefix}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const base = await loadFleet(defaultFleetPath());
const instances: FleetInstance[] = [];
for (let i = 0; i < PER_CLOUD; i++) {
  const tags = { role: 'nomad-server', Name: `node-${i}` };
  instances.push(
    { id: `i-${i.toString(16).padStart(17, '0')}`, cloud: 'aws', region: 'eu-west-1', zone: 'eu-west-1a', tags, private_ipv4: ip(10, i) },
    { id: `vm-${i}`, cloud: 'azure', region: 'westeurope', resource_group: `rg-${i % 10}`, tags, private_ipv4: ip(11, i) },
    {
      id: `gce-${i}`,
      cloud: 'gce',
      name: `gce-${i}`,
      zone: i % 2 ? 'us-central1-a' : 'us-central1-b',
      labels: { role: 'nomad-server' },
      network_tags: ['nomad'],
      private_ipv4: ip(12, i),
    },
    { id: String(2_000_000 + i), cloud: 'hetzner', name: `hz-${i}`, zone: 'fsn1', tags: { role: 'nomad-server' }, private_ipv4: ip(13, i) },
    { id: `scw-${i}`, cloud: 'scaleway', name: `scw-${i}`, zone: 'fr-par-1', tags: { 'nomad-server': '' }, private_ipv4: ip(14, i) },
    { id: `metal-${i}`, cloud: 'packet', name: `metal-${i}`, zone: 'ewr1', tags: { 'nomad-server': '' }, private_ipv4: ip(15, i) },
    { id: `pod-${i}`, cloud: 'k8s', name: `pod-${i}`, namespace: 'default', tags: { role: 'nomad-server' }, private_ipv4: ip(16, i) },
    {
      id: String(200_000 + i),
      cloud: 'linode',
      name: `linode-${i}`,
      region: 'us-east',
      tags: { 'nomad-server': '' },
      private_ipv4: `192.168.${128 + ((i >> 8) & 127)}.${i & 255}`,
    },
    { id: `ins-${i.toString(16).padStart(8, '0')}`, cloud: 'tencentcloud', region: 'ap-guangzhou', tags, private_ipv4: ip(21, i) },
    { id: `i-${i.toString(16).padStart(12, '0')}`, cloud: 'aliyun', region: 'cn-hangzhou', tags, private_ipv4: ip(22, i) },
    { id: `os-${i}`, cloud: 'os', name: `os-${i}`, tags: { 'nomad-role': 'server' }, private_ipv4: ip(18, i) },
    { id: `vm-${100_000 + i}`, cloud: 'vsphere', name: `vc-${i}`, tags: { 'nomad-role': 'server' }, private_ipv4: ip(19, i) },
    { id: String(20_000_000 + i), cloud: 'softlayer', name: `sl-${i}`, zone: 'dal09', tags: { 'nomad-server': '' }, private_ipv4: ip(20, i) },
    { id: String(100_000 + i), cloud: 'digitalocean', name: `do-${i}`, region: 'nyc3', tags: { 'nomad-server': '' }, private_ipv4: ip(17, i) },
  );
}
const sim = await startSim({
  fleet: { ...base, instances, services: [], page_size: { 'aws-ec2': 1000, 'gce-compute': 500, 'azure-arm': 1000 } },
});

const cache = mkdtempSync(path.join(tmpdir(), 'autojoin-bench-fleet-'));
try {
  const env: Record<string, string | undefined> = { ...process.env, NODE_EXTRA_CA_CERTS: sim.caPath, XDG_CACHE_HOME: cache };
  delete env.AUTOJOIN_BUNDLES;
  const rows: { label: string; args: string[]; env: Record<string, string | undefined>; samples: MeasuredRun[]; requests: number[] }[] = [
    { label: 'node -e 0 (baseline)', args: ['-e', '0'], env, samples: [], requests: [] },
  ];
  for (const module of sim.modules) {
    const paste = module.paste?.(sim.ctx);
    if (!paste || !BENCHED.includes(paste.provider)) continue;
    // vsphere has no bulk guest call: one request per VM, past the default 60 s on a small machine.
    const flags = paste.provider === 'vsphere' ? ['--timeout', '10m'] : [];
    const args = [CLI, '-q', ...flags, 'addrs', paste.config];
    const runEnv = { ...env, ...paste.env };
    await runMeasured(args, runEnv); // warms the file and code caches
    rows.push({ label: `discover addrs provider=${paste.provider}`, args, env: runEnv, samples: [], requests: [] });
  }
  let failed = false;
  for (let i = 0; i < RUNS; i++) {
    for (const row of rows) {
      sim.resetCounts();
      const run = await runMeasured(row.args, row.env);
      row.requests.push(Object.values(sim.counts()).reduce((a, b) => a + b, 0));
      row.samples.push(run);
      if (row.args[0] !== '-e') {
        const found = run.stdout.trim() === '' ? 0 : run.stdout.trim().split(' ').length;
        if (run.code !== 0 || found !== PER_CLOUD) {
          failed = true;
          console.log(`  ${row.label}: found ${found} of ${PER_CLOUD} (exit ${run.code}) ${run.stderr.trim().split('\n')[0] ?? ''}`);
        }
      }
    }
  }
  const baseline = median((rows[0] as (typeof rows)[number]).samples.map((s) => s.ms));
  console.log(
    `fleet: ${PER_CLOUD.toLocaleString('en')} instances per cloud, every page, \`discover -q addrs\` as a whole process, warm code cache, median of ${RUNS} runs`,
  );
  console.log(`  ${'run'.padEnd(32)} ${'API requests'.padStart(13)} ${'wall'.padStart(10)} ${'ratio'.padStart(7)} ${'peak RSS'.padStart(10)}`);
  const verdicts: string[] = [];
  for (const row of rows) {
    const ms = median(row.samples.map((s) => s.ms));
    const rss = median(row.samples.map((s) => s.rssMB));
    const requests = row.args[0] === '-e' ? '' : String(median(row.requests));
    console.log(
      `  ${row.label.padEnd(32)} ${requests.padStart(13)} ${`${ms.toFixed(0)} ms`.padStart(10)} ${`${(ms / baseline).toFixed(2)}x`.padStart(7)} ${`${rss.toFixed(0)} MB`.padStart(10)}`,
    );
    if (row.args[0] !== '-e') {
      const ok = ms / baseline <= RATIO_GOAL && rss <= RSS_GOAL_MB;
      verdicts.push(`  ${row.label}: at most ${RATIO_GOAL}x and ${RSS_GOAL_MB} MB: ${verdict(ok)} (${(ms / baseline).toFixed(2)}x, ${rss.toFixed(0)} MB)`);
    }
  }
  console.log('goals:');
  for (const line of verdicts) console.log(line);
  if (failed) console.log('FAILED: some runs did not list every instance');
  process.exitCode = failed ? 1 : 0;
} finally {
  await sim.close();
  rmSync(cache, { recursive: true, force: true });
}

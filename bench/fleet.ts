// Claim: each cloud provider lists 10,000 instances behind real paging (EC2 1,000 a page, GCE 500,
// Azure 1,000, SoftLayer 100, Nova 1,000; vSphere has no paging: one guest call per VM, 16 at a time) in under 2 s and 300 MB. The simulator runs in this process; each provider runs as
// `discover -q addrs <config>` in a process of its own, as a user would run it, so its wall time
// and peak RSS are its own. Baseline: a bare `node -e 0` measured the same way in the same run.
import { spawn } from 'node:child_process';
// The built-in providers and simulator modules (bench runs from source, not through an entry point).
import '../entry/compose.js';
import type { FleetInstance } from '../src/sim/fleet.js';
import { loadFleet, startSim } from '../src/sim/index.js';
import { defaultFleetPath } from '../src/sim/run.js';
import { CLI, ROOT } from './lib.js';

const PER_CLOUD = Number(process.env.BENCH_FLEET_SIZE ?? 10_000);
/** `BENCH_FLEET_ONLY=os,vsphere` measures only those providers. */
const ONLY = process.env.BENCH_FLEET_ONLY?.split(',');
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
    { id: `os-${i}`, cloud: 'os', name: `os-${i}`, tags: { 'nomad-role': 'server' }, private_ipv4: ip(16, i) },
    { id: `vm-${100_000 + i}`, cloud: 'vsphere', name: `vc-${i}`, tags: { 'nomad-role': 'server' }, private_ipv4: ip(15, i) },
    { id: String(20_000_000 + i), cloud: 'softlayer', name: `sl-${i}`, zone: 'dal09', tags: { 'nomad-server': '' }, private_ipv4: ip(14, i) },
  );
}
const sim = await startSim({
  fleet: { ...base, instances, services: [], page_size: { 'aws-ec2': 1000, 'gce-compute': 500, 'azure-arm': 1000, softlayer: 100, 'os-compute': 1000 } },
});

interface Run {
  wallMs: number;
  rssMB: number;
  stdout: string;
  stderr: string;
  code: number;
}
function measure(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', './bench/rss-report.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (code) => {
      const rss = Number(/BENCH_PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      resolve({ wallMs: performance.now() - started, rssMB: rss / 1024, stdout, stderr, code: code ?? 1 });
    });
  });
}

try {
  const env: Record<string, string | undefined> = { ...process.env, NODE_EXTRA_CA_CERTS: sim.caPath };
  const bare = await measure(['-e', '0'], env);
  console.log(`fleet: ${PER_CLOUD.toLocaleString('en')} instances per cloud, every page, \`discover -q addrs\` as a whole process`);
  console.log(`  ${'run'.padEnd(32)} ${'found'.padStart(7)} ${'API requests'.padStart(13)} ${'wall'.padStart(10)} ${'peak RSS'.padStart(10)}   goal: < 2000 ms, < 300 MB`);
  console.log(`  ${'node -e 0 (baseline)'.padEnd(32)} ${''.padStart(7)} ${''.padStart(13)} ${`${bare.wallMs.toFixed(0)} ms`.padStart(10)} ${`${bare.rssMB.toFixed(0)} MB`.padStart(10)}`);
  let failed = false;
  for (const module of sim.modules) {
    const paste = module.paste?.(sim.ctx);
    if (!paste || !['aws', 'azure', 'gce', 'softlayer', 'vsphere', 'os'].includes(paste.provider)) continue;
    if (ONLY && !ONLY.includes(paste.provider)) continue;
    const runEnv = { ...env, ...paste.env };
    // vSphere has no bulk guest call: 10,000 VMs are 10,000 requests, past the default 60 s on a busy machine.
    const flags = paste.provider === 'vsphere' ? ['--timeout', '10m'] : [];
    if (paste.provider !== 'vsphere') await measure([CLI, '-q', 'addrs', paste.config], runEnv); // warm the file cache
    sim.resetCounts();
    const run = await measure([CLI, '-q', ...flags, 'addrs', paste.config], runEnv);
    const requests = Object.values(sim.counts()).reduce((a, b) => a + b, 0);
    const found = run.stdout.trim() === '' ? 0 : run.stdout.trim().split(' ').length;
    if (run.code !== 0 || found !== PER_CLOUD) failed = true;
    const label = `discover addrs provider=${paste.provider}`;
    console.log(
      `  ${label.padEnd(32)} ${String(found).padStart(7)} ${String(requests).padStart(13)} ${`${run.wallMs.toFixed(0)} ms`.padStart(10)} ${`${run.rssMB.toFixed(0)} MB`.padStart(10)}${run.code ? `   FAILED: ${run.stderr.trim().split('\n')[0]}` : ''}`,
    );
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  await sim.close();
}

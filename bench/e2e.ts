// Claim: `discover addrs` as a whole process against the simulator takes little more than node
// itself (goal: aws under 400 ms on 2 cores). Baseline: a bare `node -e 0`, in the same run.
import { loadFleet, startSim } from '../src/sim/index.js';
import { defaultFleetPath } from '../src/sim/run.js';
import type { SimPaste } from '../src/sim/types.js';
import { CLI, fmt, interleavedAsync } from './lib.js';

const runs = Number(process.env.BENCH_RUNS ?? 10);
const sim = await startSim({ fleet: await loadFleet(defaultFleetPath()) });
try {
  const pastes = new Map<string, SimPaste>();
  for (const module of sim.modules) {
    const paste = module.paste?.(sim.ctx);
    if (paste) pastes.set(paste.provider, paste);
  }
  const env: Record<string, string | undefined> = { ...process.env, NODE_EXTRA_CA_CERTS: sim.caPath };
  for (const paste of pastes.values()) Object.assign(env, paste.env);
  const commands: Record<string, string[]> = { 'node -e 0 (baseline)': ['-e', '0'] };
  for (const provider of ['aws', 'azure', 'gce']) {
    const paste = pastes.get(provider);
    if (paste) commands[`discover addrs provider=${provider}`] = [CLI, '-q', 'addrs', paste.config];
    else console.log(`  (no simulated ${provider} in the fleet)`);
  }
  const medians = await interleavedAsync(commands, runs, env);
  const baseline = medians['node -e 0 (baseline)'] as number;
  console.log(`e2e: whole process against the simulator (median of ${runs} runs); goal aws < 400 ms`);
  for (const [label, ms] of Object.entries(medians)) {
    console.log(`  ${label.padEnd(34)} ${fmt(ms).padStart(10)}   ${(ms / baseline).toFixed(2)}x bare node`);
  }
} finally {
  await sim.close();
}

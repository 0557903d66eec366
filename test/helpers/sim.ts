/**
 * Start a simulator for one test and stop it when the test ends. The CA lives in the repo's
 * `.sim/` so processes started with NODE_EXTRA_CA_CERTS=.sim/ca.pem trust its HTTPS listener;
 * each sim gets its own state folder so credential files of parallel sims never collide.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { Fleet } from '../../src/sim/fleet.js';
import { type RunningSim, type StartSimOptions, startSim } from '../../src/sim/server.js';
import type { SimModule } from '../../src/sim/types.js';

/** The repo's `.sim/` folder (what `npm run sim:ca` fills). */
export const SIM_CA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.sim');

/**
 * A running sim on free ports, closed (and its state folder removed) by the test's teardown.
 * @param modules the cloud modules to serve; @default every built-in simulator module
 * @example const sim = await startTestSim(t, fleet, [awsSim]);
 */
export async function startTestSim(
  t: ExecutionContext,
  fleet: Fleet,
  modules?: SimModule[],
  options: Omit<StartSimOptions, 'fleet' | 'modules'> = {},
): Promise<RunningSim> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'autojoin-sim-')));
  t.teardown(() => (options.stateDir ? undefined : rm(stateDir, { recursive: true, force: true })));
  const sim = await startSim({ caDir: SIM_CA_DIR, ...options, stateDir, fleet, ...(modules ? { modules } : {}) });
  t.teardown(() => sim.close());
  return sim;
}

/**
 * `autojoin/sim`: the simulated cloud for your own tests, with the built-in providers' modules.
 * @example
 * import { startSim, demoFleet, loadBuiltinSims } from 'autojoin/sim';
 * const sim = await startSim({ fleet: demoFleet(await loadBuiltinSims()) });
 */
import './compose.js';

export * from '../src/sim/index.js';

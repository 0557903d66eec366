/**
 * The simulated cloud: start it, load fleets, and the helpers cloud modules use to read the
 * fleet as their API would show it at this moment.
 */
export type * from './fleet.js';
export type * from './types.js';
export { type RunningSim, type StartSimOptions, loadBuiltinSims, startSim } from './server.js';
export { demoFleet, FleetError, type FleetSchema, fleetSchema, loadFleet, parseFleet, validateFleet } from './load.js';
export { FaultBook, corruptBody } from './faults.js';

export { fleetCredentials, isVisible, visibleInstances, visibleServices } from './visible.js';
export { type RunSimOptions, defaultFleetPath, runSim } from './run.js';
export { renderPaste, shellQuote, simEnv } from './paste.js';

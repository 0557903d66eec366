/**
 * `discover sim`: load a fleet, start the sim, print the paste, run until the signal aborts.
 * The CLI owns argv and signals; this owns everything after.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinSimModules } from '../builtins.js';
import { demoFleet, loadFleet } from './load.js';
import { pasteData, renderPaste } from './paste.js';
import { startSim } from './server.js';
import type { SimModule, SimPaste } from './types.js';

export interface RunSimOptions {
  /** @default the demo fleet: every module's demo slice (`fixtures/fleets/demo.yaml` is a copy) */
  fleetPath?: string;
  /** HTTP port; HTTPS takes the next one. @default free ports */
  port?: number;
  /** Where the CA and the modules' files live. @default the CA in the user's state folder (`defaultSimDir`), the rest in a temporary folder */
  stateDir?: string;
  /** Modules to serve. @default every built-in sim */
  modules?: SimModule[];
  /** `text`: the shell paste blocks; `json`: the same as one line of {@link SimPasteData}. @default 'text' */
  format?: 'text' | 'json';
  stdout: (text: string) => void;
  /** How the user runs discover where they are, for the printed commands. @default 'discover' */
  command?: string;
  /** Aborting it stops the sim (the CLI wires SIGINT and SIGTERM to it). */
  signal: AbortSignal;
}

/** The package's own fleet for demos, found from this file so it works from any cwd. */
export function defaultFleetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'fixtures', 'fleets', 'demo.yaml');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return candidate;
    dir = parent;
  }
}

/** Run the simulator until `signal` aborts; resolves once it has closed. */
export async function runSim(options: RunSimOptions): Promise<void> {
  const modules = options.modules ?? (await builtinSimModules());
  const fleetPath = options.fleetPath ?? defaultFleetPath();
  const fleet = options.fleetPath === undefined ? demoFleet(modules) : await loadFleet(options.fleetPath, modules);
  const sim = await startSim({
    fleet,
    modules,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    ...(options.port !== undefined ? { httpPort: options.port, httpsPort: options.port === 0 ? 0 : options.port + 1 } : {}),
  });
  try {
    const pastes = sim.modules.flatMap((m): SimPaste[] => {
      const paste = m.paste?.(sim.ctx);
      return paste ? [paste] : [];
    });
    options.stdout(
      options.format === 'json' ? `${JSON.stringify(pasteData(pastes, sim.ctx))}\n` : renderPaste(pastes, sim.ctx, { fleet, path: fleetPath }, options.command),
    );
    if (!options.signal.aborted) {
      await new Promise<void>((resolveRun) => options.signal.addEventListener('abort', () => resolveRun(), { once: true }));
    }
  } finally {
    await sim.close();
  }
}

/**
 * What `discover sim` prints: for each provider, the environment to export and a config string
 * that works against this sim, quoted for a POSIX shell so the block pastes as is.
 */
import { dirname } from 'node:path';
import { shellQuote } from '../text.js';
import type { Fleet } from './fleet.js';
import type { SimContext, SimPaste } from './types.js';

/** The environment every client of the sim needs: trust in its CA. */
export function simEnv(ctx: Pick<SimContext, 'caPath'>): Record<string, string> {
  return { NODE_EXTRA_CA_CERTS: ctx.caPath };
}

/** What `discover --format json sim` prints, one line: the listeners, the common env, a block per provider. */
export interface SimPasteData {
  httpUrl: string;
  httpsUrl: string;
  caPath: string;
  /** Environment every client needs (the CA). */
  env: Record<string, string>;
  /** Per provider: a working config string and its own environment (the common env not repeated). */
  blocks: SimPaste[];
}

/** The paste as data, for programs (the demo, tests) instead of scraping the text. */
export function pasteData(pastes: readonly SimPaste[], ctx: Pick<SimContext, 'caPath' | 'httpUrl' | 'httpsUrl'>): SimPasteData {
  const env = simEnv(ctx);
  const blocks = pastes.map((p) => ({
    provider: p.provider,
    config: p.config,
    env: Object.fromEntries(Object.entries(p.env).filter(([name, value]) => env[name] !== value)),
  }));
  return { httpUrl: ctx.httpUrl, httpsUrl: ctx.httpsUrl, caPath: ctx.caPath, env, blocks };
}

/**
 * The text `discover sim` prints: a header with the listeners, the common environment, then one
 * block per provider (`# aws`, `export VAR=...` lines, `discover addrs '<config>'`).
 */
export function renderPaste(
  pastes: readonly SimPaste[],
  ctx: Pick<SimContext, 'caPath' | 'httpUrl' | 'httpsUrl'>,
  source?: { fleet: Fleet; path: string },
  /** The command that runs discover where the user is (`npx discover` when not installed globally). */
  command = 'discover',
): string {
  const common = simEnv(ctx);
  const lines = [
    `# autojoin simulator on ${ctx.httpUrl} and ${ctx.httpsUrl} (control: ${ctx.httpUrl}/_sim/health). Ctrl-C stops it.`,
    ...(source ? [`# fleet ${source.path}: ${fleetSummary(source.fleet)}`] : []),
    `# state (CA certificate and private key, mode 0700): ${dirname(ctx.caPath)}`,
    '# Paste a block into another shell:',
    '',
    '# every provider',
    ...exports(common),
  ];
  for (const paste of pastes) {
    // A module may repeat a common variable (it cannot know what the core prints); print it once.
    const own = Object.fromEntries(Object.entries(paste.env).filter(([name, value]) => common[name] !== value));
    lines.push('', `# ${paste.provider}`, ...exports(own), `${command} addrs ${shellQuote(paste.config)}`);
  }
  if (pastes.length === 0) lines.push('', '# (the fleet has nothing for any simulated provider)');
  return `${lines.join('\n')}\n`;
}

function exports(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
}

/** `6 aws, 7 azure, 3 gce instances; 3 services` */
export function fleetSummary(fleet: Fleet): string {
  const perCloud = new Map<string, number>();
  for (const instance of fleet.instances) perCloud.set(instance.cloud, (perCloud.get(instance.cloud) ?? 0) + 1);
  const clouds = [...perCloud].map(([cloud, n]) => `${n} ${cloud}`).join(', ');
  const services = fleet.services?.length ?? 0;
  return `${clouds || 'no'} instances; ${services} service${services === 1 ? '' : 's'}`;
}

export { shellQuote };

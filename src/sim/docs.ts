/**
 * The tables of docs/sim.md, generated from the simulator modules so a new module documents
 * itself: how to point a client at it, its credential block, its instance fields, its APIs.
 */
import type { SimModule } from './types.js';

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const cloudOf = (m: SimModule) => m.fleet?.cloud || m.provider;
const code = (s: string) => `\`${s}\``;

/** "Pointing each SDK at the sim". */
export function connectTable(modules: readonly SimModule[]): string {
  const lines = [
    row(['cloud', 'config string', 'environment', 'why']),
    row(['---', '---', '---', '---']),
    row(['every one', '', '`NODE_EXTRA_CA_CERTS=<state folder>/ca.pem` (printed by `discover sim`)', "trust the HTTPS listener's certificate"]),
  ];
  for (const m of modules) if (m.connect) lines.push(row([code(m.provider), m.connect.config, m.connect.env, m.connect.why]));
  return lines.join('\n');
}

/** `credentials.<cloud>` blocks. */
export function credentialsTable(modules: readonly SimModule[]): string {
  const lines = [row(['cloud', 'field', 'required', 'meaning']), row(['---', '---', '---', '---'])];
  for (const m of modules) {
    for (const [field, spec] of Object.entries(m.fleet?.credentials ?? {})) {
      lines.push(row([code(cloudOf(m)), code(field), spec.required ? 'yes' : '', spec.help]));
    }
  }
  return lines.join('\n');
}

/** Each cloud's reading of the shared fields and its own instance fields. */
export function cloudFieldsTable(modules: readonly SimModule[]): string {
  const lines = [row(['cloud', 'field', 'meaning']), row(['---', '---', '---'])];
  for (const m of modules) {
    if (m.fleet?.summary) lines.push(row([code(cloudOf(m)), '(shared fields)', m.fleet.summary]));
    for (const [field, spec] of Object.entries(m.fleet?.instanceFields ?? {})) lines.push(row([code(cloudOf(m)), code(field), spec.help]));
  }
  return lines.join('\n');
}

/** The API names faults, page sizes and counters use. */
export function apisTable(modules: readonly SimModule[]): string {
  const lines = [row(['API', 'provider', 'serves']), row(['---', '---', '---'])];
  for (const m of modules) for (const api of m.apis) lines.push(row([code(api.name), code(m.provider), api.summary ?? '']));
  return lines.join('\n');
}

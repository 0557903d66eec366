/**
 * Every generated file and section, from the descriptors and the simulator modules: used by
 * `npm run docs` to write them and by test/docs.test.ts to fail on drift.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { builtinSimModules } from '../src/builtins.js';
import { providerMarkdown, providerTable } from '../src/help.js';
import { ProviderRegistry } from '../src/registry.js';
import { apisTable, cloudFieldsTable, connectTable, credentialsTable } from '../src/sim/docs.js';
import { demoFleet } from '../src/sim/load.js';

/** Replaces the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export function replaceSection(text: string, name: string, content: string): string {
  const open = `<!-- generated:${name} (npm run docs) -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`no generated section ${name}`);
  return `${text.slice(0, start + open.length)}\n${content}\n${text.slice(end)}`;
}

const DEMO_HEADER = `# The demo estate served by \`discover sim\` when no --fleet is given, written by \`npm run docs\`
# from each simulator module's demo slice (providers/<name>/sim*.ts): edit the slices, not this.
# Every credential below is the simulator's own fake value; none of it works anywhere but on 127.0.0.1.
# Addresses come from the documentation ranges (RFC 5737 TEST-NETs, RFC 3849 2001:db8::/32).
`;

/** What `discover sim` prints for the demo fleet, ports and machine paths normalised, for docs/sim.md. */
export async function simPasteSample(): Promise<string> {
  const { runSim } = await import('../src/sim/index.js');
  const controller = new AbortController();
  let printed = '';
  // The demo fleet from the modules' slices (not the file on disk, which this same run may rewrite).
  await runSim({
    port: 0,
    stdout: (text) => {
      printed += text;
      controller.abort();
    },
    signal: controller.signal,
  });
  const [, http, https] = /on http:\/\/127\.0\.0\.1:(\d+) and https:\/\/127\.0\.0\.1:(\d+)/.exec(printed) ?? [];
  return (
    printed
      .replaceAll(`127.0.0.1:${http}`, '127.0.0.1:18700')
      .replaceAll(`127.0.0.1:${https}`, '127.0.0.1:18701')
      .replace(/^# fleet \S+demo\.yaml/m, '# fleet /usr/lib/node_modules/autojoin/fixtures/fleets/demo.yaml')
      .replace(
        /^# state \(CA certificate and private key, mode 0700\): \S+$/m,
        '# state (CA certificate and private key, mode 0700): /home/me/.local/state/autojoin/sim',
      )
      .replace(/NODE_EXTRA_CA_CERTS=\S+/, 'NODE_EXTRA_CA_CERTS=/home/me/.local/state/autojoin/sim/ca.pem')
      .replace(/\/\S*autojoin-sim-\w+\//g, '/tmp/autojoin-sim-Xb3k9Q/')
      .replace(/\/\S*autojoin-sim-\w+'/g, "/tmp/autojoin-sim-Xb3k9Q'")
      .replace(/(node|npx) \S*discover(\.js)? addrs/g, 'discover addrs')
      // A key made for each sim (triton's): its fingerprint differs every run.
      .replace(/key_id=(?:[0-9a-f]{2}:){15}[0-9a-f]{2}/g, 'key_id=58:a8:83:a4:f6:40:ef:ab:59:16:75:d2:67:00:9c:21')
  );
}

/** Path -> wanted content of every generated file. */
export async function generatedFiles(root = '.'): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const providers = await new ProviderRegistry().loadAll();
  for (const provider of providers) files.set(`docs/providers/${provider.name}.md`, providerMarkdown(provider));

  // docs/cli.md's log sample starts with the providers `discover addrs` registers: all of them.
  const cli = readFileSync(`${root}/docs/cli.md`, 'utf8');
  files.set('docs/cli.md', cli.replace(/^Registered providers: \[.*\]$/m, `Registered providers: [${providers.map((p) => p.name).join(' ')}]`));

  const readme = readFileSync(`${root}/README.md`, 'utf8');
  files.set('README.md', replaceSection(readme, 'providers', providerTable(providers)));

  const modules = await builtinSimModules();
  let sim = readFileSync(`${root}/docs/sim.md`, 'utf8');
  sim = replaceSection(sim, 'connect', connectTable(modules));
  sim = replaceSection(sim, 'credentials', credentialsTable(modules));
  sim = replaceSection(sim, 'cloud-fields', cloudFieldsTable(modules));
  sim = replaceSection(sim, 'apis', apisTable(modules));
  sim = replaceSection(sim, 'paste', `\`\`\`sh\n${await simPasteSample()}\`\`\``);
  files.set('docs/sim.md', sim);

  files.set('fixtures/fleets/demo.yaml', DEMO_HEADER + stringify(demoFleet(modules), { lineWidth: 0 }));
  return files;
}

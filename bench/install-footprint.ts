// Claim: an install with one cloud weighs a fraction of an install with every cloud SDK, which is
// what every install weighed when the SDKs were plain dependencies (the baseline).
// Measured without the registry: the bytes of each dependency closure as npm lays it out, read
// from this checkout's node_modules (hoisted, as a user's would be), plus the packed package itself.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './lib.js';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where node would find `name` from `from` (a package folder), walking up node_modules folders. */
function locate(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir === path.dirname(dir)) return undefined;
  }
}

/** Every package folder an install of `names` brings, their own dependencies included (required peers too). */
function closure(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = names.map((name) => ({ name, from: ROOT }));
  while (queue.length > 0) {
    const { name, from } = queue.pop() as { name: string; from: string };
    const dir = locate(name, from);
    if (!dir || seen.has(dir)) continue;
    seen.add(dir);
    const m = manifest(dir);
    const peers = Object.keys(m.peerDependencies ?? {}).filter((peer) => !m.peerDependenciesMeta?.[peer]?.optional);
    for (const dep of [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...peers]) queue.push({ name: dep, from: dir });
  }
  return seen;
}

function bytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** Bytes of the closure, counting a nested package folder once (not again inside its parent). */
function closureBytes(dirs: Set<string>): number {
  let total = 0;
  for (const dir of dirs) {
    const nested = path.join(dir, 'node_modules');
    total += bytes(dir) - (existsSync(nested) ? bytes(nested) : 0);
  }
  return total;
}

const work = mkdtempSync(path.join(tmpdir(), 'autojoin-footprint-'));
try {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
  const [info] = JSON.parse(out) as Array<{ unpackedSize: number }>;
  const own = info?.unpackedSize ?? 0;
  const pkg = manifest(ROOT);
  const core = Object.keys(pkg.dependencies ?? {});
  const peers = pkg.peerDependencies ?? {};
  const clouds: Record<string, string[]> = {
    aws: Object.keys(peers).filter((p) => p.startsWith('@aws-sdk/') || p === '@smithy/node-http-handler'),
    azure: Object.keys(peers).filter((p) => p.startsWith('@azure/')),
    gce: ['@google-cloud/compute', 'google-auth-library'],
  };
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const measure = (names: string[]) => {
    const dirs = closure(names);
    return { packages: dirs.size, bytes: own + closureBytes(dirs) };
  };
  const baseline = measure([...core, ...Object.keys(peers)]);
  console.log(`baseline: every cloud SDK (what every install was)  ${mb(baseline.bytes)} in ${baseline.packages} packages`);
  const bare = measure(core);
  console.log(
    `autojoin alone (consul, srv, mdns, join, sim)        ${mb(bare.bytes)} in ${bare.packages} packages  (${((100 * bare.bytes) / baseline.bytes).toFixed(0)}% of baseline)`,
  );
  for (const [cloud, names] of Object.entries(clouds)) {
    const one = measure([...core, ...names]);
    console.log(
      `autojoin + ${cloud.padEnd(6)} (${names.length} packages named)         ${mb(one.bytes)} in ${one.packages} packages  (${((100 * one.bytes) / baseline.bytes).toFixed(0)}% of baseline)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

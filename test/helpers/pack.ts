// The package as a user gets it: `npm pack` of this checkout, unpacked into a fresh `npm init -y`
// project. Nothing leaves the machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Packs the checkout (its dist/ as built) into `dir`; returns the tarball path and its file list. */
export function packTarball(dir: string): { tarball: string; files: string[] } {
  // --ignore-scripts: dist/ is built already (npm test's build step); prepack would rebuild it
  // under the feet of tests running the CLI from dist/.
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error(`npm pack printed nothing usable: ${out}`);
  return { tarball: path.join(dir, path.basename(info.filename)), files: info.files.map((f) => f.path) };
}

/**
 * A fresh `npm init -y` project with the tarball unpacked as `node_modules/autojoin`, as npm lays
 * it out, and its `dependencies` (only those: no cloud SDK, they are optional peers) linked from
 * this checkout's node_modules: the tests may not reach the registry, and npm's cache holds the
 * tarballs but not the metadata an `npm install` resolves with. `extra` packages are linked too.
 */
export function installInto(tarball: string, extra: string[] = []): string {
  const project = mkdtempSync(path.join(tmpdir(), 'autojoin-install-'));
  execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'ignore' });
  const target = path.join(project, 'node_modules', 'autojoin');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of [...Object.keys(pkg.dependencies ?? {}), ...extra]) {
    const link = path.join(project, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', name), link, 'dir');
  }
  mkdirSync(path.join(project, 'node_modules', '.bin'));
  symlinkSync('../autojoin/bin/discover.js', path.join(project, 'node_modules', '.bin', 'discover'));
  return project;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Bytes under a folder, as `du` would count file sizes. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      total += statSync(path.join(entry.parentPath, entry.name)).size;
    }
  }
  return total;
}

/**
 * How the user can run discover again from where they are, for the commands `discover sim`
 * prints: `discover` only when that is on PATH and is this very program; `npx discover` under
 * npx or in a project that has it; otherwise node and the full path of this file.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../text.js';
import { startedByNpx } from './parent-watch.js';

function realpath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** Whether `discover` on PATH is this program. */
function onPath(env: Record<string, string | undefined>, self: string): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && realpath(path.join(dir, 'discover')) === self) return true;
  }
  return false;
}

/** Whether `npx discover` in `cwd` runs this package: it is installed there, or `cwd` is its root. */
function npxWorks(cwd: string): boolean {
  if (existsSync(path.join(cwd, 'node_modules', '.bin', 'discover'))) return true;
  try {
    return (JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8')) as { name?: string }).name === 'autojoin';
  } catch {
    return false;
  }
}

/** The command prefix to print: `discover`, `npx discover`, or `node /path/to/main.js`. */
export function discoverCommand(env: Record<string, string | undefined>, cwd: string, mainFile: string): string {
  const self = realpath(mainFile) ?? mainFile;
  if (startedByNpx(env)) return 'npx discover';
  if (onPath(env, self)) return 'discover';
  if (npxWorks(cwd)) return 'npx discover';
  return `node ${shellQuote(self)}`;
}

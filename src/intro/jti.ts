/**
 * Single use of a token's `jti` (Nomad accepts a token again and again until `exp`). A store
 * remembers each `jti` until its token expires; `use` is an atomic check-and-set.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface JtiStore {
  /**
   * Marks `jti` used until `expiresAt` (ms since the epoch).
   * @returns true the first time, false when it was used before (a replay)
   */
  use(jti: string, expiresAt: number): Promise<boolean> | boolean;
}

/** In memory: for one process. Expired entries are dropped as new ones arrive. */
export class MemoryJtiStore implements JtiStore {
  private readonly used = new Map<string, number>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  use(jti: string, expiresAt: number): boolean {
    const now = this.now();
    for (const [id, until] of this.used) if (until <= now) this.used.delete(id);
    if (this.used.has(jti)) return false;
    this.used.set(jti, expiresAt);
    return true;
  }

  get size(): number {
    return this.used.size;
  }
}

/**
 * On disk: one file per used `jti` in a folder, created with `O_EXCL`, so servers on one host
 * sharing the folder (or a server restarting) still refuse a replay. File names are the SHA-256
 * of the `jti` (it comes from the token: never a path); each file holds the expiry. Files of
 * expired tokens are removed when the store opens and every `pruneEvery` uses.
 */
export class FileJtiStore implements JtiStore {
  readonly dir: string;
  private readonly now: () => number;
  private readonly pruneEvery: number;
  private ready: Promise<void> | undefined;
  private uses = 0;

  constructor(dir: string, options: { now?: () => number; pruneEvery?: number } = {}) {
    this.dir = dir;
    this.now = options.now ?? Date.now;
    this.pruneEvery = options.pruneEvery ?? 1000;
  }

  async use(jti: string, expiresAt: number): Promise<boolean> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => this.prune());
    await this.ready;
    if (++this.uses % this.pruneEvery === 0) await this.prune();
    const file = join(this.dir, createHash('sha256').update(jti).digest('hex'));
    try {
      await writeFile(file, String(expiresAt), { flag: 'wx', mode: 0o600 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Used before; unless that token has expired since (then its jti may not come back anyway).
      const until = Number(await readFile(file, 'utf8').catch(() => 'NaN'));
      if (Number.isFinite(until) && until > this.now()) return false;
      await rm(file, { force: true });
      return this.use(jti, expiresAt);
    }
  }

  /** Removes the files of expired tokens. */
  async prune(): Promise<void> {
    const now = this.now();
    for (const name of await readdir(this.dir)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const until = Number(await readFile(join(this.dir, name), 'utf8').catch(() => 'NaN'));
      if (Number.isFinite(until) && until <= now) await rm(join(this.dir, name), { force: true });
    }
  }
}

/**
 * The fast path for built-in providers: the build (scripts/bundle-providers.mjs) bundles each
 * provider's code path, SDK included and tree-shaken, into CommonJS chunks under
 * `dist/bundles/<name>/`; this module runs them through `vm.Script` with a V8 code cache kept in
 * the user's cache folder, so a lookup neither resolves hundreds of files nor compiles what it
 * compiled last time. Without a bundle (running from sources, or `AUTOJOIN_BUNDLES=0`) the
 * provider loads as an ordinary module. docs/performance.md has the numbers.
 *
 * The cache: `$XDG_CACHE_HOME/autojoin` (else `~/.cache/autojoin`), folder 0700, files 0600,
 * written atomically (temporary file, then rename), one file per chunk keyed by the autojoin
 * version, the Node version and architecture, the chunk's path and its content hash. V8 itself refuses
 * data made by another V8 or with other flags (then the chunk is compiled and the file
 * rewritten). `AUTOJOIN_CODE_CACHE=0` turns the cache off; the folder may be deleted at any time.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { AnyProvider } from './provider.js';

/** The chunk format this loader runs (scripts/bundle-providers.mjs BUNDLE_FORMAT). */
const BUNDLE_FORMAT = 1;
const BUNDLES = fileURLToPath(new URL('../bundles/', import.meta.url));

type ProviderModule = { default: AnyProvider };

interface Bundle {
  entry: string;
  chunks: Record<string, string>;
}

interface Manifest {
  format: number;
  providers: Record<string, Bundle>;
  /** The CLI itself with the engine (entry/cli-bundle.ts), when the build made it. */
  cli?: Bundle;
}

let manifest: Manifest | null | undefined;

function readManifest(): Manifest | null {
  if (manifest !== undefined) return manifest;
  try {
    const parsed = JSON.parse(readFileSync(path.join(BUNDLES, 'manifest.json'), 'utf8')) as Manifest;
    manifest = parsed.format === BUNDLE_FORMAT ? parsed : null;
  } catch {
    manifest = null;
  }
  return manifest;
}

/**
 * `load`, or the provider's bundle when the build made one. The registry wraps each built-in
 * loader with this; it is the only hook between the engine and the bundles.
 */
export function preferBundle(name: string, load: () => Promise<ProviderModule>): () => Promise<ProviderModule> {
  return async () => {
    const bundle = process.env.AUTOJOIN_BUNDLES === '0' ? undefined : readManifest()?.providers[name];
    if (!bundle) return load();
    // One loader per provider for the process: every registry shares the chunks run once.
    let provider = loadedBundles.get(name);
    if (!provider) {
      const engine = hostKit ? { [KIT]: await hostKit() } : {};
      const loader = new BundleLoader(path.join(BUNDLES, name), bundle.chunks, codeCache(), engine);
      provider = bundled(loader.require(bundle.entry) as ProviderModule);
      loadedBundles.set(name, provider);
    }
    return { default: provider };
  };
}

const loadedBundles = new Map<string, AnyProvider>();

/** How a provider chunk names the engine: the kit, the one engine module bundles import. */
const KIT = '../../src/kit/index.js';
let hostKit: (() => Promise<unknown>) | undefined;

/**
 * The CLI bundle (which carries its own copy of the engine) gives the provider bundles its kit,
 * so a provider and the engine running it share one HTTP stack and one set of error classes.
 */
export function provideKit(load: () => Promise<unknown>): void {
  hostKit = load;
}

/**
 * The CLI bundle's exports (entry/cli-bundle.ts), or undefined when the build made none or
 * `AUTOJOIN_BUNDLES=0`: then the caller imports the CLI's modules instead. One script with a code
 * cache starts faster than the forty modules `discover check` or `addrs` would load.
 */
export function loadCliBundle(): unknown {
  const bundle = process.env.AUTOJOIN_BUNDLES === '0' ? undefined : readManifest()?.cli;
  if (!bundle) return undefined;
  return new BundleLoader(path.join(BUNDLES, 'cli'), bundle.chunks, codeCache()).require(bundle.entry);
}

/** The bundle's descriptor, its `discover` followed by writing the code cache of what it compiled. */
function bundled(module: ProviderModule): AnyProvider {
  const provider = module.default;
  return {
    ...provider,
    async discover(args, ctx) {
      try {
        return await provider.discover(args, ctx);
      } finally {
        // After the answer: the first lookup's compiled code is what the next process wants.
        setTimeout(flushCodeCache, 0).unref();
      }
    },
  };
}

/** Where the cache lives, or undefined when it is off or the folder is not safely ours. */
function codeCache(): string | undefined {
  if (process.env.AUTOJOIN_CODE_CACHE === '0') return undefined;
  // A relative XDG_CACHE_HOME is invalid (XDG Base Directory spec): the default applies.
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : homedir() ? path.join(homedir(), '.cache') : '';
  if (!base || !path.isAbsolute(base)) return undefined;
  const dir = path.join(base, 'autojoin');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    // Never run bytecode from a folder someone else could have written.
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return undefined;
    if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    return dir;
  } catch {
    return undefined;
  }
}

interface PendingCache {
  script: vm.Script;
  file: string;
}

const pending: PendingCache[] = [];
let written = 0;
let exitHook = false;

/** Writes the code cache of every chunk compiled without one. Failures only cost speed. */
export function flushCodeCache(): void {
  for (const { script, file } of pending.splice(0)) {
    const temporary = `${file}.${process.pid}-${++written}.tmp`;
    try {
      const data = script.createCachedData();
      const fd = openSync(temporary, 'wx', 0o600);
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, file);
    } catch {
      try {
        unlinkSync(temporary);
      } catch {
        // nothing was written
      }
    }
  }
}

const WRAPPER = ['(function (exports, require, module, __filename, __dirname, __import_meta_url) {', '\n})'] as const;

/** A CommonJS loader for one bundle's chunks; everything else goes to Node's `require`. */
class BundleLoader {
  readonly #dir: string;
  readonly #chunks: Record<string, string>;
  readonly #cacheDir: string | undefined;
  readonly #modules = new Map<string, { exports: unknown }>();
  readonly #engine: Record<string, unknown>;

  /** @param engine modules given to the chunks instead of Node's (`require` id -> exports) */
  constructor(dir: string, chunks: Record<string, string>, cacheDir: string | undefined, engine: Record<string, unknown> = {}) {
    this.#dir = dir;
    this.#chunks = chunks;
    this.#cacheDir = cacheDir;
    this.#engine = engine;
  }

  require(chunk: string): unknown {
    const loaded = this.#modules.get(chunk);
    if (loaded) return loaded.exports;
    const hash = this.#chunks[chunk];
    if (hash === undefined) throw new Error(`autojoin: ${chunk} is not a chunk of ${this.#dir}`);
    const file = path.join(this.#dir, chunk);
    const source = readFileSync(file, 'utf8');
    const cacheFile = this.#cacheDir && path.join(this.#cacheDir, `${path.basename(this.#dir)}-${chunk}-${cacheKey(file, hash)}.v8`);
    let cachedData: Buffer | undefined;
    if (cacheFile) {
      try {
        cachedData = readFileSync(cacheFile);
      } catch {
        // first run with this chunk
      }
    }
    const script = new vm.Script(WRAPPER[0] + source + WRAPPER[1], { filename: file, ...(cachedData ? { cachedData } : {}) });
    if (cacheFile && (!cachedData || script.cachedDataRejected)) {
      pending.push({ script, file: cacheFile });
      if (!exitHook) {
        exitHook = true;
        process.once('exit', flushCodeCache);
      }
    }
    const module = { exports: {} as unknown };
    this.#modules.set(chunk, module);
    let nodeRequire: NodeJS.Require | undefined;
    const requireFromChunk = (id: string): unknown => {
      if (id.startsWith('./') && id.endsWith('.cjs')) return this.require(id.slice(2));
      if (Object.hasOwn(this.#engine, id)) return this.#engine[id];
      nodeRequire ??= createRequire(file);
      return nodeRequire(id);
    };
    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run.call(module.exports, module.exports, requireFromChunk, module, file, this.#dir, pathToFileURL(file).href);
    return module.exports;
  }
}

let keyPrefix: string | undefined;

/**
 * The cache key of a chunk: its content hash (from the manifest) and a hash of the autojoin and
 * Node versions, the architecture and the chunk's path (compiled code keeps its file name for
 * stack traces). FNV-1a: start-up pays for no crypto module here.
 */
function cacheKey(file: string, chunkHash: string): string {
  keyPrefix ??= `${packageVersion()}\0${process.version}\0${process.arch}\0${BUNDLE_FORMAT}`;
  return `${chunkHash}-${fnv1a(`${keyPrefix}\0${file}`)}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(BUNDLES, '../../package.json'), 'utf8')) as { version?: string }).version ?? '';
  } catch {
    return '';
  }
}

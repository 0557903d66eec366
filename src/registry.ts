/**
 * Provider names -> lazy loaders. Built-ins come from the composition (`src/builtins.ts`, filled
 * from `providers/index.ts` by the entry points); plugins from an npm module or a path. A
 * provider module is imported only when it is first used, and its SDK only
 * when its `discover` runs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinSimModules, builtins as composedBuiltins, type ProviderEntry } from './builtins.js';
import type { SimModule } from './sim/types.js';
import { ProviderRegistryError } from './errors.js';
import { preferBundle } from './load-bundle.js';
import type { AnyProvider } from './provider.js';
import { didYouMean } from './suggest.js';

type Loader = () => Promise<AnyProvider>;

export class ProviderRegistry {
  readonly #loaders = new Map<string, Loader>();
  readonly #loaded = new Map<string, AnyProvider>();
  readonly #entries: readonly ProviderEntry[];
  readonly #pluginSims: SimModule[] = [];

  /**
   * @param builtins `true` for the composition's built-in providers, `false` for none, or a list
   * of entries to use instead @default true
   */
  constructor(builtins: boolean | readonly ProviderEntry[] = true) {
    const entries = builtins === true ? composedBuiltins() : builtins === false ? [] : builtins;
    this.#entries = entries;
    for (const entry of entries) {
      // For the composition's built-ins, the build's bundle of the provider when there is one (src/load-bundle.ts).
      const load = builtins === true ? preferBundle(entry.name, entry.provider) : entry.provider;
      this.#loaders.set(entry.name, async () => (await load()).default);
    }
  }

  /** Adds a provider. @throws ProviderRegistryError when the name is taken. */
  register(provider: AnyProvider): void {
    checkDescriptor(provider, 'register()');
    // The same descriptor again (one plugin named twice: --plugin and DISCOVER_PLUGINS) is a no-op.
    if (this.#loaded.get(provider.name) === provider) return;
    if (this.#loaders.has(provider.name)) {
      throw new ProviderRegistryError(`discover: provider ${provider.name} is already registered`);
    }
    this.#loaded.set(provider.name, provider);
    this.#loaders.set(provider.name, async () => provider);
  }

  /** Sorted provider names. */
  names(): string[] {
    return [...this.#loaders.keys()].sort();
  }

  has(name: string): boolean {
    return this.#loaders.has(name);
  }

  /** Loads a provider's descriptor (not its SDK). */
  async load(name: string): Promise<AnyProvider> {
    const cached = this.#loaded.get(name);
    if (cached) return cached;
    const loader = this.#loaders.get(name);
    if (!loader) throw new ProviderRegistryError(`discover: unknown provider ${name}`);
    const provider = await loader();
    checkDescriptor(provider, `provider ${name}`);
    this.#loaded.set(name, provider);
    return provider;
  }

  async loadAll(): Promise<AnyProvider[]> {
    return Promise.all(this.names().map((name) => this.load(name)));
  }

  /** The simulator modules of the built-ins and of every plugin loaded so far, for `discover sim`. */
  async simModules(): Promise<SimModule[]> {
    return [...(await builtinSimModules(this.#entries)), ...this.#pluginSims];
  }

  /**
   * Loads a plugin: an npm module name (resolved from `cwd`) or a file path. The module's default
   * export is a descriptor or an array of them; a named export `providers` (array) also works.
   * A named export `simModules` (array) adds the plugin's simulated APIs to `discover sim`.
   */
  async loadPlugin(specifier: string, cwd = process.cwd()): Promise<string[]> {
    let url: string;
    const asPath = path.resolve(cwd, specifier);
    if (specifier.startsWith('.') || path.isAbsolute(specifier) || existsSync(asPath)) {
      url = pathToFileURL(asPath).href;
    } else {
      try {
        const require = createRequire(path.join(cwd, 'package.json'));
        url = pathToFileURL(require.resolve(specifier)).href;
      } catch (error) {
        throw new ProviderRegistryError(`discover: cannot find plugin ${specifier}`, { cause: error });
      }
    }
    let module: Record<string, unknown>;
    try {
      module = await importPlugin(url);
    } catch (error) {
      // Node runs JavaScript: a TypeScript plugin is compiled first (docs/plugins.md), or node runs with tsx.
      const message = (error as Error).message;
      const hint = /\.[cm]?ts$/.test(specifier)
        ? ' (a TypeScript plugin must be compiled to JavaScript first, e.g. with tsc, or loaded with NODE_OPTIONS=--import=tsx)'
        : '';
      throw new ProviderRegistryError(`discover: cannot load plugin ${specifier}: ${message}${hint}`, { cause: error });
    }
    const exported = module.providers ?? module.default;
    const providers = (Array.isArray(exported) ? exported : [exported]) as AnyProvider[];
    const names: string[] = [];
    for (const provider of providers) {
      checkDescriptor(provider, `plugin ${specifier}`);
      this.register(provider);
      names.push(provider.name);
    }
    const sims = module.simModules;
    if (sims !== undefined) {
      if (!Array.isArray(sims) || sims.some((m) => typeof m?.provider !== 'string' || !Array.isArray(m?.apis))) {
        throw new ProviderRegistryError(`discover: plugin ${specifier}: simModules must be an array of simulator modules ({ provider, apis })`);
      }
      this.#pluginSims.push(...(sims as SimModule[]));
    }
    return names;
  }
}

/**
 * Imports a plugin module. An ES module `.js` in a CommonJS project (what `npm init -y` makes)
 * would fail as CommonJS: it is imported as an ES module instead (src/plugin-format.ts,
 * docs/plugins.md). Decided before importing, so Node never tries it as CommonJS (and warns).
 */
async function importPlugin(url: string): Promise<Record<string, unknown>> {
  if (url.startsWith('file:') && url.endsWith('.js')) {
    const { esmInCommonJs, importAsModule } = await import('./plugin-format.js');
    if (esmInCommonJs(fileURLToPath(url))) return importAsModule(url);
  }
  return (await import(url)) as Record<string, unknown>;
}

function checkDescriptor(provider: unknown, where: string): asserts provider is AnyProvider {
  const p = provider as Partial<AnyProvider> | undefined;
  if (!p || typeof p.name !== 'string' || typeof p.discover !== 'function' || typeof p.args !== 'object') {
    throw new ProviderRegistryError(`discover: ${where} is not a provider descriptor (need name, args, discover)`);
  }
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(p.name)) {
    throw new ProviderRegistryError(`discover: ${where}: invalid provider name "${p.name}"`);
  }
  checkSchema(p as AnyProvider, where);
}

const ARG_TYPES = ['string', 'bool', 'int', 'duration', 'enum', 'url', 'list', 'hostport'];

/** A schema typo (`type: 'integer'`, an enum without values) fails at load, naming the provider and key, not at first use. */
function checkSchema(provider: AnyProvider, where: string): void {
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(provider.args as Record<string, { type?: unknown; values?: unknown }>)) {
    if (spec === null || typeof spec !== 'object') {
      problems.push(`${key}: not an argument spec`);
      continue;
    }
    if (typeof spec.type !== 'string' || !ARG_TYPES.includes(spec.type)) {
      problems.push(
        `${key}: type ${JSON.stringify(spec.type)} is not one of ${ARG_TYPES.join(', ')}${typeof spec.type === 'string' ? didYouMean(spec.type, ARG_TYPES) : ''}`,
      );
    } else if (spec.type === 'enum' && (!Array.isArray(spec.values) || spec.values.length === 0)) {
      problems.push(`${key}: an enum needs a non-empty values list`);
    }
  }
  if (problems.length > 0) {
    throw new ProviderRegistryError(
      `discover: ${where}: provider ${provider.name} has an invalid argument schema:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

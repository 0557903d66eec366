/**
 * autojoin: cloud auto-join discovery with go-discover's config strings.
 * @example
 * import { addrs, retryJoin } from 'autojoin';
 * const peers = await addrs('provider=aws region=eu-west-1 tag_key=role tag_value="nomad server"');
 */
export { formatHostPort, ipVersion, splitHostPort } from './address.js';
export { knownKeys, secretKeys, type ValidatedArgs, validateArgs } from './args.js';
export { formatConfig, parseConfig } from './config/index.js';
export {
  addrs,
  type CheckedConfig,
  checkConfig,
  DEFAULT_TIMEOUT_MS,
  Discover,
  type DiscoverConstructorOptions,
  type DiscoverOptions,
  discover,
  targetAddress,
} from './discover.js';
export { parseGoBool, parseGoDuration, toMs } from './duration.js';
export * from './errors.js';
export type { HttpClient, HttpRequestOptions, HttpResponse } from './http/types.js';
export { type Logger, lineLogger, silentLogger } from './log.js';
export * from './provider.js';
export { ProviderRegistry } from './registry.js';
export * from './join/index.js';
export * from './intro/index.js';

/** The retry-join engine: `retryJoin()` and the pieces it is built from. */
export { joinAddress, parseJoinAddress, type AddressParts } from './address.js';
export { type Clock, formatGoDuration, systemClock } from './clock.js';
export {
  type AgentJoinConfig,
  type AgentKind,
  extractAgentJoin,
  type JoinMode,
  mergeConfigDocs,
  type ReadAgentConfigOptions,
  readAgentConfig,
} from './config-file.js';
export { type CheckEntry, classifyEntry, type DiscoverAddrs, type EntryKind } from './entries.js';
export { type JoinCommandOptions, joinedFromOutput, runJoinCommand } from './command.js';
export { type EntryOutcome, InvalidAddressError, JoinCommandError, JoinConfigError, NetaddrsError, RetryJoinExhaustedError } from './errors.js';
export { execAddrs, parseExecOutput, redactExecEntry } from './netaddrs.js';
export { type BackoffOptions, type DelayPolicy, nextDelay, resolvePolicy } from './policy.js';
export { probeTcp, reachable } from './probe.js';
export { type GroupChild, type GroupSpawnOptions, killGroup, spawnGroup } from './process-group.js';
export { type ResolveHost, systemResolveHost } from './resolve.js';
export {
  type AttemptReport,
  type JoinInfo,
  type RetryJoinOptions,
  type RetryJoinResult,
  retryJoin,
  type WatchOptions,
} from './retry-join.js';

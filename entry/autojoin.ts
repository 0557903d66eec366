/**
 * The package's main entry (`import ... from 'autojoin'`): the engine with the built-in providers.
 * @example
 * import { addrs, retryJoin } from 'autojoin';
 * const peers = await addrs('provider=aws region=eu-west-1 tag_key=role tag_value="nomad server"');
 */
import './compose.js';

export * from '../src/index.js';

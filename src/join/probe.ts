/** `--probe tcp`: which of an attempt's addresses accept a TCP connection. */
import { connect } from 'node:net';
import { isLoopbackHost } from '../address.js';
import { LoopbackOnlyError } from '../errors.js';
import { parseJoinAddress } from './address.js';
import { formatGoDuration } from './clock.js';
import { JoinConfigError } from './errors.js';

/**
 * Whether `host:port` accepts a TCP connection within `timeoutMs`; the error text when not. Under
 * the loopback guard (`loopbackOnly`, tests) a host that is not loopback is refused without a packet
 * sent, as the HTTP stack refuses it: a simulator's fleet holds private addresses.
 */
export function probeTcp(address: string, timeoutMs: number, signal: AbortSignal, loopbackOnly = false): Promise<string | undefined> {
  const { host, port } = parseJoinAddress(address);
  if (port === undefined) return Promise.resolve('no port');
  if (loopbackOnly && !isLoopbackHost(host)) return Promise.resolve(new LoopbackOnlyError(host).message);
  if (signal.aborted) return Promise.resolve('ABORT_ERR');
  return new Promise((resolve) => {
    // The signal is not handed to connect(): Node 20 removes the listener it adds only when the
    // signal aborts, so the join loop's one signal gathered a listener per probe, attempt after
    // attempt (MaxListenersExceededWarning at the 11th).
    const socket = connect({ host, port, timeout: timeoutMs });
    const onAbort = () => done('ABORT_ERR');
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (error: string | undefined) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(error);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`no answer within ${formatGoDuration(timeoutMs)}`));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * The addresses that accept a TCP connection, in order.
 * @throws JoinConfigError when an address has no port (waiting cannot give it one);
 *   Error when fewer than `min` accept
 */
export async function reachable(addresses: readonly string[], min: number, timeoutMs: number, signal: AbortSignal, loopbackOnly = false): Promise<string[]> {
  const portless = addresses.filter((address) => parseJoinAddress(address).port === undefined);
  if (portless.length > 0) {
    throw new JoinConfigError(portless.join(' '), `--probe tcp: ${portless.join(' ')} has no port; give --default-port or a port in the entry`);
  }
  const errors = await Promise.all(addresses.map((address) => probeTcp(address, timeoutMs, signal, loopbackOnly)));
  const open = addresses.filter((_, i) => errors[i] === undefined);
  if (open.length >= min) return open;
  const refused = addresses.flatMap((address, i) => (errors[i] === undefined ? [] : [`${address} ${errors[i]}`]));
  throw new Error(`${open.length} of ${addresses.length} addresses accept TCP connections, ${min} needed: ${refused.join(', ')}`);
}

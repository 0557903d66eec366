/**
 * A real SOCKS5 proxy for tests (@pondwader/socks5-server) on a free loopback port, closed by the
 * test's teardown. It records every CONNECT it is asked for, and can refuse them all.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from '@pondwader/socks5-server';
import type { ExecutionContext } from 'ava';

export interface TestSocksProxy {
  port: number;
  /** Every CONNECT asked for, `host:port`, in order (refused ones too). */
  requests: string[];
}

export interface SocksProxyOptions {
  /** Refuse every CONNECT (SOCKS5 reply `connection not allowed by ruleset`). */
  refuse?: boolean;
  /** Require these credentials (RFC 1929 username/password). */
  auth?: { username: string; password: string };
}

export async function startSocksProxy(t: ExecutionContext, options: SocksProxyOptions = {}): Promise<TestSocksProxy> {
  const server = createServer(options.auth ? { auth: options.auth } : {});
  const requests: string[] = [];
  server.setRulesetValidator((connection) => {
    requests.push(`${connection.destAddress}:${connection.destPort}`);
    return !options.refuse;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const inner = (server as unknown as { server: import('node:net').Server }).server;
    inner.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((inner.address() as AddressInfo).port));
  });
  // close() stops listening at once; connections a client kept alive end with the worker.
  t.teardown(() => void server.close());
  return { port, requests };
}

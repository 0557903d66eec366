/**
 * Small loopback HTTP/HTTPS servers for tests. Each registers its own teardown, counts the
 * TCP connections it accepted (so a test can prove a request never reached it) and listens
 * on 127.0.0.1 on a free port.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import type { ExecutionContext } from 'ava';
import { generate } from 'selfsigned';

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  server: http.Server;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Requests received so far (method and path). */
  requests(): string[];
}

/** A certificate and key in PEM. */
export interface TestCert {
  cert: string;
  key: string;
}

let certPromise: Promise<TestCert> | undefined;

/**
 * A throwaway self-signed certificate for `127.0.0.1`, `::1` and `localhost`, made once per
 * process. Pass `cert` as `ca` to the client to trust it.
 */
export function testCert(): Promise<TestCert> {
  certPromise ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  }).then((pems) => ({ cert: pems.cert, key: pems.private }));
  return certPromise;
}

async function listen(t: ExecutionContext, server: http.Server, scheme: 'http' | 'https'): Promise<TestServer> {
  let connections = 0;
  const requests: string[] = [];
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', () => connections++);
  server.on('request', (req: http.IncomingMessage) => requests.push(`${req.method} ${req.url}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    server,
    connections: () => connections,
    requests: () => [...requests],
  };
}

/**
 * Starts an HTTP server on 127.0.0.1 for the duration of the test.
 * @example const srv = await startHttpServer(t, (req, res) => res.end('ok'));
 */
export function startHttpServer(t: ExecutionContext, handler: http.RequestListener): Promise<TestServer> {
  return listen(t, http.createServer(handler), 'http');
}

/**
 * Starts an HTTPS server on 127.0.0.1 for the duration of the test.
 * @param tls certificate and key; @default {@link testCert}()
 */
export async function startHttpsServer(t: ExecutionContext, handler: http.RequestListener, tls?: TestCert): Promise<TestServer> {
  const { cert, key } = tls ?? (await testCert());
  return listen(t, https.createServer({ cert, key }, handler) as unknown as http.Server, 'https');
}

/** A loopback TCP listener that accepts and closes each connection, closed at teardown. */
export async function startTcpListener(t: ExecutionContext): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, server };
}

/**
 * A loopback port with nothing listening, and that no `listen(0)` will take while the test runs:
 * it lies below the kernel's ephemeral range (where every test server's port comes from), and
 * a connection to it is refused now. A port bound and released would be free for any other
 * test process's next server.
 */
export async function closedPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {}
  for (let tries = 0; tries < 50; tries++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    if (await connectionRefused(port)) return port;
  }
  throw new Error(`no closed loopback port found between 10000 and ${low}`);
}

/** Whether a connection to the loopback port is refused (nothing listens there). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

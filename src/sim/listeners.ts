/** The simulator's two loopback listeners (HTTP and HTTPS), every socket tracked so close() is prompt. */
import { once } from 'node:events';
import { type RequestListener, type Server, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { formatHostPort } from '../address.js';
import { AutojoinError } from '../errors.js';

export interface Listeners {
  httpUrl: string;
  httpsUrl: string;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  httpPort: number;
  httpsPort: number;
  tls: { cert: string; key: string; ca?: string };
  /** The HTTPS listener demands a client certificate signed by `tls.ca`. */
  requireClientCert?: boolean;
}

/** Starts both listeners; resolves once both accept connections. */
export async function startListeners(options: ListenOptions, handlers: { http: RequestListener; https: RequestListener }): Promise<Listeners> {
  const sockets = new Set<Socket>();
  const httpServer = createServer({ keepAlive: true }, handlers.http);
  const clientAuth = options.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: options.tls.ca } : {};
  const httpsServer = createHttpsServer({ cert: options.tls.cert, key: options.tls.key, keepAlive: true, ...clientAuth }, handlers.https);
  for (const server of [httpServer, httpsServer]) {
    // Clients keep connections for a while between polls; the default 5 s drops them mid-benchmark.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    const track = (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    server.on('connection', track);
    server.on('secureConnection', track);
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
  }
  await listen(httpServer, options.httpPort, options.host);
  try {
    await listen(httpsServer, options.httpsPort, options.host);
  } catch (err) {
    httpServer.close();
    throw err;
  }
  const url = (scheme: string, server: Server) => `${scheme}://${formatHostPort(options.host, (server.address() as AddressInfo).port)}`;
  return {
    httpUrl: url('http', httpServer),
    httpsUrl: url('https', httpsServer),
    async close() {
      const done = Promise.all([httpServer, httpsServer].map((s) => (s.listening ? once(s, 'close') : undefined)));
      httpServer.close();
      httpsServer.close();
      httpServer.closeAllConnections();
      httpsServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await done;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const message = `sim: cannot listen on ${formatHostPort(host, port)}: ${err.code ?? err.message}`;
      reject(new AutojoinError('ERR_SIM_LISTEN', message, { cause: err }));
    };
    server.once('error', fail);
    // Benchmarks open thousands of connections at once; node's default backlog of 511 drops some.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', fail);
      resolveListen();
    });
  });
}

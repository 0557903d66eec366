/**
 * A recording front for the simulator: a loopback server that passes every request on to the
 * simulator and notes, on its own clock, when each request arrived and when its answer left. A
 * test reads the wait between a throttled answer and the retry from here, on the server side,
 * where an SDK's loading time cannot hide in it. A `hold` hook decides when each request goes on
 * (the page gate in page-gate.ts holds page requests with it).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ExecutionContext } from 'ava';
import { ensureCa, issueServerCert } from '../../src/sim/ca.js';
import { SIM_CA_DIR } from './sim.js';

/** One request as it arrived: its path (with the query) and body. */
export interface FrontRequest {
  method: string;
  path: string;
  body: string;
}

/** One request through the front. */
export interface FrontExchange {
  method: string;
  path: string;
  /** performance.now() when the request arrived. */
  arrivedAt: number;
  /** The simulator's status. */
  status: number;
  /** performance.now() when the answer had been sent. */
  answeredAt: number;
}

export interface FrontOptions {
  /** @default 'http' */
  scheme?: 'http' | 'https';
  /**
   * Called for each request once its body is in: the request goes on to the simulator when
   * `release` is called, at once or later to hold it. `closed` resolves when its answer has left
   * (or the connection closed). Without it, every request goes on at once.
   */
  hold?(request: FrontRequest, release: () => void, closed: Promise<void>): void;
}

export interface Front {
  /** `http(s)://127.0.0.1:<port>`. */
  url: string;
  /** Exchanges so far, in arrival order (an exchange appears once answered). */
  exchanges(): FrontExchange[];
  /** Every request so far, in arrival order (answered or not). */
  requests(): FrontRequest[];
}

/**
 * Starts a front for `target` (the simulator's http or https URL). An https front uses a
 * certificate from the simulator's CA, which the test run trusts.
 */
export async function startFront(t: ExecutionContext, target: string, options: FrontOptions | 'http' | 'https' = {}): Promise<Front> {
  const { scheme = 'http', hold } = typeof options === 'string' ? { scheme: options } : options;
  const upstream = new URL(target);
  const exchanges: FrontExchange[] = [];
  const requests: FrontRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = { method: req.method ?? '', path: req.url ?? '', body: body.toString('utf8') };
      requests.push(request);
      const release = () => {
        // The Host header stays the front's: links the simulator builds (next pages), the audience
        // it expects in a token and the signatures it checks name the front, as a real endpoint.
        const options = { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers };
        const forward = upstream.protocol === 'https:' ? https.request(options) : http.request(options);
        forward.on('response', (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          res.on('finish', () =>
            exchanges.push({ method: request.method, path: request.path, arrivedAt, status: answer.statusCode ?? 0, answeredAt: performance.now() }),
          );
        });
        forward.on('error', () => res.destroy());
        forward.end(body);
      };
      if (!hold) return release();
      hold(request, release, new Promise<void>((resolve) => res.on('close', resolve)));
    });
  };
  let server: http.Server;
  if (scheme === 'https') {
    const cert = await issueServerCert(await ensureCa(SIM_CA_DIR));
    server = https.createServer({ cert: cert.cert, key: cert.key }, handler);
  } else {
    server = http.createServer(handler);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges: () => [...exchanges],
    requests: () => [...requests],
  };
}

/**
 * The server-side wait before the retry of the first throttled exchange: from the moment its
 * answer left to the arrival of the next request to the same path. Fails the test when there is none.
 */
export function retryWaitMs(t: ExecutionContext, front: Front, throttledStatus: number, pathPrefix = ''): number {
  const all = front.exchanges().filter((e) => e.path.startsWith(pathPrefix));
  const index = all.findIndex((e) => e.status === throttledStatus);
  const retry = index === -1 ? undefined : all.slice(index + 1).find((e) => e.path === all[index]!.path);
  if (index === -1 || !retry) {
    t.fail(`no throttled exchange (${throttledStatus}) followed by its retry: ${JSON.stringify(all.map((e) => `${e.status} ${e.path}`))}`);
    return Number.NaN;
  }
  return retry.arrivedAt - all[index]!.answeredAt;
}

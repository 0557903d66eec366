/**
 * A gate in front of the simulator that shows whether a list's pages are read concurrently: it
 * passes every request on, but holds the page requests it is told to watch (pages after the first)
 * until `hold` of them wait at once, then lets them all go and holds no more. A reader that asks
 * one page after another never gets past the gate (the call's timeout ends it); a concurrent one
 * does, and the gate reports the most page requests it saw in flight at once. Events, not wall time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';

export interface PageGateOptions {
  /** Whether a request is a watched page request (e.g. a list page after the first). */
  watch(method: string, path: string, body: string): boolean;
  /** How many watched requests must wait at once before the gate opens. */
  hold: number;
}

export interface PageGate {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The most watched requests in flight at once (arrived, not yet answered). */
  maxInFlight(): number;
  /** Whether `hold` watched requests waited at once and were let go. */
  opened(): boolean;
  /** Every request's path (and body, for a POST), in arrival order. */
  requests(): Array<{ method: string; path: string; body: string }>;
}

export async function startPageGate(t: ExecutionContext, target: string, options: PageGateOptions): Promise<PageGate> {
  const upstream = new URL(target);
  const requests: Array<{ method: string; path: string; body: string }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let open = false;
  const held: Array<() => void> = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method ?? '', path: req.url ?? '', body: body.toString('utf8') };
      requests.push(entry);
      const watched = options.watch(entry.method, entry.path, entry.body);
      const forward = () => {
        // The Host header stays the gate's, as the simulator's links and signatures expect.
        const upstreamRequest = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers });
        upstreamRequest.on('response', (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstreamRequest.on('error', () => res.destroy());
        upstreamRequest.end(body);
      };
      if (!watched) return forward();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      if (open) return forward();
      held.push(forward);
      if (held.length >= options.hold) {
        open = true;
        for (const release of held.splice(0)) release();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxInFlight: () => maxInFlight,
    opened: () => open,
    requests: () => [...requests],
  };
}

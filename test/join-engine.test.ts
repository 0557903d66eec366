/**
 * retryJoin with its default engine (no injected discovery): go-discover entries go through the
 * built-in providers over one HTTP client for the whole loop.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { retryJoin } from '../src/join/index.js';

test('one keep-alive connection serves every attempt of the loop', async (t) => {
  let requests = 0;
  let connections = 0;
  // A minimal Consul catalog: empty twice, then one server.
  const server = createServer((_req, res) => {
    requests++;
    const body = requests < 3 ? [] : [{ Node: 'srv-1', Address: '10.0.0.1', ServiceAddress: '', ServicePort: 4648, ServiceID: 'nomad-srv-1' }];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  const result = await retryJoin({
    entries: [`provider=consul service=nomad address=127.0.0.1:${port}`],
    retryInterval: '20ms',
    join: (addrs) => addrs.length,
  });
  t.deepEqual(result.addresses, ['10.0.0.1:4648']);
  t.is(result.attempts, 3);
  t.is(requests, 3);
  t.is(connections, 1);
});

import dc from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import test from 'ava';
import { probeTcp, reachable } from '../src/join/probe.js';
import { closedPort, startTcpListener } from './helpers/servers.js';

test("probes leave no listener on the join loop's signal, attempt after attempt", async (t) => {
  const open = `127.0.0.1:${(await startTcpListener(t)).port}`;
  const refused = `127.0.0.1:${await closedPort()}`;
  const signal = new AbortController().signal;
  for (let attempt = 0; attempt < 12; attempt++) {
    t.deepEqual(await reachable([open, refused], 1, 5_000, signal), [open]);
  }
  t.is(getEventListeners(signal, 'abort').length, 0);
});

test('an abort ends a probe at once, as ABORT_ERR', async (t) => {
  // Aborted before the connection's outcome (refused or not) can arrive: that takes a turn of the event loop.
  const controller = new AbortController();
  const pending = probeTcp('127.0.0.1:9', 60_000, controller.signal);
  controller.abort();
  t.is(await pending, 'ABORT_ERR');
  t.is(await probeTcp('127.0.0.1:9', 60_000, controller.signal), 'ABORT_ERR');
  t.is(getEventListeners(controller.signal, 'abort').length, 0);
});

test.serial('under the loopback guard a host that is not loopback is refused without a connection; loopback ones are probed', async (t) => {
  // Found first: finding a closed port opens a socket of its own.
  const refused = `127.0.0.1:${await closedPort()}`;
  const sockets: unknown[] = [];
  const onSocket = (socket: unknown) => sockets.push(socket);
  dc.subscribe('net.client.socket', onSocket);
  t.teardown(() => dc.unsubscribe('net.client.socket', onSocket));
  const signal = new AbortController().signal;
  const error = await t.throwsAsync(reachable(['10.3.0.11:4647', refused], 1, 5_000, signal, true));
  t.regex(
    error?.message ?? '',
    /^0 of 2 addresses accept TCP connections, 1 needed: 10\.3\.0\.11:4647 refused to connect to 10\.3\.0\.11: AUTOJOIN_LOOPBACK_ONLY is set, 127\.0\.0\.1:\d+ ECONNREFUSED$/,
  );
  t.is(sockets.length, 1, 'one socket: the loopback address only');
});

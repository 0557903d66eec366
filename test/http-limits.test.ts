/**
 * Every response is bounded: through `request`, and through the agents handed to SDKs. An endless
 * body used to push memory to 4.6 GB.
 */
import http from 'node:http';
import test from 'ava';
import { ResponseTooLargeError } from '../src/errors.js';
import { createHttpClient } from '../src/http/client.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../src/http/proxy.js';
import { startHttpServer } from './helpers/servers.js';

const MiB = 1024 * 1024;

/** Sends 64 KiB chunks for as long as the client reads. */
function endless(_req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunk = Buffer.alloc(65_536, 'a');
  res.writeHead(200, { 'content-type': 'application/json' });
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

test('an endless body through request() is refused at the default limit', async (t) => {
  const server = await startHttpServer(t, endless);
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  t.is(client.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES);
  const error = await t.throwsAsync(client.request(server.url), { instanceOf: ResponseTooLargeError, code: 'ERR_RESPONSE_TOO_LARGE' });
  t.is(error?.message, `response from ${server.url}/ is larger than ${DEFAULT_MAX_RESPONSE_BYTES} bytes; refused`);
});

test('a request may raise the limit for an API whose real pages are larger', async (t) => {
  const body = Buffer.alloc(1.5 * MiB, 'b');
  const server = await startHttpServer(t, (_req, res) => res.end(body));
  const client = createHttpClient({ maxResponseBytes: MiB });
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.request(server.url), { instanceOf: ResponseTooLargeError });
  const response = await client.request(server.url, { maxResponseBytes: 2 * MiB });
  t.is(response.body.length, body.length);
});

test('the agents handed to SDKs bound the response too', async (t) => {
  const server = await startHttpServer(t, endless);
  const client = createHttpClient({ maxResponseBytes: MiB });
  t.teardown(() => client.destroy());
  // What an SDK's handler does: http.request with our agent, reading the body its own way.
  const error = await new Promise<Error>((resolve, reject) => {
    const req = http.request(server.url, { agent: client.httpAgent }, (res) => {
      res.resume();
      res.on('end', () => reject(new Error('the endless body ended')));
      res.on('error', resolve);
    });
    req.on('error', resolve);
    req.end();
  });
  t.true(error instanceof ResponseTooLargeError, String(error));
});

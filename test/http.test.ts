import { execFile } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { waitUntil, within } from './helpers/wait.js';
import { AbortError, HttpStatusError, LoopbackOnlyError, MalformedResponseError, NetworkError, TimeoutError } from '../src/errors.js';
import { createHttpClient } from '../src/http/client.js';
import { isLoopbackHost } from '../src/address.js';
import { redactUrl } from '../src/http/redact.js';
import { startHttpServer, startHttpsServer, testCert } from './helpers/servers.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// ---- pure helpers ----

const redactions: Array<[string, string]> = [
  ['http://bob:hunter2@127.0.0.1:3128', 'http://127.0.0.1:3128/'],
  ['http://bob@proxy.example:3128/', 'http://proxy.example:3128/'],
  ['https://h.example/x?page=2', 'https://h.example/x?page=2'],
  ['https://h.example/x?api_key=abc&page=2', 'https://h.example/x?api_key=***&page=2'],
  ['https://h.example/?access_token=a&X-Amz-Signature=b&sig=c', 'https://h.example/?access_token=***&X-Amz-Signature=***&sig=***'],
  ['https://h.example/?client_secret=a&password=b&q=a%20b', 'https://h.example/?client_secret=***&password=***&q=a%20b'],
  ['https://u:p@[::1]:8443/p?Token=x#frag', 'https://[::1]:8443/p?Token=***#frag'],
  ['not a url but //user:pw@host', 'not a url but //host'],
  // A `/` or `#` in the password: the URL does not parse (or parses wrongly) before the last `@`.
  ['http://puser:SEC/X@127.0.0.1:3128', 'http://127.0.0.1:3128'],
  ['http://puser:SE/C RET@[127.0.0.1', 'http://[127.0.0.1'],
];
for (const [input, expected] of redactions) {
  test(`redactUrl(${JSON.stringify(input)})`, (t) => t.is(redactUrl(input), expected));
}

const loopbacks: Array<[string, boolean]> = [
  ['127.0.0.1', true],
  ['127.255.0.9', true],
  ['localhost', true],
  ['LOCALHOST', true],
  ['::1', true],
  ['[::1]', true],
  ['::ffff:127.0.0.1', true],
  ['0:0:0:0:0:0:0:1', true],
  ['10.1.2.3', false],
  ['169.254.169.254', false],
  ['128.0.0.1', false],
  ['::2', false],
  ['metadata.google.internal', false],
  ['localhost.example', false],
  ['', false],
];
for (const [host, expected] of loopbacks) {
  test(`isLoopbackHost(${JSON.stringify(host)}) is ${expected}`, (t) => t.is(isLoopbackHost(host), expected));
}

// ---- loopback guard (serial: they count every socket the process opens) ----

/** Counts client sockets created while `fn` runs, through Node's `net.client.socket` channel. */
async function socketsOpenedDuring(fn: () => Promise<void>): Promise<number> {
  let opened = 0;
  const onSocket = () => opened++;
  dc.subscribe('net.client.socket', onSocket);
  try {
    await fn();
  } finally {
    dc.unsubscribe('net.client.socket', onSocket);
  }
  return opened;
}

test('the guard is on in tests (AUTOJOIN_LOOPBACK_ONLY=1 from package.json)', (t) => {
  t.is(process.env.AUTOJOIN_LOOPBACK_ONLY, '1');
  t.true(createHttpClient().loopbackOnly);
  // A custom env cannot switch the process-wide guard off.
  t.true(createHttpClient({ env: {} }).loopbackOnly);
  t.false(createHttpClient({ loopbackOnly: false }).loopbackOnly);
});

for (const host of ['10.1.2.3', '169.254.169.254', '[fd00::1]', 'metadata.google.internal']) {
  test.serial(`request() refuses ${host} without opening a socket`, async (t) => {
    const client = createHttpClient({ loopbackOnly: true });
    const opened = await socketsOpenedDuring(async () => {
      await t.throwsAsync(client.request(`http://${host}/latest/meta-data/`), {
        instanceOf: LoopbackOnlyError,
        code: 'ERR_LOOPBACK_ONLY',
        message: `refused to connect to ${host}: AUTOJOIN_LOOPBACK_ONLY is set`,
      });
    });
    t.is(opened, 0);
  });
}

test.serial('the agents refuse 169.254.169.254 without opening a socket (SDK path)', async (t) => {
  const client = createHttpClient({ loopbackOnly: true });
  const opened = await socketsOpenedDuring(async () => {
    const err = await new Promise<Error>((resolve) => {
      http.get('http://169.254.169.254/latest/api/token', { agent: client.httpAgent }, () => resolve(new Error('answered'))).on('error', resolve);
    });
    t.true(err instanceof LoopbackOnlyError);
    t.is((err as LoopbackOnlyError).code, 'ERR_LOOPBACK_ONLY');
  });
  t.is(opened, 0);
});

test.serial('the socket counter does see a real connection (control)', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => res.end('ok'));
  const client = createHttpClient({ loopbackOnly: true });
  t.teardown(() => client.destroy());
  const opened = await socketsOpenedDuring(async () => {
    await client.request(`${srv.url}/`);
  });
  t.is(opened, 1);
});

// ---- requests ----

test('sends User-Agent autojoin/<version>, with the caller agent appended', async (t) => {
  const agents: Array<string | undefined> = [];
  const srv = await startHttpServer(t, (req, res) => {
    agents.push(req.headers['user-agent']);
    res.end();
  });
  const plain = createHttpClient();
  const named = createHttpClient({ userAgent: 'consul/1.20' });
  t.teardown(() => {
    plain.destroy();
    named.destroy();
  });
  t.is(plain.userAgent, `autojoin/${version}`);
  await plain.request(srv.url);
  await named.request(srv.url);
  await plain.request(srv.url, { headers: { 'User-Agent': 'aws-sdk-js/3' } });
  t.deepEqual(agents, [`autojoin/${version}`, `autojoin/${version} consul/1.20`, `autojoin/${version} aws-sdk-js/3`]);
});

test('json() parses the body; method, headers and body are sent', async (t) => {
  const srv = await startHttpServer(t, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, custom: req.headers['x-custom'], body }));
    });
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const res = await client.request(`${srv.url}/api`, { method: 'post', headers: { 'X-Custom': 'yes' }, body: 'a=1' });
  t.is(res.status, 200);
  t.deepEqual(res.json(), { method: 'POST', custom: 'yes', body: 'a=1' });
});

test('malformed JSON gives MalformedResponseError with a credential-free URL', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => res.end('{"instances": [1, 2'));
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const res = await client.request(`http://u:pw@127.0.0.1:${srv.port}/list?token=abc`);
  const err = t.throws(() => res.json(), { instanceOf: MalformedResponseError, code: 'ERR_MALFORMED_RESPONSE' });
  t.regex(err.message, new RegExp(`^malformed JSON in response from http://127\\.0\\.0\\.1:${srv.port}/list\\?token=\\*\\*\\*: `));
  t.notRegex(err.message, /pw|abc/);
});

test('HttpStatusError carries the status, body, headers and a credential-free URL', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => {
    res.writeHead(503, { 'retry-after': '2' });
    res.end('busy');
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const err = await t.throwsAsync(client.request(`http://admin:topsecret@127.0.0.1:${srv.port}/v1?api_key=k123&x=1`), {
    instanceOf: HttpStatusError,
    code: 'ERR_HTTP_STATUS',
    message: `HTTP 503 from http://127.0.0.1:${srv.port}/v1?api_key=***&x=1`,
  });
  t.is(err.status, 503);
  t.is(err.url, `http://127.0.0.1:${srv.port}/v1?api_key=***&x=1`);
  t.is(err.body, 'busy');
  t.is(err.headers['retry-after'], '2');
});

test("a network error's message names the cause after a long URL's path; its url keeps the whole URL", async (t) => {
  // A connection reset before any answer, as a load balancer drops one.
  const srv = await startHttpServer(t, (req) => req.socket.destroy());
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const filter = encodeURIComponent(JSON.stringify({ virtualGuests: { tagReferences: { tag: { name: { operation: 'x'.repeat(600) } } } } }));
  const url = `http://127.0.0.1:${srv.port}/rest/v3/SoftLayer_Account/getVirtualGuests.json?objectFilter=${filter}`;
  const err = await t.throwsAsync(client.request(url), { instanceOf: NetworkError, code: 'ERR_NETWORK' });
  t.is(err.message, `GET http://127.0.0.1:${srv.port}/rest/v3/SoftLayer_Account/getVirtualGuests.json?…: ECONNRESET: socket hang up`);
  t.is(err.url, url);
  // A short URL is shown whole.
  const short = await t.throwsAsync(client.request(`http://127.0.0.1:${srv.port}/v1?x=1`), { instanceOf: NetworkError });
  t.is(short.message, `GET http://127.0.0.1:${srv.port}/v1?x=1: ECONNRESET: socket hang up`);
});

test('okStatus widens what counts as success', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => {
    res.statusCode = 404;
    res.end('none');
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const res = await client.request(srv.url, { okStatus: (s) => s === 404 });
  t.is(res.status, 404);
  t.is(res.text(), 'none');
});

test('a server that never answers gives TimeoutError within the bound', async (t) => {
  const srv = await startHttpServer(t, () => {
    // Never answers.
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const started = performance.now();
  // The server never answers: only the client's 150 ms timer can end this (a hang fails as a timeout).
  const err = await within(
    t.throwsAsync(client.request(`${srv.url}/slow`, { timeoutMs: 150 }), {
      instanceOf: TimeoutError,
      code: 'ERR_TIMEOUT',
      message: `GET ${srv.url}/slow timed out after 150 ms`,
    }),
    'the request',
  );
  const elapsed = performance.now() - started;
  t.is(err?.timeoutMs, 150);
  // Timers never fire early; a busy machine only makes it later.
  t.true(elapsed >= 140, `took ${elapsed} ms`);
});

test('the timeout covers a body that stalls after the headers', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '10' });
    res.write('12345');
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.request(srv.url, { timeoutMs: 150 }), { instanceOf: TimeoutError });
});

test('abort mid-flight gives AbortError; an aborted signal never connects', async (t) => {
  const srv = await startHttpServer(t, () => {
    // Never answers.
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const controller = new AbortController();
  const pending = client.request(`${srv.url}/a`, { signal: controller.signal });
  while (srv.requests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: AbortError, code: 'ERR_ABORTED', message: `GET ${srv.url}/a was aborted` });

  const before = srv.connections();
  await t.throwsAsync(client.request(`${srv.url}/b`, { signal: AbortSignal.abort() }), { instanceOf: AbortError });
  t.is(srv.connections(), before);
  t.deepEqual(srv.requests(), ['GET /a']);
});

test('timeoutMs 0 arms no timer: only the signal ends the request', async (t) => {
  const srv = await startHttpServer(t, () => {
    // Never answers.
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  const controller = new AbortController();
  let settled = false;
  const pending = client.request(`${srv.url}/wait`, { timeoutMs: 0, signal: controller.signal }).finally(() => {
    settled = true;
  });
  // A 0 ms timer (what 0 meant before) ends it with a TimeoutError, at the server or before.
  await waitUntil(() => settled || srv.requests().length > 0, 'the request at the server');
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: AbortError, code: 'ERR_ABORTED', message: `GET ${srv.url}/wait was aborted` });
});

test('a body cut short of Content-Length gives NetworkError, never partial data', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 10);
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.request(srv.url), {
    instanceOf: NetworkError,
    code: 'ERR_NETWORK',
    message: `GET ${srv.url}/: connection closed before the full body arrived`,
  });
});

test('a chunked body cut before its last chunk gives NetworkError', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => {
    res.writeHead(200);
    res.write('chunk one');
    setTimeout(() => res.socket?.destroy(), 10);
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.request(srv.url), { instanceOf: NetworkError, message: /connection closed before the full body/ });
});

test('a refused connection gives NetworkError naming the URL without credentials', async (t) => {
  const client = createHttpClient();
  const err = await t.throwsAsync(client.request('http://user:pw@127.0.0.1:1/x?token=t'), {
    instanceOf: NetworkError,
    code: 'ERR_NETWORK',
    message: 'GET http://127.0.0.1:1/x?token=*** : connect ECONNREFUSED 127.0.0.1:1'.replace(' :', ':'),
  });
  t.is(err.url, 'http://127.0.0.1:1/x?token=***');
});

test.serial('a header Node refuses rejects at once and leaves no timer behind', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => res.end('never'));
  const client = createHttpClient();
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const timersBefore = timers();
  // Not after the 60 s timer: a wait that long fails as a timeout (bound: half of it).
  await within(
    t.throwsAsync(client.request(srv.url, { headers: { 'x-bad': 'a\r\nInjected: 1' }, timeoutMs: 60_000 }), { code: 'ERR_INVALID_CHAR' }),
    'the refusal',
  );
  t.is(timers(), timersBefore);
  t.is(srv.connections(), 0);
});

test('unsupported protocols are refused', async (t) => {
  const client = createHttpClient();
  await t.throwsAsync(client.request('ftp://127.0.0.1/file'), { instanceOf: NetworkError, message: /unsupported protocol ftp:/ });
});

test('keep-alive: sequential requests reuse one connection', async (t) => {
  const srv = await startHttpServer(t, (_req, res) => res.end('ok'));
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  for (let i = 0; i < 3; i++) await client.request(`${srv.url}/${i}`);
  t.is(srv.connections(), 1);
});

test('a status error leaves the keep-alive connection usable', async (t) => {
  let calls = 0;
  const srv = await startHttpServer(t, (_req, res) => {
    res.statusCode = calls++ === 0 ? 500 : 200;
    res.end('x');
  });
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.request(srv.url), { instanceOf: HttpStatusError });
  t.is((await client.request(srv.url)).status, 200);
  t.is(srv.connections(), 1);
});

test('https: trusted CA works; an untrusted certificate fails with a hint, never silently', async (t) => {
  const srv = await startHttpsServer(t, (_req, res) => res.end('tls ok'));
  const { cert } = await testCert();
  const trusting = createHttpClient({ ca: cert });
  const plain = createHttpClient();
  t.teardown(() => {
    trusting.destroy();
    plain.destroy();
  });
  t.is((await trusting.request(`${srv.url}/`)).text(), 'tls ok');
  t.is((await trusting.request(`https://localhost:${srv.port}/`)).text(), 'tls ok');
  await t.throwsAsync(plain.request(`${srv.url}/`), {
    instanceOf: NetworkError,
    message: /TLS verification failed \(DEPTH_ZERO_SELF_SIGNED_CERT: .*\); trust a private CA with NODE_EXTRA_CA_CERTS/,
  });
  t.deepEqual(srv.requests(), ['GET /', 'GET /']);
});

test('https: per-request tls options (ca, servername, rejectUnauthorized) apply to that request only', async (t) => {
  const srv = await startHttpsServer(t, (_req, res) => res.end('tls ok'));
  const { cert } = await testCert();
  const client = createHttpClient();
  t.teardown(() => client.destroy());
  t.is((await client.request(`${srv.url}/`, { tls: { ca: cert } })).text(), 'tls ok');
  t.is((await client.request(`${srv.url}/`, { tls: { ca: cert, servername: 'localhost' } })).text(), 'tls ok');
  await t.throwsAsync(client.request(`${srv.url}/`, { tls: { ca: cert, servername: 'other.example' } }), {
    instanceOf: NetworkError,
    // The caller chose the CA: no NODE_EXTRA_CA_CERTS hint.
    message: /TLS verification failed \(ERR_TLS_CERT_ALTNAME_INVALID: .*other\.example.*\)$/,
  });
  t.is((await client.request(`${srv.url}/`, { tls: { rejectUnauthorized: false } })).text(), 'tls ok');
  // A pooled connection made with other settings is not reused for a request without them.
  await t.throwsAsync(client.request(`${srv.url}/`), { instanceOf: NetworkError, message: /DEPTH_ZERO_SELF_SIGNED_CERT/ });
});

test('NODE_EXTRA_CA_CERTS is how a private CA is trusted (no ca option needed)', async (t) => {
  const srv = await startHttpsServer(t, (_req, res) => res.end('trusted via env'));
  const { cert } = await testCert();
  const dir = mkdtempSync(join(tmpdir(), 'autojoin-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, cert);
  const clientModule = new URL('../src/http/client.ts', import.meta.url).href;
  const script = `import { createHttpClient } from ${JSON.stringify(clientModule)};
    const res = await createHttpClient().request(${JSON.stringify(`${srv.url}/`)});
    process.stdout.write(res.text());`;
  const run = (extraCa: string | undefined) =>
    promisify(execFile)(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: extraCa },
      encoding: 'utf8',
    });
  const trusted = await run(caFile);
  t.is(trusted.stdout, 'trusted via env');
  const untrusted = await t.throwsAsync(run(undefined));
  t.regex(String((untrusted as Error & { stderr?: string }).stderr), /TLS verification failed/);
});

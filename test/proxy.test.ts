import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import test from 'ava';
import { within } from './helpers/wait.js';
import { AbortError, LoopbackOnlyError, NetworkError, ProxySettingError, TimeoutError } from '../src/errors.js';
import { createHttpClient } from '../src/http/client.js';
import { type Env, proxyForUrl } from '../src/http/proxy.js';
import { startHttpServer, startHttpsServer, testCert } from './helpers/servers.js';
import { startTinyproxy } from './helpers/tinyproxy.js';

// ---- proxy choice: the rules of proxy-from-env 2.1.0, over an explicit env ----

const P = 'http://127.0.0.1:3128';
const choices: Array<{ name: string; url: string; env: Env; expected: string | undefined }> = [
  { name: 'no variables: direct', url: 'http://10.0.0.1/', env: {}, expected: undefined },
  { name: 'HTTP_PROXY for http', url: 'http://10.0.0.1/', env: { HTTP_PROXY: P }, expected: P },
  { name: 'HTTP_PROXY not for https', url: 'https://10.0.0.1/', env: { HTTP_PROXY: P }, expected: undefined },
  { name: 'HTTPS_PROXY for https', url: 'https://10.0.0.1/', env: { HTTPS_PROXY: P }, expected: P },
  { name: 'ALL_PROXY as fallback', url: 'https://10.0.0.1/', env: { ALL_PROXY: P }, expected: P },
  {
    name: 'scheme proxy before ALL_PROXY',
    url: 'http://10.0.0.1/',
    env: { ALL_PROXY: 'http://127.0.0.9:1', HTTP_PROXY: P },
    expected: P,
  },
  {
    name: 'lower case wins over upper case',
    url: 'http://10.0.0.1/',
    env: { HTTP_PROXY: 'http://127.0.0.9:1', http_proxy: P },
    expected: P,
  },
  { name: 'empty lower case falls back to upper', url: 'http://10.0.0.1/', env: { http_proxy: '', HTTP_PROXY: P }, expected: P },
  { name: 'NO_PROXY exact host', url: 'http://localhost:8080/', env: { HTTP_PROXY: P, NO_PROXY: 'localhost' }, expected: undefined },
  { name: 'NO_PROXY exact host is not a suffix', url: 'http://a.example.com/', env: { HTTP_PROXY: P, NO_PROXY: 'example.com' }, expected: P },
  { name: 'NO_PROXY .suffix', url: 'http://a.example.com/', env: { HTTP_PROXY: P, NO_PROXY: '.example.com' }, expected: undefined },
  { name: 'NO_PROXY .suffix not the bare domain', url: 'http://example.com/', env: { HTTP_PROXY: P, NO_PROXY: '.example.com' }, expected: P },
  { name: 'NO_PROXY *.suffix', url: 'http://a.example.com/', env: { HTTP_PROXY: P, NO_PROXY: '*.example.com' }, expected: undefined },
  { name: 'NO_PROXY * alone', url: 'http://10.0.0.1/', env: { HTTP_PROXY: P, NO_PROXY: '*' }, expected: undefined },
  { name: 'NO_PROXY host:port matching', url: 'http://10.0.0.1:8080/', env: { HTTP_PROXY: P, NO_PROXY: '10.0.0.1:8080' }, expected: undefined },
  { name: 'NO_PROXY host:port other port', url: 'http://10.0.0.1:9090/', env: { HTTP_PROXY: P, NO_PROXY: '10.0.0.1:8080' }, expected: P },
  { name: 'NO_PROXY port uses the default port', url: 'https://10.0.0.1/', env: { HTTPS_PROXY: P, NO_PROXY: '10.0.0.1:443' }, expected: undefined },
  { name: 'NO_PROXY list with spaces', url: 'http://10.0.0.2/', env: { HTTP_PROXY: P, NO_PROXY: '10.0.0.1, 10.0.0.2' }, expected: undefined },
  { name: 'NO_PROXY is case-insensitive', url: 'http://Host.Example/', env: { HTTP_PROXY: P, NO_PROXY: 'HOST.example' }, expected: undefined },
  { name: 'lower-case no_proxy', url: 'http://localhost/', env: { HTTP_PROXY: P, no_proxy: 'localhost' }, expected: undefined },
  { name: 'NO_PROXY IPv6 keeps brackets', url: 'http://[::1]:80/', env: { HTTP_PROXY: P, NO_PROXY: '[::1]' }, expected: undefined },
  { name: 'NO_PROXY has no CIDR', url: 'http://10.0.0.1/', env: { HTTP_PROXY: P, NO_PROXY: '10.0.0.0/8' }, expected: P },
  {
    name: 'metadata endpoint excluded by IP',
    url: 'http://169.254.169.254/latest',
    env: { HTTP_PROXY: P, NO_PROXY: '169.254.169.254,metadata.google.internal' },
    expected: undefined,
  },
];

for (const c of choices) {
  test(`proxyForUrl: ${c.name}`, (t) => t.is(proxyForUrl(c.url, c.env), c.expected));
}

// Our one departure from proxy-from-env (which would say https://127.0.0.1:3128): Go and curl
// read a scheme-less proxy as http://, and TLS to a plain proxy is what nobody means.
test('proxyForUrl: a proxy without scheme is http://, even for https targets', (t) => {
  t.is(proxyForUrl('https://10.0.0.1/', { HTTPS_PROXY: '127.0.0.1:3128' }), 'http://127.0.0.1:3128');
  t.is(proxyForUrl('http://10.0.0.1/', { HTTP_PROXY: 'proxy.corp:3128' }), 'http://proxy.corp:3128');
});

test('proxyForUrl agrees with proxy-from-env itself on every case', (t) => {
  // proxy-from-env reads only process.env, so it runs in a child process that sets each case's env.
  const script = `
    import { getProxyForUrl } from 'proxy-from-env';
    const cases = JSON.parse(process.argv[1]);
    const out = cases.map((c) => {
      for (const k of Object.keys(process.env)) if (/_proxy$/i.test(k)) delete process.env[k];
      Object.assign(process.env, c.env);
      return getProxyForUrl(c.url) || null;
    });
    process.stdout.write(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(choices)], {
    cwd: process.cwd(),
    encoding: 'utf8',
  });
  const theirs = JSON.parse(stdout) as Array<string | null>;
  t.deepEqual(
    choices.map((c) => proxyForUrl(c.url, c.env) ?? null),
    theirs,
  );
});

test('client.proxyFor reads the env option, not process.env', (t) => {
  const client = createHttpClient({ env: { HTTPS_PROXY: P } });
  t.is(client.proxyFor('https://127.0.0.1:1/'), P);
  t.is(client.proxyFor('http://127.0.0.1:1/'), undefined);
});

// ---- through a real tinyproxy ----

test('an http target goes through the proxy (tinyproxy logs the CONNECT)', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpServer(t, (_req, res) => res.end('via proxy'));
  const client = createHttpClient({ env: { HTTP_PROXY: proxy.url } });
  t.teardown(() => client.destroy());
  const res = await client.request(`${target.url}/x`);
  t.is(res.text(), 'via proxy');
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);
});

test('an https target goes through the proxy with TLS verified end to end', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpsServer(t, (_req, res) => res.end('secure via proxy'));
  const { cert } = await testCert();
  const client = createHttpClient({ env: { HTTPS_PROXY: proxy.url }, ca: cert });
  t.teardown(() => client.destroy());
  t.is((await client.request(`${target.url}/`)).text(), 'secure via proxy');
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);

  // Without the CA the same tunnel fails verification: nothing turns it off.
  const untrusting = createHttpClient({ env: { HTTPS_PROXY: proxy.url } });
  t.teardown(() => untrusting.destroy());
  await t.throwsAsync(untrusting.request(`${target.url}/`), { instanceOf: NetworkError, message: /TLS verification failed/ });
});

test('a scheme-less HTTPS_PROXY reaches a plain proxy (http://, as Go and curl read it)', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpsServer(t, (_req, res) => res.end('through'));
  const { cert } = await testCert();
  const client = createHttpClient({ env: { HTTPS_PROXY: `127.0.0.1:${proxy.port}` }, ca: cert });
  t.teardown(() => client.destroy());
  t.is((await client.request(`${target.url}/`)).text(), 'through');
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);
});

test('an https:// proxy that speaks plain HTTP gives an error that says so', async (t) => {
  // What squid and most proxies do with a TLS ClientHello: answer 400 in clear text.
  const plainProxy = net.createServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  });
  await new Promise<void>((resolve) => plainProxy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => plainProxy.close());
  const { port } = plainProxy.address() as net.AddressInfo;
  const target = await startHttpsServer(t, (_req, res) => res.end('never'));
  const client = createHttpClient({ env: { HTTPS_PROXY: `https://localhost:${port}` } });
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.request(`${target.url}/`), {
    instanceOf: NetworkError,
    message: new RegExp(
      `^GET ${target.url}/ via proxy https://localhost:${port}/: the proxy did not speak TLS: it answers in plain HTTP; if it is a plain HTTP proxy, write its URL as http://localhost:${port}$`,
    ),
  });
  t.is(target.connections(), 0);
});

test('keep-alive: two requests share one tunnel', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpServer(t, (_req, res) => res.end('ok'));
  const client = createHttpClient({ env: { HTTP_PROXY: proxy.url } });
  t.teardown(() => client.destroy());
  await client.request(`${target.url}/1`);
  await client.request(`${target.url}/2`);
  t.deepEqual(target.requests(), ['GET /1', 'GET /2']);
  t.is(target.connections(), 1);
  t.is(proxy.requests().length, 1);
});

test('the proxy variables are read once, when the client is made, not at each request', async (t) => {
  const target = await startHttpServer(t, (_req, res) => res.end('ok'));
  const variables: Env = { NO_PROXY: '127.0.0.1', no_proxy: '', HTTPS_PROXY: 'http://127.0.0.1:9' };
  let reads = 0;
  const env = new Proxy(variables, {
    get(object, name) {
      if (typeof name === 'string' && /_proxy$/i.test(name)) reads++;
      return Reflect.get(object, name);
    },
  });
  const client = createHttpClient({ env });
  t.teardown(() => client.destroy());
  const atCreation = reads;
  for (let i = 0; i < 20; i++) t.is((await client.request(`${target.url}/`)).text(), 'ok');
  t.is(client.proxyFor('https://10.0.0.1/'), 'http://127.0.0.1:9');
  t.is(reads, atCreation, 'no proxy variable read after the client was made');
});

test('NO_PROXY hosts bypass the proxy: localhost direct, 127.0.0.1 proxied', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpServer(t, (_req, res) => res.end('ok'));
  const client = createHttpClient({ env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' } });
  t.teardown(() => client.destroy());
  await client.request(`http://localhost:${target.port}/direct`);
  t.deepEqual(proxy.requests(), []);
  await client.request(`http://127.0.0.1:${target.port}/proxied`);
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);
  t.deepEqual(target.requests(), ['GET /direct', 'GET /proxied']);
});

test('the agents alone (as an SDK uses them) choose the proxy per request', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpServer(t, (_req, res) => res.end('sdk'));
  const client = createHttpClient({ env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' } });
  t.teardown(() => client.destroy());
  const get = (url: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get(url, { agent: client.httpAgent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  t.is(await get(`http://127.0.0.1:${target.port}/a`), 'sdk');
  t.is(await get(`http://localhost:${target.port}/b`), 'sdk');
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);
});

test('proxy credentials in the URL work and never appear in errors', async (t) => {
  const proxy = await startTinyproxy(t, { basicAuth: { user: 'proxyuser', password: 's3cr3tpw' } });
  const target = await startHttpServer(t, (_req, res) => res.end('authorised'));
  const withAuth = `http://proxyuser:s3cr3tpw@127.0.0.1:${proxy.port}`;
  const client = createHttpClient({ env: { HTTP_PROXY: withAuth } });
  t.teardown(() => client.destroy());
  t.is((await client.request(`${target.url}/`)).text(), 'authorised');
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);

  const wrong = createHttpClient({ env: { HTTP_PROXY: `http://proxyuser:wrongpw@127.0.0.1:${proxy.port}` } });
  t.teardown(() => wrong.destroy());
  const err = await t.throwsAsync(wrong.request(`${target.url}/`), { instanceOf: NetworkError, code: 'ERR_NETWORK' });
  // tinyproxy answers 401 where RFC 9110 says 407; either gets the hint.
  t.is(err.message, `GET ${target.url}/ via proxy http://127.0.0.1:${proxy.port}/: proxy refused the tunnel with HTTP 401 (check the proxy credentials)`);
  t.notRegex(`${err.message} ${err.url} ${err.stack}`, /wrongpw|proxyuser/);
  t.deepEqual(target.requests(), ['GET /']);
});

test('an unreachable proxy gives a NetworkError naming it without credentials', async (t) => {
  const target = await startHttpServer(t, (_req, res) => res.end('never'));
  // Port 1 on loopback: nothing listens there.
  const client = createHttpClient({ env: { HTTP_PROXY: 'http://bob:hunter2@127.0.0.1:1' } });
  t.teardown(() => client.destroy());
  const err = await t.throwsAsync(client.request(`${target.url}/`), {
    instanceOf: NetworkError,
    code: 'ERR_NETWORK',
    message: `GET ${target.url}/ via proxy http://127.0.0.1:1/: connect ECONNREFUSED 127.0.0.1:1`,
  });
  t.notRegex(`${err.message} ${err.url}`, /bob|hunter2/);
  t.is(target.connections(), 0);
});

test('loopback guard: a non-loopback proxy is refused before connecting', async (t) => {
  const target = await startHttpServer(t, (_req, res) => res.end('never'));
  const client = createHttpClient({ env: { HTTP_PROXY: 'http://bob:hunter2@10.9.9.9:3128' } });
  t.teardown(() => client.destroy());
  const err = await t.throwsAsync(client.request(`${target.url}/`), {
    instanceOf: LoopbackOnlyError,
    message: 'refused to connect to proxy http://10.9.9.9:3128/: AUTOJOIN_LOOPBACK_ONLY is set',
  });
  t.notRegex(err.message, /hunter2/);
  t.is(target.connections(), 0);
});

test('the timeout covers a proxy that accepts but never answers the CONNECT', async (t) => {
  const held: net.Socket[] = [];
  const blackHole = net.createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of held) socket.destroy();
    blackHole.close();
  });
  const { port } = blackHole.address() as net.AddressInfo;
  // On a busy machine the 150 ms timer can fire before this process runs the accept callback;
  // the connection is in the kernel's queue by then, so wait for the event rather than count now.
  const reached = new Promise<void>((resolve) => blackHole.once('connection', () => resolve()));
  const target = await startHttpServer(t, (_req, res) => res.end('never'));
  const client = createHttpClient({ env: { HTTP_PROXY: `http://u:pw@127.0.0.1:${port}` } });
  t.teardown(() => client.destroy());
  // The proxy never answers: only the 150 ms timer can end this (a hang fails as a timeout).
  await within(
    t.throwsAsync(client.request(`${target.url}/`, { timeoutMs: 150 }), {
      instanceOf: TimeoutError,
      message: `GET ${target.url}/ via proxy http://127.0.0.1:${port}/ timed out after 150 ms`,
    }),
    'the request',
  );
  await within(reached, 'the connection to the proxy');
  t.is(held.length, 1);
  t.is(target.connections(), 0);
});

test('abort while the proxy tunnel is up gives AbortError', async (t) => {
  const proxy = await startTinyproxy(t);
  const target = await startHttpServer(t, () => {
    // Never answers.
  });
  const client = createHttpClient({ env: { HTTP_PROXY: proxy.url } });
  t.teardown(() => client.destroy());
  const controller = new AbortController();
  const pending = client.request(`${target.url}/slow`, { signal: controller.signal });
  while (target.requests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: AbortError, code: 'ERR_ABORTED' });
});

test('a proxy in a scheme no agent speaks, or malformed, fails clearly as a setting error, without credentials, before connecting', async (t) => {
  const target = await startHttpServer(t, (_req, res) => res.end('never'));
  const socks = createHttpClient({ env: { ALL_PROXY: 'quic://bob:hunter2@127.0.0.1:1080' } });
  await t.throwsAsync(socks.request(`${target.url}/`), {
    instanceOf: ProxySettingError,
    message:
      'unsupported proxy quic://127.0.0.1:1080 (from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY): only http://, https://, socks://, socks5://, socks5h://, socks4:// and socks4a:// proxies are supported',
  });
  const malformed = createHttpClient({ env: { HTTP_PROXY: 'http://bob:hunter2@[127.0.0.1' } });
  const err = await t.throwsAsync(malformed.request(`${target.url}/`), {
    instanceOf: ProxySettingError,
    message: /^invalid proxy URL http:\/\/\[127\.0\.0\.1 \(from HTTP_PROXY/,
  });
  t.notRegex(err.message, /hunter2/);
  // A `/` in the password stops the URL parsing before the `@`: the password must not be shown either.
  for (const setting of ['http://puser:SEC/RETpw@127.0.0.1:3128', 'http://puser:SEC/RETpw@[127.0.0.1']) {
    const slash = createHttpClient({ env: { HTTP_PROXY: setting } });
    const slashError = await t.throwsAsync(slash.request(`${target.url}/`), { instanceOf: ProxySettingError });
    t.notRegex(slashError?.message ?? '', /SEC|RETpw|puser/, setting);
  }
  // The SDK path reports the same error through the request's 'error' event.
  const viaAgent = await new Promise<Error>((resolve) => {
    http.get(`${target.url}/`, { agent: socks.httpAgent }, () => resolve(new Error('answered'))).on('error', resolve);
  });
  t.true(viaAgent instanceof ProxySettingError);
  t.regex(viaAgent.message, /unsupported proxy quic:/);
  t.is(target.connections(), 0);
});

// ---- the real SDKs, wired the way docs/proxy.md says ----

test('AWS SDK: NodeHttpHandler with our agents goes through the proxy', async (t) => {
  const { EC2Client, DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const proxy = await startTinyproxy(t);
  const target = await startHttpServer(t, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><reservationSet/></DescribeInstancesResponse>',
      );
    });
  });
  const client = createHttpClient({ env: { HTTP_PROXY: proxy.url } });
  t.teardown(() => client.destroy());
  const ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint: target.url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: client.httpAgent, httpsAgent: client.httpsAgent }),
  });
  t.teardown(() => ec2.destroy());
  const out = await ec2.send(new DescribeInstancesCommand({}));
  t.deepEqual(out.Reservations ?? [], []);
  t.deepEqual(target.requests(), ['POST /']);
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);
});

test('Azure SDK: the `agent` option takes our proxy choice (its own proxyPolicy steps aside)', async (t) => {
  const { ComputeManagementClient } = await import('@azure/arm-compute');
  const proxy = await startTinyproxy(t);
  const target = await startHttpsServer(t, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ value: [{ name: 'vm-a', id: '/subscriptions/sub-1/vm-a', location: 'westeurope' }] }));
    req.resume();
  });
  const { cert } = await testCert();
  const client = createHttpClient({ env: { HTTPS_PROXY: proxy.url }, ca: cert });
  t.teardown(() => client.destroy());
  const credential = {
    getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const compute = new ComputeManagementClient(credential, 'sub-1', {
    endpoint: target.url,
    agent: client.httpsAgent,
    retryOptions: { maxRetries: 0 },
  });
  const names: Array<string | undefined> = [];
  for await (const vm of compute.virtualMachines.listAll()) names.push(vm.name);
  t.deepEqual(names, ['vm-a']);
  t.is(target.requests().length, 1);
  t.deepEqual(proxy.requests(), [`CONNECT 127.0.0.1:${target.port}`]);
});

test('SDK path: the loopback guard refuses a non-loopback endpoint before any socket', async (t) => {
  const { EC2Client, DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const client = createHttpClient({ loopbackOnly: true });
  const ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint: 'http://10.1.2.3',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: client.httpAgent, httpsAgent: client.httpsAgent }),
  });
  t.teardown(() => ec2.destroy());
  await t.throwsAsync(ec2.send(new DescribeInstancesCommand({})), {
    instanceOf: LoopbackOnlyError,
    message: 'refused to connect to 10.1.2.3: AUTOJOIN_LOOPBACK_ONLY is set',
  });
});

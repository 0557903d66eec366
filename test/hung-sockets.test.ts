/**
 * A call to a hung server (it accepts the connection and never answers) leaves no socket open
 * once the call has failed: the call's own agents die with it. Counted on the server side, and
 * waited for by the sockets' 'close' events, never by wall time. Without the fix the sockets
 * stayed open 60-75 s (the SDKs' idle and request timeouts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import aws from '../providers/aws/index.js';
import azure from '../providers/azure/index.js';
import consul from '../providers/consul/index.js';
import gce from '../providers/gce/index.js';
import { Discover } from '../src/discover.js';
import { AbortError, TimeoutError } from '../src/errors.js';
import { azureTokenSim, gceTokenSim } from './helpers/token-sims.js';

// The SDKs load before any test starts (seconds each on a busy machine).
await Promise.all([
  import('../providers/gce/client.js'),
  import('../providers/gce/auth.js'),
  import('../providers/azure/client.js'),
  import('../providers/azure/credential.js'),
  import('../providers/aws/client.js'),
]);

/** How long the sockets may take to close after the call failed: generous, and reported as a timeout. */
const CLOSE_LIMIT_MS = 20_000;

interface HungServer {
  port: number;
  /** Resolves at the first accepted connection. */
  connected: Promise<void>;
  /** Connections accepted so far. */
  accepted(): number;
  /** Resolves when every accepted socket has closed; rejects with a timeout message past `limitMs`. */
  allClosed(limitMs: number): Promise<void>;
}

/** A TCP server that accepts and never answers (nor completes a TLS handshake). */
async function hungServer(t: ExecutionContext): Promise<HungServer> {
  const open = new Set<net.Socket>();
  let accepted = 0;
  let onFirst!: () => void;
  const connected = new Promise<void>((resolve) => {
    onFirst = resolve;
  });
  let onEmpty: (() => void) | undefined;
  const server = net.createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('error', () => {});
    // Reads (and drops) what the client sends: a paused socket would never see the client's FIN.
    socket.resume();
    socket.on('close', () => {
      open.delete(socket);
      if (open.size === 0) onEmpty?.();
    });
    onFirst();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of open) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connected,
    accepted: () => accepted,
    allClosed: (limitMs) =>
      new Promise<void>((resolve, reject) => {
        if (open.size === 0) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`timeout: ${open.size} of ${accepted} server-side sockets still open ${limitMs} ms after the call failed`)),
          limitMs,
        );
        onEmpty = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
  };
}

/**
 * Runs `config` against the hung server until it fails, by an abort once the server has a
 * connection, or by the call's own timeout; then waits for every server-side socket to close.
 */
async function failAndCount(
  t: ExecutionContext,
  engine: Discover,
  config: string,
  env: Record<string, string>,
  hung: HungServer,
  how: 'abort' | 'timeout' = 'abort',
): Promise<void> {
  if (how === 'abort') {
    const controller = new AbortController();
    void hung.connected.then(() => controller.abort());
    // The call's own bound is far off: the abort, not a timeout, ends it.
    await t.throwsAsync(engine.addrs(config, { env, signal: controller.signal, timeout: '10m' }), { instanceOf: AbortError });
  } else {
    // The hung server is the call's first request and the SDK is loaded: it has its connection
    // long before this bound, even on a busy machine. 12 s, not a multiple of a request's own bound
    // (gce's metadata calls: 5 s each, retried): at 10 s the second attempt's timer and the call's
    // fell due in the same millisecond when the backoff drew ~0, and the attempt's error could win.
    await t.throwsAsync(engine.addrs(config, { env, timeout: '12s' }), { instanceOf: TimeoutError });
  }
  t.true(hung.accepted() >= 1, 'the call reached the hung server');
  await hung.allClosed(CLOSE_LIMIT_MS);
  t.pass('every server-side socket closed');
}

test('gce: a compute call to a hung server leaves no socket open after an abort', async (t) => {
  const token = await gceTokenSim(t);
  const hung = await hungServer(t);
  const engine = new Discover({ builtins: false, providers: [gce] });
  await failAndCount(t, engine, `${token.args} endpoint=http://127.0.0.1:${hung.port} tag_value=consul`, token.env, hung);
});

test('azure: an ARM call to a hung server leaves no socket open after an abort', async (t) => {
  const token = await azureTokenSim(t);
  const hung = await hungServer(t);
  const engine = new Discover({ builtins: false, providers: [azure] });
  await failAndCount(t, engine, `${token.args} endpoint=https://127.0.0.1:${hung.port} tag_name=a tag_value=b`, token.env, hung);
});

const AZURE_TOKEN_CONFIG =
  'provider=azure tenant_id=aaaaaaaa-0000-0000-0000-000000000001 client_id=bbbbbbbb-0000-0000-0000-000000000002 secret_access_key=x subscription_id=cccccccc-0000-0000-0000-000000000003 tag_name=a tag_value=b';

for (const how of ['abort', 'timeout'] as const) {
  test(`azure: a token call to a hung identity server leaves no socket open after ${how === 'abort' ? 'an abort' : 'the timeout'}`, async (t) => {
    const hung = await hungServer(t);
    const engine = new Discover({ builtins: false, providers: [azure] });
    await failAndCount(t, engine, AZURE_TOKEN_CONFIG, { AZURE_AUTHORITY_HOST: `https://127.0.0.1:${hung.port}`, AUTOJOIN_LOOPBACK_ONLY: '1' }, hung, how);
  });

  test(`gce: a metadata call to a hung server leaves no socket open after ${how === 'abort' ? 'an abort' : 'the timeout'}`, async (t) => {
    const hung = await hungServer(t);
    const engine = new Discover({ builtins: false, providers: [gce] });
    const home = mkdtempSync(join(tmpdir(), 'autojoin-hung-gce-'));
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    const env = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: home, GCE_METADATA_HOST: `127.0.0.1:${hung.port}` };
    await failAndCount(t, engine, 'provider=gce endpoint=http://127.0.0.1:1 tag_value=consul', env, hung, how);
  });
}

test('consul: a call to a hung agent leaves no socket open after an abort', async (t) => {
  const hung = await hungServer(t);
  const engine = new Discover({ builtins: false, providers: [consul] });
  await failAndCount(t, engine, `provider=consul service=nomad address=127.0.0.1:${hung.port}`, { AUTOJOIN_LOOPBACK_ONLY: '1' }, hung);
});

test('aws: a call to a hung EC2 endpoint leaves no socket open after an abort', async (t) => {
  const hung = await hungServer(t);
  const engine = new Discover({ builtins: false, providers: [aws] });
  const config = `provider=aws region=eu-west-1 tag_key=role tag_value=nomad access_key_id=AKIDEXAMPLE secret_access_key=sim-secret endpoint=http://127.0.0.1:${hung.port}`;
  await failAndCount(t, engine, config, { AUTOJOIN_LOOPBACK_ONLY: '1', AWS_EC2_METADATA_DISABLED: 'true' }, hung);
});

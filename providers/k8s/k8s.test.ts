/**
 * provider=k8s: go-discover's PodAddrs cases and the Go integer syntax as tables, kubeconfig and
 * in-cluster loading from real files, then the provider through the engine against the
 * simulator's API server over HTTPS: selectors, namespace, host network, annotation ports,
 * every chunk, every fault, auth refusal, client certificates (a real mutual-TLS server),
 * exec plugins, tinyproxy, and secrets kept out of every output.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createSocksServer } from '@pondwader/socks5-server';
import test, { type ExecutionContext } from 'ava';
import { fromKubeconfig, inCluster, KubeConfigError, kubeconfigPaths, resolveConnection } from './config.js';
import { malformedPodList, type Pod, type PodList, parseGoInt32, podTargets } from './extract.js';
import k8s from './index.js';
import { labelsMatch, parseLabelSelector } from '../../src/kit/index.js';
import k8sSim, { API_NAME, kubeconfigPath, parseFieldSelector, podObject, simKubeconfig } from './sim.js';
import type { PodInstance } from './sim-fleet.js';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError, ProxyError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Logger } from '../../src/log.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import type { SimModule } from '../../src/sim/types.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeOf, typeDifferences } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';
import * as faults from '../../test/helpers/provider-faults.js';

const engine = new Discover({ builtins: false, providers: [k8s] });
const TOKEN = 'k8s-sim-sa-token-0001';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
const neverAbort = new AbortController().signal;

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-k8s-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------- pure: go-discover's TestPodAddrs

function pod(
  name: string,
  over: {
    phase?: string;
    ready?: string | null;
    podIP?: string;
    hostIP?: string;
    annotation?: string;
    ports?: Array<{ name?: string; containerPort?: number; hostPort?: number }>;
  } = {},
): Pod {
  return {
    metadata: { name, namespace: 'default', annotations: over.annotation ? { 'consul.hashicorp.com/auto-join-port': over.annotation } : {} },
    spec: { containers: [{ ports: over.ports ?? [] }] },
    status: {
      phase: over.phase ?? 'Running',
      conditions: over.ready === null ? [{ type: 'PodScheduled', status: 'True' }] : [{ type: 'Ready', status: over.ready ?? 'True' }],
      podIP: over.podIP ?? '1.2.3.4',
      hostIP: over.hostIP ?? '2.3.4.5',
    },
  };
}
const addrOf = (pods: Pod[], host = false) => podTargets(pods, host).targets.map((x) => (x.port === undefined ? x.address : `${x.address}:${x.port}`));

test('PodAddrs (upstream cases): plain, host network, only Running, Ready or no Ready condition', (t) => {
  t.deepEqual(addrOf([pod('a')]), ['1.2.3.4']);
  t.deepEqual(addrOf([pod('a')], true), ['2.3.4.5']);
  t.deepEqual(addrOf([pod('a', { phase: 'Pending' }), pod('b', { podIP: '1.1.1.1' })]), ['1.1.1.1']);
  const cases = [
    pod('ready', { podIP: '10.0.0.1' }),
    pod('not-ready', { ready: 'False', podIP: '10.0.0.2' }),
    pod('scheduled', { ready: null, podIP: '10.0.0.3' }),
  ];
  t.deepEqual(
    podTargets(cases, false).targets.map((x) => x.name),
    ['ready', 'scheduled'],
  );
});

test('PodAddrs (upstream cases): named port, named host port, numeric port', (t) => {
  const ports = [{ name: 'my-port', containerPort: 8500, hostPort: 80 }];
  t.deepEqual(addrOf([pod('a', { annotation: 'my-port', ports })]), ['1.2.3.4:8500']);
  t.deepEqual(addrOf([pod('a', { annotation: 'my-port', ports })], true), ['2.3.4.5:80']);
  t.deepEqual(addrOf([pod('a', { annotation: '4600' })]), ['1.2.3.4:4600']);
  t.deepEqual(addrOf([pod('a', { annotation: '4600' })], true), ['2.3.4.5:4600']);
});

test('PodAddrs: every skip has its reason; an unparsable port skips the pod', (t) => {
  const { skipped } = podTargets(
    [
      pod('p', { phase: 'Pending' }),
      pod('n', { ready: 'False' }),
      pod('x', { podIP: '' }),
      pod('q', { annotation: 'serf', ports: [{ name: 'serf', containerPort: 8301 }] }),
    ],
    true,
  );
  t.deepEqual(skipped, [
    { pod: 'default/p', reason: 'phase is Pending, not Running' },
    { pod: 'default/n', reason: 'Ready condition is False' },
    { pod: 'default/q', reason: 'annotation consul.hashicorp.com/auto-join-port="serf" names no port' },
  ]);
  t.deepEqual(podTargets([pod('x', { podIP: '' })], false).skipped, [{ pod: 'default/x', reason: 'no pod IP yet' }]);
});

const intCases: Array<[string, number | undefined]> = [
  ['8301', 8301],
  ['0x206d', 8301],
  ['0o20155', 8301],
  ['020155', 8301],
  ['0b10', 2],
  ['0x_206d', 8301],
  ['8_301', undefined],
  ['', undefined],
  ['serf', undefined],
  ['99999999999', undefined],
  ['-1', -1],
  ['08', undefined],
];
for (const [text, expect] of intCases) {
  test(`parseGoInt32(${JSON.stringify(text)}) = ${expect}`, (t) => {
    t.is(parseGoInt32(text), expect);
  });
}

test('malformedPodList', (t) => {
  t.is(malformedPodList(fixture('podlist-chunk.json')), undefined);
  t.is(malformedPodList(fixture('status-expired.json')), 'the response is a Status, not a PodList');
  t.is(malformedPodList({ items: {} }), 'the response has no "items" array');
});

test('the recorded chunk passes the extractor', (t) => {
  t.deepEqual(addrOf((fixture('podlist-chunk.json') as PodList).items), ['10.244.1.17:8301']);
});

test('simulator selectors: equality, set-based, existence; unsupported field refused', (t) => {
  const labels = { app: 'consul', tier: 'server' };
  const all = (text: string) => labelsMatch(parseLabelSelector(text), labels);
  t.true(all('app=consul,tier in (server, client)'));
  t.true(all('app==consul,!missing,tier'));
  t.false(all('app!=consul'));
  t.false(all('tier notin (server)'));
  t.throws(() => parseLabelSelector('app=consul,=x'), { message: /unable to parse requirement/ });
  const object = podObject({ id: 'p', cloud: 'k8s', name: 'p', node_name: 'n1', private_ipv4: '10.0.0.1' });
  t.true(parseFieldSelector('spec.nodeName=n1,status.phase=Running').every((r) => r(object)));
  t.false(parseFieldSelector('metadata.name!=p').every((r) => r(object)));
  t.throws(() => parseFieldSelector('spec.foo=1'), { message: 'field label not supported: spec.foo' });
});

// ---------------------------------------------------------------- configuration from files

test('kubeconfigPaths: the argument, else KUBECONFIG (a list), else ~/.kube/config', (t) => {
  t.deepEqual(kubeconfigPaths('/a', { KUBECONFIG: '/b', HOME: '/h' }).paths, ['/a']);
  t.deepEqual(kubeconfigPaths(undefined, { KUBECONFIG: '/b::/c', HOME: '/h' }).paths, ['/b', '/c']);
  t.deepEqual(kubeconfigPaths(undefined, { HOME: '/h' }).paths, ['/h/.kube/config']);
});

test('kubeconfig: current context, CA file relative to the file, token; tokenFile; client cert data; basic; merged list first-wins', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'ca.pem'), 'CA-PEM');
  writeFileSync(path.join(dir, 'tok'), 'from-file\n');
  const doc = (user: string) => `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: { server: "https://10.0.0.1:6443/", certificate-authority: ca.pem, tls-server-name: api.internal }
contexts:
- name: c
  context: { cluster: k, user: u, namespace: ignored }
users:
- name: u
  user: ${user}
`;
  const file = path.join(dir, 'config');
  writeFileSync(file, doc('{ token: abc }'));
  const c1 = await fromKubeconfig([file], neverAbort);
  t.is(c1.server, 'https://10.0.0.1:6443');
  t.is(c1.ca?.toString(), 'CA-PEM');
  t.is(c1.servername, 'api.internal');
  t.is(c1.token, 'abc');
  t.is(c1.source, `kubeconfig ${file} (context c)`);
  writeFileSync(file, doc('{ tokenFile: tok }'));
  t.is((await fromKubeconfig([file], neverAbort)).token, 'from-file');
  writeFileSync(file, doc(`{ client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')} }`));
  const c3 = await fromKubeconfig([file], neverAbort);
  t.is(c3.cert?.toString(), 'CERT');
  t.is(c3.key?.toString(), 'KEY');
  writeFileSync(file, doc(`{ client-certificate-data: ${Buffer.from('CERT').toString('base64')} }`));
  await t.throwsAsync(fromKubeconfig([file], neverAbort), { instanceOf: KubeConfigError, message: /needs its key/ });
  writeFileSync(file, doc('{ username: admin, password: pw }'));
  t.deepEqual((await fromKubeconfig([file], neverAbort)).basic, { username: 'admin', password: 'pw' });
  writeFileSync(file, doc('{ auth-provider: { name: gcp } }'));
  await t.throwsAsync(fromKubeconfig([file], neverAbort), { message: /auth-provider plugins were removed/ });
  // A second file adds nothing the first already names; a missing file of a list is skipped.
  writeFileSync(file, doc('{ token: first }'));
  const other = path.join(dir, 'other');
  writeFileSync(other, doc('{ token: second }').replace('current-context: c', 'current-context: x'));
  t.is((await fromKubeconfig([path.join(dir, 'missing'), file, other], neverAbort)).token, 'first');
});

test('kubeconfig exec plugin: ExecCredential token, KUBERNETES_EXEC_INFO given, env passed', async (t) => {
  const dir = tempDir(t);
  const plugin = path.join(dir, 'plugin.sh');
  writeFileSync(
    plugin,
    '#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info.json"\nprintf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\' "$TOKEN_FROM_ENV"\n',
  );
  chmodSync(plugin, 0o755);
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    `current-context: c
clusters: [{ name: k, cluster: { server: "https://127.0.0.1:1" } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
users: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, interactiveMode: Never, provideClusterInfo: true, env: [{ name: TOKEN_FROM_ENV, value: exec-token }] } } }]
`,
  );
  t.is((await fromKubeconfig([file], neverAbort)).token, 'exec-token');
  const info = JSON.parse(readFileSync(path.join(dir, 'info.json'), 'utf8'));
  t.deepEqual(info, {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false, cluster: { server: 'https://127.0.0.1:1' } },
  });
});

test('in-cluster: both variables, the token (re-read each time) and the CA; an IPv6 host is bracketed', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'token'), 'sa-token-1\n');
  writeFileSync(path.join(dir, 'ca.crt'), 'CA');
  const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443', AUTOJOIN_K8S_SERVICEACCOUNT_DIR: dir };
  const c = await inCluster(env);
  t.is(c.server, 'https://[fd00::1]:443');
  t.is(c.token, 'sa-token-1');
  writeFileSync(path.join(dir, 'token'), 'sa-token-2');
  t.is((await inCluster(env)).token, 'sa-token-2');
  await t.throwsAsync(inCluster({ KUBERNETES_SERVICE_HOST: 'h' }), { message: /must both be set/ });
});

test('no kubeconfig and not in a cluster: both reasons, as go-discover', async (t) => {
  const dir = tempDir(t);
  await t.throwsAsync(resolveConnection(undefined, { HOME: dir }, neverAbort), {
    instanceOf: KubeConfigError,
    message: `error loading kubeconfig: cannot read kubeconfig ${dir}/.kube/config: ENOENT; error loading in-cluster config: not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set`,
  });
});

// ---------------------------------------------------------------- against the simulator

function p(i: number, over: Partial<PodInstance> = {}): PodInstance {
  return {
    id: `consul-${i}`,
    cloud: 'k8s',
    name: `consul-${String(i).padStart(2, '0')}`,
    namespace: 'consul',
    tags: { app: 'consul', component: 'server' },
    private_ipv4: `10.6.0.${i}`,
    host_ip: `192.0.2.${i}`,
    node_name: `node-${i % 3}`,
    annotations: { 'consul.hashicorp.com/auto-join-port': 'serflan' },
    container_ports: [{ name: 'serflan', container_port: 8301, host_port: 18301 }],
    ...over,
  };
}

/** 7 server pods in `consul` (one Pending, one not Ready, one with no Ready condition), 2 clients, 2 in `default`. */
function fleet(pageSize?: number): Fleet {
  const instances: PodInstance[] = [1, 2, 3, 4, 5, 6, 7].map((i) => p(i));
  instances[1] = p(2, { state: 'pending' });
  instances[2] = p(3, { ready_condition: false });
  instances[3] = p(4, { ready_condition: 'none' });
  instances.push(p(8, { tags: { app: 'consul', component: 'client' } }), p(9, { tags: { app: 'consul', component: 'client' }, annotations: {} }));
  instances.push(p(10, { namespace: 'default' }), p(11, { namespace: 'default', tags: { app: 'web' } }));
  return { credentials: { k8s: { token: TOKEN } }, instances, ...(pageSize ? { page_size: { [API_NAME]: pageSize } } : {}) };
}
const SERVERS = ['10.6.0.1:8301', '10.6.0.4:8301', '10.6.0.5:8301', '10.6.0.6:8301', '10.6.0.7:8301'];

function collect(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (line: string) => lines.push(line);
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

const addrs = faults.engineLookup(engine, { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: '/nonexistent' });
const cfg = (sim: RunningSim, extra = '') =>
  `provider=k8s kubeconfig=${kubeconfigPath(sim.ctx)} namespace=consul label_selector="app=consul,component=server"${extra ? ` ${extra}` : ''}`;

/** The sim module with its requests' query strings recorded. */
function recording(): { queries: URLSearchParams[]; module: SimModule } {
  const queries: URLSearchParams[] = [];
  const module = {
    ...k8sSim,
    apis: k8sSim.apis.map((api) => ({
      ...api,
      handle(req: Parameters<typeof api.handle>[0], ctx: Parameters<typeof api.handle>[1]) {
        queries.push(new URLSearchParams(req.url.search));
        return api.handle(req, ctx);
      },
    })),
  };
  return { queries, module };
}

test('every chunk (server cap 2), limit=500 asked, continue passed on; Running and Ready pods with the named port; skips logged', async (t) => {
  const { queries, module } = recording();
  const sim = await startTestSim(t, fleet(2), [module]);
  const log = collect();
  t.deepEqual(await addrs(cfg(sim), { logger: log.logger }), SERVERS);
  t.is(queries.length, 4);
  t.is(queries[0]?.get('limit'), '500');
  t.is(queries[0]?.get('labelSelector'), 'app=consul,component=server');
  t.is(queries[0]?.get('continue'), null);
  t.truthy(queries[3]?.get('continue'));
  t.true(log.lines.includes('discover-k8s: skipped pod consul/consul-02: phase is Pending, not Running'), log.lines.join('\n'));
  t.true(log.lines.includes('discover-k8s: skipped pod consul/consul-03: Ready condition is False'), log.lines.join('\n'));
  t.true(
    log.lines.some((l) => l.startsWith('discover-k8s: using the kubeconfig ')),
    log.lines.join('\n'),
  );
});

test('host_network=true: host IPs with the host port; field_selector; namespace default; no annotation: bare IP', async (t) => {
  const sim = await startTestSim(t, fleet(), [k8sSim]);
  t.deepEqual(await addrs(cfg(sim, 'host_network=true')), ['192.0.2.1:18301', '192.0.2.4:18301', '192.0.2.5:18301', '192.0.2.6:18301', '192.0.2.7:18301']);
  t.deepEqual(await addrs(cfg(sim, 'field_selector="spec.nodeName=node-1"')), ['10.6.0.1:8301', '10.6.0.4:8301', '10.6.0.7:8301']);
  t.deepEqual(await addrs(`provider=k8s kubeconfig=${kubeconfigPath(sim.ctx)} label_selector="app=consul"`), ['10.6.0.10:8301']);
  t.deepEqual(await addrs(`provider=k8s kubeconfig=${kubeconfigPath(sim.ctx)} namespace=consul label_selector="component in (client)"`), [
    '10.6.0.8:8301',
    '10.6.0.9',
  ]);
});

test('KUBECONFIG and ~/.kube/config are read when the argument is absent', async (t) => {
  const sim = await startTestSim(t, fleet(), [k8sSim]);
  const home = tempDir(t);
  execFileSync('mkdir', ['-p', path.join(home, '.kube')]);
  writeFileSync(path.join(home, '.kube', 'config'), readFileSync(kubeconfigPath(sim.ctx)));
  const config = 'provider=k8s namespace=consul label_selector="app=consul,component=server"';
  t.deepEqual(await addrs(config, { env: { KUBECONFIG: `${path.join(home, 'missing')}:${kubeconfigPath(sim.ctx)}` } }), SERVERS);
  t.deepEqual(await addrs(config, { env: { HOME: home } }), SERVERS);
});

test('in-cluster: service-account token and CA, KUBERNETES_SERVICE_HOST/PORT', async (t) => {
  const sim = await startTestSim(t, fleet(), [k8sSim]);
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'token'), TOKEN);
  writeFileSync(path.join(dir, 'ca.crt'), readFileSync(sim.caPath));
  const url = new URL(sim.httpsUrl);
  const env = { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, AUTOJOIN_K8S_SERVICEACCOUNT_DIR: dir };
  const log = collect();
  t.deepEqual(await addrs('provider=k8s namespace=consul label_selector="app=consul,component=server"', { env, logger: log.logger }), SERVERS);
  t.true(
    log.lines.some((l) => l.startsWith('discover-k8s: using the in-cluster service account')),
    log.lines.join('\n'),
  );
});

/** The sim (started by the caller) and the lookup of `config` against it, for the shared fault scenarios. */
const faulty = (sim: RunningSim, config = cfg(sim)): faults.FaultTarget => ({ sim, api: API_NAME, lookup: (options) => addrs(config, options) });

test('a wrong token: 401 Unauthorized Status, one attempt, the error names the source but never the token', async (t) => {
  const sim = await startTestSim(t, fleet(), [k8sSim]);
  const dir = tempDir(t);
  const wrong = 'k8s-wrong-secret-token';
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, readFileSync(kubeconfigPath(sim.ctx), 'utf8').replace(JSON.stringify(TOKEN), JSON.stringify(wrong)));
  await faults.checkCredentialRefused(t, faulty(sim, `provider=k8s kubeconfig=${file}`), [wrong], {
    instanceOf: ProviderError,
    message: /^discover-k8s: ListPods failed: 401 Unauthorized: Unauthorized \(check the credentials of the kubeconfig /,
  });
});

test('plain http to the API server is refused as a real one refuses it', async (t) => {
  const sim = await startTestSim(t, fleet(), [k8sSim]);
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const res = await http.request(`${sim.httpUrl}/api/v1/namespaces/consul/pods`, { headers: { authorization: `Bearer ${TOKEN}` }, okStatus: () => true });
  t.is(res.status, 400);
  t.is(res.text(), 'Client sent an HTTP request to an HTTPS server.\n');
});

test('faults: throttle (429, Retry-After 1) once then success; 500 once; 503 always; auth_reject; reset; truncated; malformed; latency', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3), [k8sSim]));
  await faults.checkFaultRecovers(t, target, { error: 'throttle', error_count: 1 }, { found: SERVERS, attempts: 4, waitsMs: 950 });
  await faults.checkFaultRecovers(t, target, { error: 'server', error_count: 1 }, { found: SERVERS, attempts: 4 });
  const unavailable = 'discover-k8s: ListPods failed: 503 ServiceUnavailable: the server is currently unable to handle the request';
  await faults.checkFaultFails(t, target, { error: 'unavailable' }, { instanceOf: ProviderError, message: unavailable, attempts: 4 });
  await faults.checkFaultFails(t, target, { auth_reject: true }, { instanceOf: ProviderError, message: /401 Unauthorized/, attempts: 1 });
  await faults.checkResetAndTruncated(t, target, 'discover-k8s: ListPods failed: ');
  await faults.checkFaultFails(t, target, { malformed: true }, { instanceOf: MalformedResponseError, attempts: 1 });
  await faults.checkTimeoutAndAbort(t, target, { provider: 'k8s', latencyMs: 10_000, timeoutMs: 500 });
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', attempts: 2 };
  await faults.checkFaultFails(t, target, { error: 'throttle' }, throttled, { maxAttempts: 2 });
});

test.serial('a rate limit (token bucket) throttles later chunks; every chunk still read', async (t) => {
  const target = faulty(await startTestSim(t, fleet(1), [k8sSim]));
  await faults.checkRateLimit(t, target, { rps: 5, burst: 2, found: SERVERS, throttledPast: 7 });
});

test('an expired continue token (410 Expired) restarts the list: the same pods, none twice', async (t) => {
  let expiredOnce = false;
  const module: SimModule = {
    ...k8sSim,
    apis: k8sSim.apis.map((api) => ({
      ...api,
      handle(req, ctx) {
        if (req.url.searchParams.get('continue') && !expiredOnce) {
          expiredOnce = true;
          return {
            status: 410,
            headers: { 'content-type': 'application/json' },
            body: readFileSync(new URL('./fixtures/status-expired.json', import.meta.url)),
          };
        }
        return api.handle(req, ctx);
      },
    })),
  };
  const sim = await startTestSim(t, fleet(2), [module]);
  t.deepEqual(await addrs(cfg(sim)), SERVERS);
  t.true(expiredOnce);
});

test('a pod that appears later is found once it exists', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [k8sSim]));
  await faults.checkAppearsLater(t, target, p(30), { before: SERVERS, after: [...SERVERS, '10.6.0.30:8301'] });
});

test('HTTPS_PROXY carries the calls (CONNECT in the tinyproxy log); NO_PROXY bypasses it', async (t) => {
  await faults.checkProxy(t, faulty(await startTestSim(t, fleet(3), [k8sSim])), { found: SERVERS, secrets: [TOKEN], https: true });
});

/** The simulator's kubeconfig with a `proxy-url` on its cluster, in a file of the test's own. */
function withProxyUrl(t: ExecutionContext, sim: RunningSim, proxyUrl: string): string {
  const file = path.join(tempDir(t), 'kubeconfig');
  writeFileSync(file, simKubeconfig(sim.ctx).replace(`    server: ${sim.ctx.httpsUrl}\n`, `    server: ${sim.ctx.httpsUrl}\n    proxy-url: ${proxyUrl}\n`));
  return `provider=k8s kubeconfig=${file} namespace=consul label_selector="app=consul,component=server"`;
}

test("a cluster's proxy-url carries its calls, instead of HTTPS_PROXY and NO_PROXY (client-go's rule)", async (t) => {
  const sim = await startTestSim(t, fleet(3), [k8sSim]);
  const proxy = await startTinyproxy(t);
  const other = await startTinyproxy(t);
  const port = new URL(sim.httpsUrl).port;
  const config = withProxyUrl(t, sim, proxy.url);
  const { logger, lines } = collect();
  // NO_PROXY names the API server and HTTPS_PROXY names another proxy: proxy-url wins over both.
  t.deepEqual(await addrs(config, { env: { HTTPS_PROXY: other.url, NO_PROXY: '127.0.0.1' }, logger }), SERVERS);
  t.true(proxy.requests().includes(`CONNECT 127.0.0.1:${port}`), proxy.requests().join('\n'));
  t.deepEqual(other.requests(), []);
  t.true(
    lines.some((line) => line.endsWith(`via its proxy-url ${proxy.url}/`)),
    lines.join('\n'),
  );
});

test('proxy-url credentials reach the proxy and never the output; a refused tunnel is a typed error without them', async (t) => {
  const sim = await startTestSim(t, fleet(3), [k8sSim]);
  const proxy = await startTinyproxy(t, { basicAuth: { user: 'kube', password: 'proxy-secret-77' } });
  const port = new URL(sim.httpsUrl).port;
  const good = `http://kube:proxy-secret-77@127.0.0.1:${proxy.port}`;
  const { logger, lines } = collect();
  t.deepEqual(await addrs(withProxyUrl(t, sim, good), { logger }), SERVERS);
  t.true(proxy.requests().includes(`CONNECT 127.0.0.1:${port}`), proxy.requests().join('\n'));
  t.false(lines.join('\n').includes('proxy-secret-77'));
  const bad = `http://kube:wrong-secret-88@127.0.0.1:${proxy.port}`;
  const error = await t.throwsAsync(addrs(withProxyUrl(t, sim, bad), { maxAttempts: 1 }), {
    instanceOf: ProxyError,
    code: 'ERR_PROXY',
    message: /proxy http:\/\/127\.0\.0\.1:\d+\/ refused the tunnel: HTTP 40[17] \(check the proxy credentials\)/,
  });
  t.false(JSON.stringify({ m: error?.message, s: error?.stack }).includes('wrong-secret-88'));
});

test('a socks5:// proxy-url carries the calls through a real SOCKS5 server (host name handed to it), credentials hidden', async (t) => {
  const sim = await startTestSim(t, fleet(3), [k8sSim]);
  const seen: string[] = [];
  const socks = createSocksServer({ auth: { username: 'kube', password: 'socks-secret-55' } });
  socks.setRulesetValidator((conn) => {
    seen.push(`${conn.destAddress}:${conn.destPort}`);
    return true;
  });
  // The server does not expose its address: listen on a port just found free.
  const socksPort = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  await new Promise<void>((resolve) => socks.listen(socksPort, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => socks.close(() => resolve())));
  const port = new URL(sim.httpsUrl).port;
  const { logger, lines } = collect();
  const config = withProxyUrl(t, sim, `socks5://kube:socks-secret-55@127.0.0.1:${socksPort}`);
  t.deepEqual(await addrs(config, { logger, env: { HTTPS_PROXY: 'http://127.0.0.1:9' } }), SERVERS);
  t.true(seen.includes(`127.0.0.1:${port}`), seen.join(', '));
  t.true(
    lines.some((line) => line.endsWith(`via its proxy-url socks5h://127.0.0.1:${socksPort}`)),
    lines.join('\n'),
  );
  t.false(lines.join('\n').includes('socks-secret-55'));
});

const proxySchemes: Array<[string, RegExp]> = [
  [
    'socks4://127.0.0.1:1080',
    /proxy-url socks4:\/\/127\.0\.0\.1:1080: socks4 proxies are not supported \(kubectl and client-go take http:\/\/, https:\/\/ and socks5:\/\/\)/,
  ],
  ['ftp://u:ftp-secret@127.0.0.1:21', /proxy-url ftp:\/\/127\.0\.0\.1\/: ftp proxies are not supported/],
  ['not a url', /proxy-url not a url is not a URL/],
];
for (const [value, message] of proxySchemes) {
  test(`proxy-url ${value.replace(/\/\/.*@/, '//')}: refused by name before any request, credentials hidden`, async (t) => {
    const sim = await startTestSim(t, fleet(3), [k8sSim]);
    const error = await t.throwsAsync(addrs(withProxyUrl(t, sim, JSON.stringify(value))), { instanceOf: ProviderError, message });
    t.false((error?.message ?? '').includes('ftp-secret'));
    t.deepEqual(sim.counts(), {});
  });
}

test('client certificates: a mutual-TLS API server accepts the kubeconfig cert and key, refuses without them', async (t) => {
  const dir = tempDir(t);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=test-ca',
    '-days',
    '2',
  );
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'system:node:reader', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
  const read = (name: string) => readFileSync(path.join(dir, name));
  const server = https.createServer(
    { key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const cn = (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: {},
          items: [podObject({ id: 'x', cloud: 'k8s', name: String(cn), private_ipv4: '10.9.9.9' })],
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = (user: string) => `current-context: c
clusters: [{ name: k, cluster: { server: "https://127.0.0.1:${port}", certificate-authority: ca.pem } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
users: [{ name: u, user: ${user} }]
`;
  writeFileSync(path.join(dir, 'files'), kubeconfig('{ client-certificate: client.pem, client-key: client.key }'));
  const targets = await engine.discover(`provider=k8s kubeconfig=${path.join(dir, 'files')}`, { env: { AUTOJOIN_LOOPBACK_ONLY: '1' }, timeout: 30_000 });
  t.deepEqual(
    targets.map((x) => [x.address, x.name]),
    [['10.9.9.9', 'system:node:reader']],
  );
  writeFileSync(
    path.join(dir, 'data'),
    kubeconfig(`{ client-certificate-data: ${read('client.pem').toString('base64')}, client-key-data: ${read('client.key').toString('base64')} }`),
  );
  t.deepEqual(await addrs(`provider=k8s kubeconfig=${path.join(dir, 'data')}`), ['10.9.9.9']);
  writeFileSync(path.join(dir, 'none'), kubeconfig('{ token: nothing }'));
  await t.throwsAsync(addrs(`provider=k8s kubeconfig=${path.join(dir, 'none')}`, { env: {} }), { instanceOf: ProviderError });
});

test('host_network must be a Go bool: a config error naming it', async (t) => {
  await t.throwsAsync(addrs('provider=k8s host_network=yes'), { instanceOf: ProviderArgsError, message: /host_network/ });
});

const POD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.annotations',
  'spec.nodeName',
  'spec.containers.ports.name',
  'spec.containers.ports.containerPort',
  'status.phase',
  'status.conditions.type',
  'status.conditions.status',
  'status.podIP',
  'status.hostIP',
];

test("the simulator serves the recorded chunk's shape and the real Status bodies", async (t) => {
  const sim = await startTestSim(t, fleet(2), [k8sSim]);
  const http = createHttpClient({ env: {}, ca: readFileSync(sim.caPath) });
  t.teardown(() => http.destroy());
  const get = (query: string, token = TOKEN) =>
    http.request(`${sim.httpsUrl}/api/v1/namespaces/consul/pods?${query}`, { headers: { authorization: `Bearer ${token}` }, okStatus: () => true });
  const list = (await get('limit=2')).json<PodList & { apiVersion: string; metadata: Record<string, unknown> }>();
  const recorded = fixture('podlist-chunk.json') as PodList & { metadata: Record<string, unknown> };
  t.deepEqual(Object.keys(list).sort(), Object.keys(recorded).sort());
  t.deepEqual(Object.keys(list.metadata).sort(), Object.keys(recorded.metadata).sort());
  t.deepEqual(typeDifferences(shapeOf(list.items[0]), shapeOf(recorded.items[0]), POD_PATHS), []);
  // With a selector the server leaves remainingItemCount out.
  t.false('remainingItemCount' in (await get('limit=2&labelSelector=app%3Dconsul')).json<{ metadata: object }>().metadata);
  const bad = await get('labelSelector=spec.foo%3D%3D%3D1');
  t.is(bad.status, 400);
  const refused = await get('', 'nope');
  t.is(refused.status, 401);
  t.deepEqual(refused.json(), fixture('status-unauthorized.json'));
});

test('discover check, addrs --format json and a failing addrs never print the token (CLI process)', async (t) => {
  const sim = await startTestSim(t, fleet(), [k8sSim]);
  const wrong = path.join(tempDir(t), 'kubeconfig');
  writeFileSync(wrong, readFileSync(kubeconfigPath(sim.ctx), 'utf8').replace(JSON.stringify(TOKEN), JSON.stringify(`${TOKEN}x`)));
  await faults.checkCliHidesSecrets(t, (argv) => runDiscover(argv, { env: { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: '/nonexistent' } }), {
    checkJson: { args: [cfg(sim)] },
    addrs: { args: [cfg(sim)], addresses: SERVERS },
    refused: { args: [`provider=k8s kubeconfig=${wrong} namespace=consul`], says: /401 Unauthorized/ },
    secrets: [TOKEN],
  });
});

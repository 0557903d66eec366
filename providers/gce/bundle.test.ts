/**
 * The gce bundle's cuts (scripts/bundle-providers.mjs, docs/performance.md): the built CLI,
 * running the provider from dist/bundles/gce, finds what the installed SDK finds unbundled,
 * over several pages and both listing paths, without loading Node's undici or google-auth-library's
 * index; and the build refuses a google-gax whose fallback.js it no longer understands.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { AGGREGATED_FIELDS, LIST_FIELDS, ZONE_FIELDS } from './fields.js';
import gceSim from './sim.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { SimApi, SimModule } from '../../src/sim/types.js';
import { ROOT, runDiscover } from '../../test/helpers/cli.js';
import { startTestSim } from '../../test/helpers/sim.js';

const PROJECT = 'bundle-proj';

/**
 * 6 servers over three zones, 2 a page (every listing takes several pages); each address type
 * on some of them, so every masked field travels through the bundle's descriptor.
 */
function fleet(): Fleet {
  const zones = ['us-west1-a', 'us-west1-b', 'europe-west1-c'];
  const instances: FleetInstance[] = Array.from({ length: 6 }, (_, i) => ({
    id: `server-${i}`,
    cloud: 'gce',
    zone: zones[i % 3]!,
    labels: { role: 'server' },
    network_tags: i % 2 ? ['consul'] : ['consul', 'web'],
    private_ipv4: `10.128.0.${i}`,
    ...(i < 4 ? { public_ipv4: `34.1.0.${i}`, private_ipv6: `fd20::1${i}`, public_ipv6: `2600:1900::1${i}` } : {}),
  }));
  return {
    credentials: { gce: { project: PROJECT, client_email: `discovery@${PROJECT}.iam.gserviceaccount.com` } },
    instances,
    page_size: { 'gce-compute': 2 },
  };
}

/** The gce sim, or one whose compute API refuses every field mask (400) like an older server. */
function simModule(refuseMasks: boolean): SimModule {
  if (!refuseMasks) return gceSim;
  const refusal = { error: { code: 400, message: 'Invalid field selection', errors: [{ reason: 'invalidParameter' }] } };
  const apis = gceSim.apis.map(
    (api): SimApi =>
      api.name !== 'gce-compute'
        ? api
        : {
            ...api,
            handle: (req, ctx) =>
              req.headers['x-goog-fieldmask']
                ? { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify(refusal) }
                : api.handle(req, ctx),
          },
  );
  return { ...gceSim, apis };
}

interface Loaded {
  /** Whether Node's undici (behind the Headers, FormData, Request... globals) was loaded. */
  undici: boolean;
  /** Files of google-auth-library and gcp-metadata that Node's own `require` loaded. */
  authFiles: string[];
}

/** A --require file that reports, at exit, what the process loaded; and where it writes that. */
function probe(t: ExecutionContext): { file: string; report: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-gce-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'probe.cjs');
  const report = path.join(dir, 'loaded.json');
  writeFileSync(
    file,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
      undici: process.moduleLoadList.some((name) => name.includes('undici')),
      authFiles: Object.keys(require.cache).filter((name) => /[\\\\/](google-auth-library|gcp-metadata)[\\\\/]/.test(name)),
    })));`,
  );
  return { file, report };
}

async function lookup(t: ExecutionContext, config: string, env: Record<string, string>): Promise<{ addrs: string; loaded: Loaded }> {
  const { file, report } = probe(t);
  const cache = mkdtempSync(path.join(tmpdir(), 'autojoin-gce-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const result = await runDiscover(['-q', 'addrs', config], { env: { ...env, XDG_CACHE_HOME: cache, NODE_OPTIONS: `--require ${file}` } });
  t.is(result.code, 0, result.stderr);
  return { addrs: result.stdout.trim(), loaded: JSON.parse(readFileSync(report, 'utf8')) as Loaded };
}

const CASES = [
  { name: 'aggregated listing, private_v4 by label', args: '', refuseMasks: false, expected: [0, 1, 2, 3, 4, 5].map((i) => `10.128.0.${i}`) },
  {
    name: 'zones, then each zone, public_v4 by tag',
    args: ' tag_value=web addr_type=public_v4 zone_pattern=us-west1-.*',
    refuseMasks: false,
    expected: ['34.1.0.0'],
  },
  {
    name: 'private_v6, the server refusing the field mask (whole resources)',
    args: ' addr_type=private_v6',
    refuseMasks: true,
    expected: ['fd20::10', 'fd20::11', 'fd20::12', 'fd20::13'],
  },
  {
    name: 'public_v6 by tag, the server refusing the field mask',
    args: ' tag_value=web addr_type=public_v6',
    refuseMasks: true,
    expected: ['2600:1900::10', '2600:1900::12'],
  },
];

for (const c of CASES) {
  test(`${c.name}: the bundle finds what the unbundled SDK finds, loading neither undici nor google-auth-library's index`, async (t) => {
    const module = simModule(c.refuseMasks);
    const sim = await startTestSim(t, fleet(), [module]);
    const paste = module.paste?.(sim.ctx);
    if (!paste) return t.fail('the simulator offers no gce config');
    const config = paste.config + c.args;
    const env = { ...paste.env, NODE_EXTRA_CA_CERTS: sim.caPath };

    const unbundled = await lookup(t, config, { ...env, AUTOJOIN_BUNDLES: '0' });
    t.deepEqual(unbundled.addrs.split(' ').sort(), c.expected);
    // The probe sees what it should: the installed SDK touches the globals and loads the whole library.
    t.true(unbundled.loaded.undici);
    t.true(unbundled.loaded.authFiles.some((file) => file.endsWith(path.join('google-auth-library', 'build', 'src', 'index.js'))));

    const bundled = await lookup(t, config, env);
    t.is(bundled.addrs, unbundled.addrs);
    t.false(bundled.loaded.undici, 'the bundle touched a global that loads undici');
    t.deepEqual(bundled.loaded.authFiles, []);
  });
}

test('the gce bundle holds the three auth clients the provider uses, not GoogleAuth, the external-account clients, gcp-metadata or code that never runs', (t) => {
  const dir = path.join(ROOT, 'dist/bundles/gce');
  const text = readdirSync(dir)
    .map((file) => readFileSync(path.join(dir, file), 'utf8'))
    .join('\n');
  for (const kept of ['auth/jwtclient.js', 'auth/oauth2client.js', 'auth/refreshclient.js'])
    t.true(text.includes(`node_modules/google-auth-library/build/src/${kept}`), kept);
  // The descriptor holds what the field masks select: no Instance field the provider does not read.
  t.false(text.includes('advancedMachineFeatures'));
  for (const dropped of [
    'google-auth-library/build/src/index.js',
    'google-auth-library/build/src/auth/googleauth.js',
    'google-auth-library/build/src/auth/baseexternalclient.js',
    'gcp-metadata/',
    // Run only by getters of gax's fallback.js the provider never reads.
    'google-gax/build/protos/iam_service.js',
    'google-gax/build/protos/operations.js',
    // Loaded from the installed gax on first use (GAX_LAZY_REQUIRES), with what only they reach.
    'google-gax/build/src/operationsClient.js',
    'google-gax/build/src/longRunningCalls/longrunning.js',
    'google-gax/build/src/streamingCalls/streaming.js',
    'google-gax/build/src/bundlingCalls/bundleExecutor.js',
    'google-gax/build/src/iamService.js',
    'readable-stream/',
    'duplexify/',
    'google-gax/build/protos/locations.js',
    // fetch-blob's streams for a Node before 16.5.
    'web-streams-polyfill/',
  ]) {
    // esbuild names each module by its path in quotes: `"node_modules/x/y.js"(exports, module) {`.
    t.false(text.includes(`"node_modules/${dropped}${dropped.endsWith('/') ? '' : '"'}`), dropped);
  }
});

test('the build refuses a google-gax fallback.js that no longer has the shape its rewrite expects', async (t) => {
  // A variable specifier: the script is plain JavaScript, without type declarations.
  const script = '../../scripts/bundle-providers.mjs';
  const { lazyGaxFallbackSource } = (await import(script)) as { lazyGaxFallbackSource: (text: string) => string };
  const source = readFileSync(path.join(ROOT, 'node_modules/google-gax/build/src/fallback.js'), 'utf8');
  const rewritten = lazyGaxFallbackSource(source);
  t.false(rewritten.includes('require("google-auth-library");'));
  t.regex(rewritten, /get GoogleAuth\(\)/);
  for (const name of ['operationsProtos', 'IamProtos', 'LocationProtos']) {
    t.true(
      rewritten.includes(`Object.defineProperty(exports, "${name}", { enumerable: true, get: () => __importStar(require("google-gax").${name}) });`),
      name,
    );
  }

  const usesMore = source.replace('new google_auth_library_1.GoogleAuth(', 'google_auth_library_1.gcpMetadata; new google_auth_library_1.GoogleAuth(');
  t.throws(() => lazyGaxFallbackSource(usesMore), { message: /no longer uses google-auth-library only for new GoogleAuth\(\)/ });
  const eager = source.replace('const google_auth_library_1 = require("google-auth-library");', 'const { GoogleAuth } = require("google-auth-library");');
  t.throws(() => lazyGaxFallbackSource(eager), { message: /google-auth-library/ });
  const protos = source.replace(/^exports\.operationsProtos = operationsProtos;$/m, '');
  t.throws(() => lazyGaxFallbackSource(protos), { message: /three protobuf modules as expected \(2 found\)/ });
});

test("the build makes gax's long-running, streaming, bundling, IAM and Locations modules load on first use from the installed gax, and refuses a gax it no longer matches", async (t) => {
  const script = '../../scripts/bundle-providers.mjs';
  const { lazyRequires, gaxFile, GAX_LAZY_REQUIRES } = (await import(script)) as {
    lazyRequires: (text: string, file: string, requires: Record<string, string>) => string;
    gaxFile: (file: string, specifier: string) => string;
    GAX_LAZY_REQUIRES: Record<string, Record<string, string>>;
  };
  const source = readFileSync(path.join(ROOT, 'node_modules/google-gax/build/src/descriptor.js'), 'utf8');
  const rewritten = lazyRequires(source, 'descriptor.js', { longRunningDescriptor_1: './longRunningCalls/longRunningDescriptor' });
  t.true(rewritten.startsWith('"use strict";\n'), 'the directive stays first: the module stays strict');
  t.true(rewritten.includes('var longRunningDescriptor_1 = __autojoinLazyModule(() => __autojoinInstalledGax("longRunningCalls/longRunningDescriptor.js"));'));
  t.true(rewritten.includes('var pageDescriptor_1 = require("./paginationCalls/pageDescriptor");'), 'what is not named stays as it was');

  // The stand-in: nothing loaded until a property is read, then the installed gax's own module.
  const loads: string[] = [];
  const modules: Record<string, unknown> = { '/gax/build/src/a.js': { A: class A {}, value: 1 } };
  const nodeRequire = Object.assign(
    (id: string) => {
      loads.push(id);
      return modules[id];
    },
    { resolve: (id: string) => (id === 'google-gax' ? '/gax/build/src/index.js' : '') },
  );
  const require = (id: string) => (id === 'node:module' ? { createRequire: () => nodeRequire } : id === 'node:path' ? path : undefined);
  const fake = '"use strict";\nconst a_1 = require("./a");\nexports.read = () => a_1.value;\nexports.A = () => a_1.A;\n';
  const exports: Record<string, () => unknown> = {};
  new Function('require', 'exports', '__filename', lazyRequires(fake, 'fake.js', { a_1: './a' }))(require, exports, '/app/dist/bundles/gce/client.cjs');
  t.deepEqual(loads, []);
  t.is(exports.read?.(), 1);
  t.is(exports.A?.(), (modules['/gax/build/src/a.js'] as { A: unknown }).A);
  t.deepEqual(loads, ['/gax/build/src/a.js']);

  // Each module left out is where the bundle will look for it: in the google-gax the compute
  // client uses, which the bundle's folder resolves to.
  const fromBundle = createRequire(path.join(ROOT, 'dist/bundles/gce/index.cjs'));
  const fromCompute = createRequire(createRequire(path.join(ROOT, 'package.json')).resolve('@google-cloud/compute'));
  t.is(fromBundle.resolve('google-gax'), fromCompute.resolve('google-gax'));
  for (const [file, requires] of Object.entries(GAX_LAZY_REQUIRES)) {
    for (const specifier of Object.values(requires)) {
      const target = path.join(fromBundle.resolve('google-gax'), '..', gaxFile(file, specifier));
      t.true(existsSync(target), target);
    }
  }

  t.throws(() => lazyRequires(source, 'descriptor.js', { longRunningDescriptor_1: './longRunningCalls/gone' }), {
    message: /descriptor\.js no longer requires \.\/longRunningCalls\/gone as longRunningDescriptor_1, once/,
  });
  t.throws(() => lazyRequires(source.replace('"use strict";\n', ''), 'descriptor.js', {}), { message: /no longer starts with "use strict"/ });
});

test('the descriptor in the bundle keeps, of each response, only the fields the provider asks for', async (t) => {
  const script = '../../scripts/bundle-providers.mjs';
  const { pruneProtos, parseFieldMask } = (await import(script)) as {
    pruneProtos: (full: unknown, methods: Record<string, string[]>, masks?: Record<string, string>) => { json: ProtoNamespace };
    parseFieldMask: (mask: string) => unknown;
  };
  t.deepEqual(parseFieldMask('items/*/instances(id,tags/items),nextPageToken'), {
    items: { '*': { instances: { id: true, tags: { items: true } } } },
    nextPageToken: true,
  });
  t.throws(() => parseFieldMask('items(id'), { message: /cannot read the field mask "items\(id" at 8/ });

  const full = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@google-cloud/compute/build/protos/protos.json'), 'utf8')) as unknown;
  const methods = { 'google.cloud.compute.v1.Instances': ['AggregatedList', 'List'], 'google.cloud.compute.v1.Zones': ['List'] };
  const masks = {
    'google.cloud.compute.v1.Instances.AggregatedList': AGGREGATED_FIELDS,
    'google.cloud.compute.v1.Instances.List': LIST_FIELDS,
    'google.cloud.compute.v1.Zones.List': ZONE_FIELDS,
  };
  const v1 = pruneProtos(full, methods, masks).json.nested?.google?.nested?.cloud?.nested?.compute?.nested?.v1?.nested ?? {};
  const fields = (type: string) => Object.keys(v1[type]?.fields ?? {}).sort();
  t.deepEqual(fields('Instance'), ['id', 'labels', 'name', 'networkInterfaces', 'status', 'tags', 'zone']);
  t.deepEqual(fields('NetworkInterface'), ['accessConfigs', 'ipv6AccessConfigs', 'ipv6Address', 'networkIP']);
  t.deepEqual(fields('Zone'), ['name']);
  t.deepEqual(fields('InstanceAggregatedList'), ['items', 'nextPageToken']);
  // Requests stay whole: every parameter the SDK may send.
  t.true(fields('AggregatedListInstancesRequest').includes('returnPartialSuccess'));
  t.is(v1.AdvancedMachineFeatures, undefined);
  t.throws(() => pruneProtos(full, methods, { ...masks, 'google.cloud.compute.v1.Zones.List': 'items/nmae' }), {
    message: /a field mask names nmae, which google\.cloud\.compute\.v1\.Zone lacks/,
  });
});

interface ProtoNamespace {
  nested?: Record<string, ProtoNamespace & { fields?: Record<string, unknown> }>;
}

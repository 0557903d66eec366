// Bundles each built-in provider's code path (providers/<name>/index.ts and what it imports,
// SDKs included) so `discover addrs` loads and compiles only what a lookup runs. Called by
// scripts/build.mjs after tsc; docs/performance.md has the measurements behind every choice here.
//
// Output, in <out>/bundles/:
//   <name>/*.cjs     esbuild's ESM code-split chunks turned into CommonJS: the entry holds the
//                    descriptor (help, check), the SDK sits in chunks loaded by discover()'s own
//                    import(); src/load-bundle.ts runs them through vm.Script with a V8 code cache.
//   manifest.json    { format, providers: { <name>: { entry, chunks: { <file>: <sha256> } } } }
//                    the hashes key the code cache.
// Imports of the engine (src/) stay outside the bundles: they resolve to dist/src/*.js, the same
// module instances the CLI uses, so `instanceof ProviderError` and the shared HTTP stack hold.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acorn from 'acorn';
import * as esbuild from 'esbuild';
import { flattenBarrels } from './flatten-barrels.mjs';
import { armFiles, armMappers, armNoKnownEnums } from './bundle-arm-mappers.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src') + path.sep;
const require = createRequire(import.meta.url);

/** Bumped when the chunk format changes; the loader refuses another one. */
export const BUNDLE_FORMAT = 1;

/**
 * Per-provider build settings. `protos`: the gRPC/REST services and methods a provider calls;
 * @google-cloud/compute's 11.7 MB descriptor JSON is replaced in the bundle by the types those
 * methods reach, their responses pruned to the field masks in `responseMasks` (see pruneProtos).
 * `awsShapes`: the EC2 structures cut to the members the provider reads (see awsSchemas).
 * `restOnlyGax`, `armOperations`, `memoSerializeNames`, `scanningXmlParser`, `nodeFetchGlobals`,
 * `formDataForObjectsOnly`: see the plugins and functions of those names. `armMappers`:
 * arm-network's models/mappers.js and parameters.js cut to what the `armOperations` kept reach
 * (scripts/bundle-arm-mappers.mjs). `armReadProperties`: the mappers of those cut to the
 * properties the provider reads (cutProperties there).
 */
export const SETTINGS = {
  aws: {
    scanningXmlParser: true,
    awsShapes: { package: '@aws-sdk/client-ec2', module: 'providers/aws/fields.ts', export: 'EC2_READ_MEMBERS' },
  },
  azure: {
    armOperations: { package: '@azure/arm-network', file: 'dist/esm/networkManagementClient.js', keep: ['networkInterfaces', 'publicIPAddresses'] },
    armMappers: true,
    armReadProperties: { module: 'providers/azure/fields.ts', export: 'ARM_NETWORK_READ_PROPERTIES' },
    memoSerializeNames: true,
    formDataForObjectsOnly: true,
    lazyJsonWebToken: true,
  },
  gce: {
    restOnlyGax: true,
    nodeFetchGlobals: true,
    protos: {
      file: '@google-cloud/compute/build/protos/protos.json',
      methods: {
        'google.cloud.compute.v1.Instances': ['AggregatedList', 'List'],
        'google.cloud.compute.v1.Zones': ['List'],
      },
      responseMasks: {
        module: 'providers/gce/fields.ts',
        methods: {
          'google.cloud.compute.v1.Instances.AggregatedList': 'AGGREGATED_FIELDS',
          'google.cloud.compute.v1.Instances.List': 'LIST_FIELDS',
          'google.cloud.compute.v1.Zones.List': 'ZONE_FIELDS',
        },
      },
    },
  },
};

/** The built-in providers: every folder of providers/ with an index.ts. */
export function providerNames() {
  return readdirSync(path.join(ROOT, 'providers'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => {
      try {
        readFileSync(path.join(ROOT, 'providers', name, 'index.ts'));
        return true;
      } catch {
        return false;
      }
    })
    .sort();
}

/** Engine modules stay external, addressed from bundles/<name>/ to <out>/src/. */
const externalEngine = {
  name: 'external-engine',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      if (!target.startsWith(SRC)) return undefined;
      const relative = path.relative(ROOT, target).replace(/\.ts$/, '.js').split(path.sep).join('/');
      return { path: `../../${relative}`, external: true };
    });
  },
};

/**
 * The AWS SDK's schema files write each shape as `[3, n0, _X, 0, [...], [{ [_xN]: _y }]]`. A
 * computed key makes esbuild keep every shape (it cannot prove `[_xN]` free of side effects), so
 * EC2's 1.3 MB of schemas would all stay for one command. The keys are plain string constants
 * of the same file: writing them in place lets tree-shaking keep only the shapes reached.
 *
 * `shapes` (a provider's `awsShapes` setting) also cuts named structures of one package to the
 * members the provider reads (pruneAwsShapes): the deserializer visits only those, and the shapes
 * only the dropped members reached fall to tree-shaking.
 */
const awsSchemas = (shapes) => ({
  name: 'aws-schemas',
  setup(build) {
    const pruned = shapes ? path.dirname(require.resolve(`${shapes.package}/package.json`)) : undefined;
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const text = readFileSync(args.path, 'utf8');
      const constants = new Map();
      for (const match of text.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) constants.set(match[1], match[2]);
      let contents = text.replace(/\[(_\w+)\]:/g, (all, name) => (constants.has(name) ? `${constants.get(name)}:` : all));
      if (pruned && args.path.startsWith(pruned + path.sep)) {
        const members = (await importBuildModule(shapes.module))[shapes.export];
        if (!members) throw new Error(`bundle: ${shapes.module} exports no ${shapes.export}`);
        contents = pruneAwsShapes(contents, members, shapes.package);
      }
      return { contents, loader: 'js' };
    });
  },
});

/**
 * Cuts the structures named in `members` (shape name -> member names kept) of an AWS SDK schema
 * file, `export var <Shape>$ = [3, ns, name, traits, [member names], [member schemas]]`, to those
 * members. Throws if a shape is missing, is not a structure, or lacks a member: the SDK changed,
 * and a provider would silently read undefined.
 */
export function pruneAwsShapes(text, members, packageName = 'the AWS SDK') {
  const strings = new Map();
  for (const match of text.matchAll(/^const (_\w+) = "([^"\\\n]*)";$/gm)) strings.set(match[1], match[2]);
  const ast = acorn.parse(text, { ecmaVersion: 'latest', sourceType: 'module' });
  const edits = [];
  const found = new Set();
  for (const statement of ast.body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type !== 'VariableDeclaration') continue;
    for (const declarator of declaration.declarations) {
      const shape = declarator.id.name?.endsWith('$') ? declarator.id.name.slice(0, -1) : undefined;
      if (shape === undefined || !Object.hasOwn(members, shape)) continue;
      const elements = declarator.init?.type === 'ArrayExpression' ? declarator.init.elements : [];
      const [kind, , , , names, schemas] = elements;
      if (kind?.type !== 'Literal' || kind.value !== 3 || names?.type !== 'ArrayExpression' || schemas?.type !== 'ArrayExpression')
        throw new Error(`bundle: ${packageName}'s ${shape}$ is not a structure schema of the expected form`);
      const nameOf = (node) => (node.type === 'Identifier' ? strings.get(node.name) : node.type === 'Literal' ? node.value : undefined);
      const kept = [];
      for (const member of members[shape]) {
        const index = names.elements.findIndex((node) => nameOf(node) === member);
        if (index < 0) throw new Error(`bundle: ${packageName}'s ${shape}$ has no member ${member}`);
        kept.push(index);
      }
      kept.sort((a, b) => a - b);
      const pick = (list) => `[${kept.map((i) => text.slice(list.elements[i].start, list.elements[i].end)).join(', ')}]`;
      edits.push([names.start, names.end, pick(names)], [schemas.start, schemas.end, pick(schemas)]);
      found.add(shape);
    }
  }
  const missing = Object.keys(members).filter((shape) => !found.has(shape));
  if (missing.length) throw new Error(`bundle: ${packageName} has no structure schema ${missing.map((shape) => `${shape}$`).join(', ')}`);
  let out = text;
  for (const [start, end, replacement] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + replacement + out.slice(end);
  return out;
}

/**
 * The protobuf JSON descriptor reduced to what `methods` reach: those methods on their services,
 * their request types whole, and their response types as far as `responseMasks` (method full name
 * -> the field mask the provider sends with it) selects: the fields of a partial response, and the
 * messages and enums those use. A response without a mask keeps every field. google-gax's REST
 * transport reads only these to encode requests and decode answers; it skips JSON fields its type
 * lacks, as it does any field unknown to the SDK, so a whole resource (a server refusing the mask)
 * decodes to the masked fields too.
 */
export function pruneProtos(full, methods, responseMasks = {}) {
  // The protobufjs google-gax itself uses to read the descriptor.
  const protobuf = createRequire(require.resolve('google-gax'))('protobufjs');
  const root = protobuf.Root.fromJSON(full);
  /** Kept types: full name -> the set of fields kept, or ALL. */
  const keep = new Map();
  const ALL = 'all';
  const visit = (type, selection) => {
    if (!type || keep.get(type.fullName) === ALL) return;
    if (!(type instanceof protobuf.Type) || selection === true) {
      keep.set(type.fullName, ALL);
      for (const field of type.fieldsArray ?? []) visit(field.resolve().resolvedType, true);
      return;
    }
    const fields = keep.get(type.fullName) ?? new Set();
    keep.set(type.fullName, fields);
    for (const [name, sub] of Object.entries(selection)) {
      const field = type.fields[name];
      if (!field) throw new Error(`bundle: a field mask names ${name}, which ${type.fullName.slice(1)} lacks`);
      fields.add(name);
      field.resolve();
      if (field.map && sub !== true) {
        // `items/*/instances`: the `*` stands for every key of the map.
        if (Object.keys(sub).join() !== '*') throw new Error(`bundle: a field mask goes through the map ${name} other than by *`);
        visit(field.resolvedType, sub['*']);
      } else {
        visit(field.resolvedType, sub);
      }
    }
  };
  const source = (segments) => segments.reduce((node, name) => node.nested[name], full);
  const pruned = {};
  const place = (segments, value) => {
    let node = pruned;
    segments.forEach((name, i) => {
      const from = source(segments.slice(0, i + 1));
      node.nested ??= {};
      // Namespaces keep their options (java_package, go_package...); a message holding a kept
      // nested type is placed before it (names sort parent first).
      node.nested[name] ??= i === segments.length - 1 ? value : from.options ? { options: from.options } : {};
      node = node.nested[name];
    });
  };
  for (const [service, names] of Object.entries(methods)) {
    const resolved = root.lookupService(service);
    for (const name of names) {
      const method = resolved.methods[name];
      if (!method) throw new Error(`bundle: ${service} has no method ${name}`);
      method.resolve();
      visit(method.resolvedRequestType, true);
      const mask = responseMasks[`${service}.${name}`];
      visit(method.resolvedResponseType, mask === undefined ? true : parseFieldMask(mask));
    }
    const segments = service.split('.');
    const original = source(segments);
    place(segments, { ...original, methods: Object.fromEntries(names.map((name) => [name, original.methods[name]])) });
  }
  for (const [fullName, fields] of [...keep].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const segments = fullName.slice(1).split('.');
    // Nested types are placed on their own, when kept.
    const { nested: _nested, ...type } = source(segments);
    if (fields !== ALL) {
      type.fields = Object.fromEntries(Object.entries(type.fields).filter(([name]) => fields.has(name)));
      // proto3 `optional` fields each come with a oneof of their own: keep those of the kept fields.
      const oneofs = Object.entries(type.oneofs ?? {})
        .map(([name, oneof]) => [name, { ...oneof, oneof: oneof.oneof.filter((member) => fields.has(member)) }])
        .filter(([, oneof]) => oneof.oneof.length > 0);
      if (oneofs.length > 0) type.oneofs = Object.fromEntries(oneofs);
      else delete type.oneofs;
    }
    place(segments, type);
  }
  // Check: every method and type resolves in the reduced descriptor.
  protobuf.Root.fromJSON(pruned).resolveAll();
  return { json: pruned, types: keep.size };
}

/**
 * A field mask as compute takes it (the `fields` system parameter: `a,b/c,d(e,f/g)`, `*` for every
 * key of a map) -> a tree: `{ field: true }` selects a whole field, `{ field: { ... } }` part of it.
 */
export function parseFieldMask(mask) {
  let at = 0;
  const fail = () => {
    throw new Error(`bundle: cannot read the field mask ${JSON.stringify(mask)} at ${at}`);
  };
  const merge = (tree, name, sub) => {
    if (tree[name] === true || sub === true) tree[name] = tree[name] === undefined ? sub : true;
    else for (const [key, value] of Object.entries(sub)) merge((tree[name] ??= {}), key, value);
  };
  const path = () => {
    const name = /^(\w+|\*)/.exec(mask.slice(at))?.[0] ?? fail();
    at += name.length;
    if (mask[at] === '/') {
      at++;
      return { [name]: path() };
    }
    if (mask[at] === '(') {
      at++;
      const inner = list();
      if (mask[at] !== ')') fail();
      at++;
      return { [name]: inner };
    }
    return { [name]: true };
  };
  const list = () => {
    const tree = {};
    for (;;) {
      for (const [name, sub] of Object.entries(path())) merge(tree, name, sub);
      if (mask[at] !== ',') return tree;
      at++;
    }
  };
  const tree = list();
  if (at !== mask.length) fail();
  return tree;
}

/**
 * `masks.module` exports the field masks a provider sends (providers/gce/fields.ts); `masks.methods`
 * names the export each method's response is read through. Loaded with esbuild, as the bundle will.
 */
async function loadResponseMasks(masks) {
  const exported = await importBuildModule(masks.module);
  return Object.fromEntries(
    Object.entries(masks.methods).map(([method, name]) => {
      if (typeof exported[name] !== 'string') throw new Error(`bundle: ${masks.module} exports no field mask ${name}`);
      return [method, exported[name]];
    }),
  );
}

/** The `armReadProperties` setting's cuts (mapper name -> properties kept), or none. */
async function armReadProperties(settings) {
  if (!settings.armReadProperties) return {};
  const { module, export: name } = settings.armReadProperties;
  const cuts = (await importBuildModule(module))[name];
  if (!cuts) throw new Error(`bundle: ${module} exports no ${name}`);
  return cuts;
}

/** A provider's TypeScript module of build settings (field masks, members read), loaded with esbuild as the bundle will. */
async function importBuildModule(module) {
  const built = await esbuild.build({
    entryPoints: [path.join(ROOT, module)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
  return import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`);
}

const prunedProtos = (settings) => ({
  name: 'pruned-protos',
  setup(build) {
    const file = require.resolve(settings.file);
    build.onLoad({ filter: /[\\/]protos\.json$/ }, async (args) => {
      if (args.path !== file) return undefined;
      const masks = settings.responseMasks ? await loadResponseMasks(settings.responseMasks) : {};
      const { json } = pruneProtos(JSON.parse(readFileSync(file, 'utf8')), settings.methods, masks);
      return { contents: JSON.stringify(json), loader: 'json' };
    });
  },
});

/**
 * @google-cloud/compute's clients `require('google-gax')` for three things when they run over
 * REST (`fallback: 'rest'`, the only way the provider builds them): `fallback` (the REST
 * transport), `loggingUtils` and `decodeAnyProtosInArray`. google-gax's index would also load its
 * gRPC half (@grpc/grpc-js, http2, dns, proto-loader) at start-up; this gives them the REST half
 * only, from the same google-gax files (the import path the compute docs themselves suggest).
 */
const restOnlyGax = {
  name: 'rest-only-gax',
  setup(build) {
    // The google-gax the compute clients would load (its index is build/src/index.js).
    const gaxDir = path.resolve(path.dirname(createRequire(require.resolve('@google-cloud/compute')).resolve('google-gax')), '../..');
    build.onResolve({ filter: /^google-gax$/ }, (args) =>
      /[\\/]@google-cloud[\\/]compute[\\/]/.test(args.importer) ? { path: 'google-gax (REST only)', namespace: 'rest-only-gax' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'rest-only-gax' }, () => ({
      contents: [
        "exports.fallback = require('./build/src/fallback.js');",
        "exports.loggingUtils = require('google-logging-utils');",
        "exports.decodeAnyProtosInArray = require('./build/src/util.js').decodeAnyProtosInArray;",
      ].join('\n'),
      resolveDir: gaxDir,
      loader: 'js',
    }));
  },
};

/**
 * google-gax's REST half (build/src/fallback.js) requires at load, only to re-export them or for
 * a branch the provider never takes:
 * - its IAM, Locations and Operations protobuf modules, 635 KB of generated code that builds
 *   protobuf types as it runs; list calls never touch them;
 * - google-auth-library's index, for `new GoogleAuth()` when a client is given no auth client
 *   (the provider always gives one). The index loads every client of the library (external
 *   account, AWS, impersonation...), gcp-metadata and its own gaxios copy.
 * In the bundle those become getters, run on first use instead of at every start. What only a
 * getter reaches is left outside the bundle, for Node to load from the installed packages should
 * it ever run: google-auth-library's index (with the provider importing its three auth clients
 * from their own files, providers/gce/auth.ts, the rest of the library drops out) and the IAM,
 * Locations and Operations modules (read from google-gax's index, whose `exports` hide the files;
 * Operations left the bundle once gax's longrunning.js, which ran it at load, became one of
 * GAX_LAZY_REQUIRES).
 */
const lazyGaxFallback = {
  name: 'lazy-gax-fallback',
  setup(build) {
    build.onResolve({ filter: /^(google-auth-library|google-gax)$/ }, (args) =>
      /[\\/]google-gax[\\/]build[\\/]src[\\/]fallback\.js$/.test(args.importer) ? { path: args.path, external: true } : undefined,
    );
    build.onLoad({ filter: /[\\/]google-gax[\\/]build[\\/]src[\\/](fallback|descriptor|streamingCalls[\\/]streamingApiCaller)\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const file = (args.path.match(/[\\/]build[\\/]src[\\/](.+)$/)?.[1] ?? '').replaceAll('\\', '/');
      return { contents: lazyRequires(file === 'fallback.js' ? lazyGaxFallbackSource(text) : text, file, GAX_LAZY_REQUIRES[file]), loader: 'js' };
    });
  },
};

/**
 * The modules of google-gax's REST half that a list call never runs, by the file requiring them
 * at load (variable -> path). They serve long-running operations (operations.js builds its protobuf
 * types as it runs), streaming calls (duplexify, retry-request and readable-stream under them),
 * request bundling, and the IAM, Locations and Operations clients gax re-exports: about 10 ms of
 * every gce lookup's start-up (docs/performance.md). Each becomes a module loaded on first use,
 * from the installed google-gax: nothing else in the bundle requires them, so they are left out of
 * it (some 450 KB less to read and compile on a first run). The provider's clients are REST list
 * clients with page descriptors only; should one of these ever run, it is gax's own file, as the
 * IAM and Locations protobuf modules already were (lazyGaxFallbackSource).
 */
export const GAX_LAZY_REQUIRES = {
  'fallback.js': {
    operationsClient_1: './operationsClient',
    streaming_1: './streamingCalls/streaming',
    streaming_2: './streamingCalls/streaming',
    operationsClient_2: './operationsClient',
    iamService_1: './iamService',
    locationService_1: './locationService',
    longrunning_1: './longRunningCalls/longrunning',
  },
  'descriptor.js': {
    longRunningDescriptor_1: './longRunningCalls/longRunningDescriptor',
    streamDescriptor_1: './streamingCalls/streamDescriptor',
    bundleDescriptor_1: './bundlingCalls/bundleDescriptor',
  },
  // Loaded at start by createApiCall.js (an instanceof on every call); what it needs of streaming
  // is only for a streaming call.
  'streamingCalls/streamingApiCaller.js': { streaming_1: './streaming' },
};

/** The file of google-gax (relative to its build/src/) that `specifier` names from gax's `file`. */
export function gaxFile(file, specifier) {
  return `${path.posix.join(path.posix.dirname(file), specifier)}.js`;
}

/**
 * `text` with each `const|var <name> = require("<path>");` of `requires` (exactly one each) made
 * a stand-in that loads the module on first property read, from the installed google-gax (by an
 * absolute path: gax's `exports` hide its files), so the bundle leaves the module out. Every use of
 * these variables in gax is a property read (`x.Name`, `(0, x.fn)(...)`), which the stand-in forwards.
 */
export function lazyRequires(text, file, requires) {
  let contents = text;
  for (const [name, specifier] of Object.entries(requires)) {
    const line = new RegExp(`^(const|var) ${name} = require\\(${JSON.stringify(specifier).replaceAll('.', '\\.')}\\);$`, 'm');
    const found = contents.split(line).length;
    if (found !== 3) throw new Error(`bundle: google-gax's ${file} no longer requires ${specifier} as ${name}, once`);
    const target = JSON.stringify(gaxFile(file, specifier));
    contents = contents.replace(line, (_all, kind) => `${kind} ${name} = __autojoinLazyModule(() => __autojoinInstalledGax(${target}));`);
  }
  // After the "use strict" directive, which must stay the file's first statement.
  const helper = [
    'var __autojoinLazyModule = (load) => { let module; return new Proxy({}, { get: (_target, key) => (module ??= load())[key] }); };',
    // The google-gax the installed compute client itself requires (found from the running file, the
    // bundle's chunk), as a package manager that does not hoist it (pnpm) lays it out.
    'var __autojoinInstalledGax = (file) => { const { createRequire } = require("node:module"); const fromCompute = createRequire(createRequire(__filename).resolve("@google-cloud/compute")); return fromCompute(require("node:path").join(fromCompute.resolve("google-gax"), "..", file)); };',
  ].join('\n');
  const strict = /^"use strict";\n/;
  if (!strict.test(contents)) throw new Error(`bundle: google-gax's ${file} no longer starts with "use strict"`);
  return contents.replace(strict, (directive) => `${directive}${helper}\n`);
}

/** google-gax's fallback.js as lazyGaxFallback gives it to the bundle; throws if the file changed shape. */
export function lazyGaxFallbackSource(text) {
  let lazy = 0;
  const contents = text.replace(/^const (\w+) = __importStar\(require\("(\.\.\/protos\/\w+)"\)\);\nexports\.\1 = \1;$/gm, (_all, name) => {
    lazy++;
    // Run only here (and by the code GAX_LAZY_REQUIRES leaves out): left outside the bundle, read
    // from the installed google-gax's index (its `exports` hide the files).
    return `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => __importStar(require("google-gax").${name}) });`;
  });
  if (lazy !== 3) throw new Error(`bundle: google-gax's fallback.js no longer requires its three protobuf modules as expected (${lazy} found)`);
  const auth = 'const google_auth_library_1 = require("google-auth-library");';
  const uses = contents.match(/\bgoogle_auth_library_1\b[^;]*/g) ?? [];
  if (!contents.includes(auth) || uses.length !== 2 || !uses[1].startsWith('google_auth_library_1.GoogleAuth(')) {
    throw new Error(`bundle: google-gax's fallback.js no longer uses google-auth-library only for new GoogleAuth() (${uses.join(' | ')})`);
  }
  return contents.replace(auth, 'const google_auth_library_1 = { get GoogleAuth() { return require("google-auth-library").GoogleAuth; } };');
}

/**
 * gaxios, google-auth-library and gax's REST stub build the web `Headers` for every request and
 * test bodies against `FormData`. In Node 20 the first touch of either global loads undici (Node's
 * fetch: ~30 ms of compiling and running it in a CPU profile, and its memory), although the requests themselves go out
 * through node-fetch (gaxios' fetch under Node, which takes the per-request agent). In the gce
 * bundle these free names are node-fetch's own `Headers` and `FormData` (esbuild `inject`):
 * node-fetch is loaded for the first request anyway and accepts its own classes. A free use of
 * another global that loads undici (`fetch`, `Request`, `Response`, `MessageEvent`) fails the
 * build, naming the chunk.
 */
const NODE_FETCH_GLOBALS = ['Headers', 'FormData'];
const UNDICI_GLOBALS = ['fetch', 'Request', 'Response', 'MessageEvent'];
const NODE_FETCH_INJECT = 'autojoin:node-fetch-globals';
const undiciMarker = (name) => `__autojoin_undici_global_${name}`;

/** The esbuild options that give the bundle node-fetch's classes and mark the other undici globals. */
function nodeFetchGlobals() {
  return {
    inject: [NODE_FETCH_INJECT],
    define: Object.fromEntries(UNDICI_GLOBALS.flatMap((name) => [name, `globalThis.${name}`].map((key) => [key, undiciMarker(name)]))),
    plugins: [
      {
        name: 'node-fetch-globals',
        setup(build) {
          // fetch-blob's streams for a Node without web streams (before 16.5): 165 KB never run on Node 20.
          build.onResolve({ filter: /^web-streams-polyfill\/dist\/ponyfill\.es2018\.js$/ }, (args) =>
            /[\\/]fetch-blob[\\/]streams\.cjs$/.test(args.importer) ? { path: args.path, external: true } : undefined,
          );
          build.onResolve({ filter: /^autojoin:node-fetch-globals$/ }, () => ({ path: NODE_FETCH_INJECT, namespace: 'node-fetch-globals' }));
          build.onLoad({ filter: /.*/, namespace: 'node-fetch-globals' }, () => ({
            contents: `export { ${NODE_FETCH_GLOBALS.join(', ')} } from 'node-fetch';`,
            // The node-fetch gaxios itself imports, so these are the classes it hands its requests.
            resolveDir: path.dirname(require.resolve('gaxios')),
            loader: 'js',
          }));
        },
      },
    ],
  };
}

/** Fails the build when a chunk still uses a global that loads undici (see nodeFetchGlobals). */
function checkNoUndiciGlobals(result) {
  for (const file of Object.keys(result.metafile.outputs)) {
    const found = readFileSync(path.join(ROOT, file), 'utf8').match(/__autojoin_undici_global_\w+/g);
    if (!found) continue;
    const names = [...new Set(found)].map((marker) => marker.slice(undiciMarker('').length));
    throw new Error(`bundle: ${path.basename(file)} uses the global ${names.join(', ')}, which loads undici: give it node-fetch's (nodeFetchGlobals)`);
  }
}

/**
 * arm-network's client builds all of its ~160 operation groups in its constructor, so every
 * operations file stays in the bundle although the provider calls two groups. The constructor
 * is given only the groups in `keep`, imported from their own files: the other groups' files
 * are not in the bundle (through operations/index.js they were read, and each kept building a
 * serializer at load). A group left out is undefined on the client: the CLI tests against the
 * simulator catch a provider that starts using one.
 */
const armOperations = (settings) => ({
  name: 'arm-operations',
  setup(build) {
    const packageDir = fileURLToPath(import.meta.resolve(settings.package)).replace(/[\\/]dist[\\/].*$/, '');
    const target = path.join(packageDir, settings.file);
    build.onLoad({ filter: /ManagementClient\.js$/ }, (args) => {
      if (args.path !== target) return undefined;
      const text = readFileSync(args.path, 'utf8');
      let kept = 0;
      const contents = text.replace(/this\.(\w+) =\s*new (\w+)Impl\(this\);/g, (all, group) => {
        if (!settings.keep.includes(group)) return '';
        kept++;
        return all;
      });
      if (kept !== settings.keep.length) throw new Error(`bundle: ${settings.package} lacks some of ${settings.keep.join(', ')}`);
      // The kept classes come from their own files: operations/index.js would put all ~160 files
      // in the module graph (each builds a serializer over all the mappers at load).
      const barrel = /^import \{[^}]+\} from "\.\/operations\/index\.js";$/m;
      if (!barrel.test(contents)) throw new Error(`bundle: ${target} no longer imports its operation groups from ./operations/index.js`);
      const { operations } = armFiles(settings);
      const direct = settings.keep.map((group) => `import { ${operations[group].impl} } from "./operations/${group}.js";`).join('\n');
      return { contents: contents.replace(barrel, direct), loader: 'js' };
    });
  },
});

/**
 * @azure/core-client's serializer splits a mapper's `serializedName` (`properties.ipConfigurations`)
 * again for every property of every object it reads or writes: at 10,000 network interfaces that
 * is ~460 ms of CPU (a third of the lookup). The names are the mappers' constants, so the bundle's
 * copy remembers each split; callers get a copy (one of them pops from it).
 */
const memoSerializeNames = {
  name: 'memo-serialize-names',
  setup(build) {
    build.onLoad({ filter: /[\\/]@azure[\\/]core-client[\\/]dist[\\/]esm[\\/]serializer\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const head = 'function splitSerializeName(prop) {';
      if (!text.includes(head)) throw new Error(`bundle: ${args.path} no longer has ${head}`);
      const memo = [
        'const splitSerializeNameMemo = new Map();',
        'function splitSerializeName(prop) {',
        '    let classes = splitSerializeNameMemo.get(prop);',
        '    if (classes === undefined) splitSerializeNameMemo.set(prop, (classes = splitSerializeNameOnce(prop)));',
        '    return classes.slice();',
        '}',
        'function splitSerializeNameOnce(prop) {',
      ].join('\n');
      return { contents: text.replace(head, memo), loader: 'js' };
    });
  },
};

/**
 * The HTTP pipeline under every Azure SDK (@typespec/ts-http-runtime's formDataPolicy) asks
 * `body instanceof FormData` of every request. Node's global `FormData` is a lazy getter that
 * loads its whole fetch implementation (undici) on first touch: about 20 ms of compiling and
 * 8 MB for requests that carry no body (ARM's GETs) or a string (the token request). The
 * bundle's copy asks only for an object body; `instanceof` is false for anything else, so the
 * answer is the same.
 */
const formDataForObjectsOnly = {
  name: 'form-data-for-objects-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]@typespec[\\/]ts-http-runtime[\\/]dist[\\/]esm[\\/]formData\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const check = 'if (typeof FormData !== "undefined" && body instanceof FormData) {';
      if (text.split(check).length !== 2) throw new Error(`bundle: ${args.path} no longer has ${check}`);
      return {
        contents: text.replace(check, 'if (typeof body === "object" && body !== null && typeof FormData !== "undefined" && body instanceof FormData) {'),
        loader: 'js',
      };
    });
  },
};

/**
 * @aws-sdk/xml-builder's parser (what every EC2 answer goes through) builds each tag name, attribute
 * and text node one character at a time (`text += p.x[p.i++]`): at 10,000 instances that was the
 * largest single cost of the lookup, and its garbage most of the rest. The bundle's copy finds the
 * same ends and takes each piece with one `slice`: same loops, same conditions, same errors, same
 * objects (test/aws-xml-parser.test.ts compares the two on recorded, simulated, edge-case and
 * mutated documents). Each rewrite names the source it replaces; the build fails when one is gone.
 */
export function scanningXmlParser(text, file = 'xml-parser.js') {
  const rewrites = [
    ['while (p.i < p.z && " \\t\\r\\n".includes(p.x[p.i])) {', 'while (p.i < p.z && isSpace(p.x.charCodeAt(p.i))) {'],
    [
      '        let value = "";\n        while (p.i < p.z && p.x[p.i] !== quote) {\n            value += p.x[p.i++];\n        }\n',
      '        let end = p.i < p.z ? p.x.indexOf(quote, p.i) : -1;\n        if (end === -1) {\n            end = Math.max(p.i, p.z);\n        }\n        const value = p.x.slice(p.i, end);\n        p.i = end;\n',
    ],
    [
      '        let tag = "";\n        while (p.i < p.z && !" \\t\\r\\n>/".includes(p.x[p.i])) {\n            tag += p.x[p.i++];\n        }\n',
      '        const tagStart = p.i;\n        while (p.i < p.z && !endsTagName(p.x.charCodeAt(p.i))) {\n            ++p.i;\n        }\n        const tag = p.x.slice(tagStart, p.i);\n',
    ],
    [
      '            let name = "";\n            while (p.i < p.z && !"= \\t\\r\\n>/?".includes(p.x[p.i])) {\n                name += p.x[p.i++];\n            }\n',
      '            const nameStart = p.i;\n            while (p.i < p.z && !endsAttributeName(p.x.charCodeAt(p.i))) {\n                ++p.i;\n            }\n            const name = p.x.slice(nameStart, p.i);\n',
    ],
    [
      '                let text = "";\n                while (p.i < p.z && p.x[p.i] !== "<") {\n                    text += p.x[p.i++];\n                }\n',
      '                let end = p.x.indexOf("<", p.i);\n                if (end === -1) {\n                    end = p.z;\n                }\n                const text = p.x.slice(p.i, end);\n                p.i = end;\n',
    ],
    [
      // A leaf (no attributes, text then its closing tag: most of EC2's elements) is read without
      // the arrays of parts and children the general loop below builds; same value, same errors.
      '        ++p.i;\n        const textParts = [];\n',
      [
        '        ++p.i;',
        '        const lt = hasAttrs ? -1 : p.x.indexOf("<", p.i);',
        '        if (lt !== -1 && p.x.charCodeAt(lt + 1) === 47) {',
        '            const raw = p.x.slice(p.i, lt);',
        '            p.i = lt + 2;',
        '            const closeTag = p.readTo(">").trim();',
        '            if (closeTag !== tag) {',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source written into the bundle, the SDK's own message
        '                throw new Error(`@aws-sdk XML parse error: mismatched tags <${tag}> and </${closeTag}>.`);',
        '            }',
        '            if (raw.length === 0) {',
        '                return { tag, value: "" };',
        '            }',
        '            const text = p.decodeEntities(raw);',
        '            return text.trim() === "" && text.includes("\\n") ? { tag, value: "" } : { tag, value: text };',
        '        }',
        '        const textParts = [];',
        '',
      ].join('\n'),
    ],
    // The children loop tells "</", "<!--", "<![CDATA[" and "<?" apart by the character after "<".
    ['            if (p.isNext("</")) {\n', '            if (p.x.charCodeAt(p.i) === 60 && p.x.charCodeAt(p.i + 1) === 47) {\n'],
    [
      '                if (p.isNext("<!--")) {\n',
      '                const next = p.x.charCodeAt(p.i + 1);\n                if (next === 33 && p.isNext("<!--")) {\n',
    ],
    ['                else if (p.isNext("<![CDATA[")) {\n', '                else if (next === 33 && p.isNext("<![CDATA[")) {\n'],
    ['                else if (p.isNext("<?")) {\n', '                else if (next === 63) {\n'],
    ['    decodeEntities(s) {\n', '    decodeEntities(s) {\n        if (!s.includes("&")) {\n            return s;\n        }\n'],
  ];
  let contents = text;
  for (const [from, to] of rewrites) {
    if (contents.split(from).length !== 2) throw new Error(`bundle: ${file} no longer has (once) ${JSON.stringify(from.trim())}`);
    contents = contents.replace(from, () => to);
  }
  const helpers = [
    '// " \\t\\r\\n", " \\t\\r\\n>/" and "= \\t\\r\\n>/?" of the loops these replace, by char code.',
    'const isSpace = (c) => c === 32 || c === 9 || c === 13 || c === 10;',
    'const endsTagName = (c) => isSpace(c) || c === 62 || c === 47;',
    'const endsAttributeName = (c) => endsTagName(c) || c === 61 || c === 63;',
    '',
  ].join('\n');
  return `${helpers}${contents}`;
}

const scanningAwsXml = {
  name: 'scanning-aws-xml',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]xml-builder[\\/]dist-es[\\/]xml-parser\.js$/ }, (args) => ({
      contents: scanningXmlParser(readFileSync(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};

/**
 * msal-node signs a client assertion (certificate credentials) with jsonwebtoken, a CommonJS
 * package the ES module imports at load: jsonwebtoken, jws, jwa, semver (which builds its ranges
 * and regular expressions as it loads) and lodash's helpers ran and compiled on every Azure
 * lookup, although a client secret never signs anything. In the bundle the import is a getter
 * that loads the same package on the first `jwt.sign`.
 */
export const lazyJsonWebToken = {
  name: 'lazy-jsonwebtoken',
  setup(build) {
    build.onLoad({ filter: /[\\/]@azure[\\/]msal-node[\\/]dist[\\/]client[\\/]ClientAssertion\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const line = "import jwt from 'jsonwebtoken';";
      if (text.split(line).length !== 2 || text.split('jwt.sign(').length !== 2) {
        throw new Error(`bundle: ${args.path} no longer imports jsonwebtoken once for one jwt.sign`);
      }
      const lazy = "let jsonwebtoken;\nconst jwt = { sign: (...args) => (jsonwebtoken ??= require('jsonwebtoken')).sign(...args) };";
      return { contents: text.replace(line, lazy), loader: 'js' };
    });
  },
};

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/**
 * esbuild's ESM code-split chunks in `staging`, written to `dir` as CommonJS, so the loader can
 * hand V8 a script (with its code cache) instead of an ES module (Node 20 caches no module code).
 * `import()` between chunks becomes require. @returns { <file>: <hash> }
 */
async function writeCommonJsChunks(result, staging, dir) {
  mkdirSync(dir, { recursive: true });
  const chunks = {};
  for (const file of Object.keys(result.metafile.outputs)) {
    const base = path.basename(file);
    const esm = readFileSync(path.join(ROOT, file), 'utf8');
    const cjs = await esbuild.transform(esm, {
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      supported: { 'dynamic-import': false },
      // The loader passes each chunk's file URL (a script has no import.meta).
      define: { 'import.meta.url': '__import_meta_url' },
      sourcefile: base,
      logLevel: 'warning',
    });
    const code = cjs.code.replace(/require\("\.\/([\w.-]+)\.js"\)/g, 'require("./$1.cjs")');
    const target = base.replace(/\.js$/, '.cjs');
    writeFileSync(path.join(dir, target), code);
    chunks[target] = sha256(code).slice(0, 32);
  }
  rmSync(staging, { recursive: true, force: true });
  return chunks;
}

/**
 * For the CLI bundle: each engine and entry file's `import.meta.url` is its own built file's URL
 * (dist/src/..., addressed from bundles/cli/), so paths it reads relative to itself (the help
 * cache, package.json, parsimmon) stay where they are.
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const relative = path.relative(ROOT, args.path).split(path.sep).join('/');
      if (!/^(src|entry)\//.test(relative)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const built = `../../${relative.replace(/\.ts$/, '.js')}`;
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(built)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/**
 * For the CLI bundle: the config parser's one package, Parsimmon, goes into the bundle (and so
 * into the code cache) instead of being compiled from node_modules on every run. src/config/
 * parse.ts loads it with `createRequire(import.meta.url)`, which esbuild does not follow: in
 * the bundle's copy it is a plain `require`, which esbuild bundles.
 */
const bundledParsimmon = {
  name: 'bundled-parsimmon',
  setup(build) {
    const file = path.join(ROOT, 'src', 'config', 'parse.ts');
    build.onLoad({ filter: /[\\/]parse\.ts$/ }, (args) => {
      if (args.path !== file) return undefined;
      const text = readFileSync(file, 'utf8');
      const call = "createRequire(import.meta.url)('parsimmon')";
      if (!text.includes(call)) throw new Error(`bundle: ${call} is no longer in src/config/parse.ts`);
      return { contents: text.replace(call, "require('parsimmon')"), loader: 'ts' };
    });
    // Every other package stays outside: Node loads it as before, when a command needs it.
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path === 'parsimmon' ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Engine modules the CLI bundle leaves outside: the loader of bundles itself (one instance for
 * the process), and what only `join`, `sim` and `intro` load, which entry/discover.ts runs from
 * the modules (fewer chunks for the commands the bundle serves).
 */
const CLI_OUTSIDE = ['src/load-bundle', 'src/cli/join', 'src/cli/intro', 'src/cli/self-command', 'src/sim/index', 'src/intro/sim'];

/**
 * For the CLI bundle: CLI_OUTSIDE and the providers' own modules (their bundles are loaded
 * instead; a provider module is imported only without one) stay outside, addressed from
 * bundles/cli/ to <out>/.
 */
const cliExternals = {
  name: 'cli-externals',
  setup(build) {
    const outside = (target) =>
      CLI_OUTSIDE.some((file) => target === path.join(ROOT, ...file.split('/'))) ||
      (target.startsWith(path.join(ROOT, 'providers') + path.sep) && target !== path.join(ROOT, 'providers', 'index'));
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path).replace(/\.[jt]s$/, '');
      if (!outside(target)) return undefined;
      const file = path.relative(ROOT, target).split(path.sep).join('/');
      // The loader by its CommonJS twin (commonJsTwins): the one bin/discover.cjs runs the bundle with.
      return { path: `../../${file}${file === 'src/load-bundle' ? '.cjs' : '.js'}`, external: true };
    });
  },
};

/**
 * The CommonJS twins of the CLI's entry and of the bundle loader, beside their ES modules in <out>:
 * bin/discover.cjs runs `entry/discover.cjs`, which answers from the build or runs the CLI bundle
 * through `src/load-bundle.cjs` without starting Node's ES module loader (about a tenth of a bare
 * node's start-up: docs/performance.md). The CLI bundle requires the same twin, so under
 * bin/discover.cjs the loader is one module. (Run as `node dist/entry/discover.js`, the ES module
 * loader starts the bundle and the bundle's twin serves the provider bundles: two copies, each
 * writing the code cache of what it loaded.) Anything else (`join`, `sim`, plugins) is imported as
 * before. Throws when the entry no longer imports the loader as this expects.
 */
export async function commonJsTwins(out) {
  const twin = async (file, edit = (text) => text) => {
    // Without the ES module's shebang: the twin is required, and a shebang is valid only on line 1.
    const esm = readFileSync(path.join(out, file), 'utf8').replace(/^#!.*\n/, '');
    const { code } = await esbuild.transform(edit(esm), {
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      define: { 'import.meta.url': '__twin_url' },
      sourcefile: file,
      logLevel: 'warning',
    });
    const url = 'const __twin_url = require("node:url").pathToFileURL(__filename).href;';
    writeFileSync(path.join(out, file.replace(/\.js$/, '.cjs')), `${url}\n${code.replace(/^\/\/# sourceMappingURL=.*$/m, '')}`);
  };
  await twin('src/load-bundle.js');
  await twin('entry/discover.js', (text) => {
    const from = "import('../src/load-bundle.js')";
    if (text.split(from).length !== 2) throw new Error(`bundle: entry/discover.js no longer has (once) ${from}`);
    return text.replace(from, () => "Promise.resolve().then(() => require('../src/load-bundle.cjs'))");
  });
}

/**
 * The CLI with the engine (entry/cli-bundle.ts), code-split at each `import()`: `help`,
 * `version` and `check` run the entry chunk, `addrs` adds the engine's chunks. Packages but
 * Parsimmon stay outside (Node loads them as before); so do the providers (their own bundles above).
 */
async function bundleCli(bundles) {
  const staging = path.join(bundles, '.cli-esm');
  const result = await esbuild.build({
    ...splitEsmBuild(path.join(ROOT, 'entry', 'cli-bundle.ts'), staging),
    plugins: [cliExternals, bundledParsimmon, ownImportMetaUrl],
  });
  return { entry: 'index.cjs', chunks: await writeCommonJsChunks(result, staging, path.join(bundles, 'cli')) };
}

/** The esbuild options every bundle shares: one entry, ES module chunks split at each import(), Node 20. */
function splitEsmBuild(entry, staging) {
  return {
    entryPoints: { index: entry },
    absWorkingDir: ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: staging,
    minifySyntax: true,
    logLevel: 'warning',
    metafile: true,
  };
}

/** Builds <out>/bundles/. @returns the manifest. */
export async function bundleProviders(out, names = providerNames()) {
  const bundles = path.join(path.resolve(out), 'bundles');
  rmSync(bundles, { recursive: true, force: true });
  const manifest = { format: BUNDLE_FORMAT, providers: {} };
  for (const name of names) {
    const settings = SETTINGS[name] ?? {};
    const staging = path.join(bundles, `.${name}-esm`);
    const web = settings.nodeFetchGlobals ? nodeFetchGlobals() : undefined;
    const result = await esbuild.build({
      ...splitEsmBuild(path.join(ROOT, 'providers', name, 'index.ts'), staging),
      // dist-es (ESM) first where a package offers it, so tree-shaking applies (CommonJS cannot be shaken).
      mainFields: ['module', 'main'],
      ...(web ? { inject: web.inject, define: web.define } : {}),
      plugins: [
        externalEngine,
        awsSchemas(settings.awsShapes),
        ...(settings.protos ? [prunedProtos(settings.protos)] : []),
        ...(settings.restOnlyGax ? [restOnlyGax, lazyGaxFallback] : []),
        ...(web ? web.plugins : []),
        ...(settings.armOperations ? [armOperations(settings.armOperations)] : []),
        ...(settings.armMappers ? [armMappers(settings.armOperations, await armReadProperties(settings)), armNoKnownEnums(settings.armOperations)] : []),
        ...(settings.memoSerializeNames ? [memoSerializeNames] : []),
        ...(settings.scanningXmlParser ? [scanningAwsXml] : []),
        ...(settings.formDataForObjectsOnly ? [formDataForObjectsOnly] : []),
        ...(settings.lazyJsonWebToken ? [lazyJsonWebToken] : []),
        // Last: the plugins above load some SDK files themselves; esbuild takes the first onLoad's answer.
        flattenBarrels(),
      ],
    });
    if (web) checkNoUndiciGlobals(result);
    manifest.providers[name] = { entry: 'index.cjs', chunks: await writeCommonJsChunks(result, staging, path.join(bundles, name)) };
  }
  manifest.cli = await bundleCli(bundles);
  writeFileSync(path.join(bundles, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// `node scripts/bundle-providers.mjs [out]`: rebuild the bundles of an existing build (default dist).
if (import.meta.filename === process.argv[1]) {
  const manifest = await bundleProviders(path.resolve(process.argv[2] ?? 'dist'));
  for (const [name, bundle] of Object.entries(manifest.providers)) console.log(`${name}: ${Object.keys(bundle.chunks).length} chunks`);
}

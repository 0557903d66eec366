/**
 * The aws bundle's EC2 schemas, cut to the members extract.ts reads (providers/aws/fields.ts,
 * scripts/bundle-providers.mjs `awsShapes`): the built CLI, running the provider from
 * dist/bundles/aws, finds the same targets (address, id, Name tag, zone) as the installed SDK
 * unbundled, for every address type, over several pages; the shapes only the dropped members
 * reached are not in the bundle; the chunks a lookup loads leave out what only the lazily imported
 * credential clients use; and the build refuses an SDK whose schemas lost a member read.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { EC2_READ_MEMBERS } from './fields.js';
import awsSim from './sim.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { ROOT, runDiscover } from '../../test/helpers/cli.js';
import { startTestSim } from '../../test/helpers/sim.js';

const KEY = 'AKIDSIMULATOR0000002';
const SECRET = 'sim-secret-access-key-0002';

/** 7 servers over three zones, 3 a page; each address type on some, a Name tag on most, one with a second interface. */
function fleet(): Fleet {
  const instances: FleetInstance[] = Array.from({ length: 7 }, (_, i) => ({
    id: `i-bundle${i}`,
    cloud: 'aws',
    region: 'eu-west-1',
    zone: `eu-west-1${'abc'[i % 3]}`,
    tags: { role: 'server', ...(i < 6 ? { Name: `server-${i}` } : {}) },
    private_ipv4: `10.0.4.${i}`,
    ...(i < 4 ? { public_ipv4: `54.0.4.${i}`, public_ipv6: `2600:1f18::4${i}` } : {}),
    ...(i === 0 ? { extra_nics: [{ private_ipv4: '10.0.5.1', public_ipv6: '2600:1f18::5f' }] } : {}),
  }));
  instances.push({ id: 'i-stopped', cloud: 'aws', region: 'eu-west-1', state: 'stopped', tags: { role: 'server' }, private_ipv4: '10.0.4.99' });
  return {
    credentials: { aws: { access_key_id: KEY, secret_access_key: SECRET } },
    instances,
    page_size: { 'aws-ec2': 3 },
  };
}

async function lookup(t: ExecutionContext, config: string, env: Record<string, string>): Promise<unknown> {
  const cache = mkdtempSync(path.join(tmpdir(), 'autojoin-aws-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const result = await runDiscover(['--format', 'json', 'addrs', config], {
    env: { ...env, XDG_CACHE_HOME: cache, AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined },
  });
  t.is(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

for (const addrType of ['private_v4', 'public_v4', 'public_v6']) {
  test(`addr_type=${addrType}: the bundle's pruned schemas give the targets the unbundled SDK gives`, async (t) => {
    const sim = await startTestSim(t, fleet(), [awsSim]);
    const config = `provider=aws region=eu-west-1 tag_key=role tag_value=server addr_type=${addrType} access_key_id=${KEY} secret_access_key=${SECRET} endpoint=${sim.httpUrl}`;
    const unbundled = await lookup(t, config, { AUTOJOIN_BUNDLES: '0' });
    const bundled = await lookup(t, config, {});
    t.deepEqual(bundled, unbundled);
    // Every field the pruned shapes carry reached the answer: ids, Name tags, zones and each address type.
    const targets = unbundled as { addr: string; id: string; name?: string; zone: string }[];
    t.is(new Set(targets.map((target) => target.id)).size, addrType === 'private_v4' ? 7 : 4);
    t.true(targets.every((target) => /^eu-west-1[abc]$/.test(target.zone)));
    t.true(targets.some((target) => target.name === 'server-1'));
    if (addrType === 'public_v6') t.true(targets.some((target) => target.addr === '[2600:1f18::5f]' || target.addr === '2600:1f18::5f'));
  });
}

test('the aws bundle leaves out the EC2 shapes only the members extract.ts does not read reach', (t) => {
  const dir = path.join(ROOT, 'dist/bundles/aws');
  const text = readdirSync(dir)
    .map((file) => readFileSync(path.join(dir, file), 'utf8'))
    .join('\n');
  for (const kept of ['Instance$', 'InstanceNetworkInterface$', 'InstanceIpv6Address$', 'Placement$', 'InstanceState$', 'Tag$'])
    t.regex(text, new RegExp(`\\b${kept.replace('$', '\\$')} = \\[`), kept);
  for (const dropped of ['EbsInstanceBlockDevice$', 'IamInstanceProfile$', 'InstanceBlockDeviceMapping$', 'GroupIdentifier$', 'ProductCode$', 'StateReason$'])
    t.notRegex(text, new RegExp(`\\b${dropped.replace('$', '\\$')} = \\[`), dropped);
});

test("the chunks an EC2 lookup loads hold EC2's query protocol, not the JSON protocols only the lazily imported credential clients use", (t) => {
  // scripts/flatten-barrels.mjs: through @smithy/core's and @aws-sdk/core's barrels, esbuild put
  // the STS and SSO clients' JSON protocols in chunks every lookup compiled.
  const dir = path.join(ROOT, 'dist/bundles/aws');
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    // A chunk's static imports are top-level `var import_x = require("./x.cjs")`; an import() is not.
    for (const match of read(file).matchAll(/^var \w+ = (?:__toESM\()?require\("\.\/([^"]+\.cjs)"\)/gm)) visit(match[1]!);
  };
  visit('index.cjs');
  const files = readdirSync(dir);
  const client = files.find((file) => file.startsWith('client-'));
  t.truthy(client);
  visit(client!);
  const atStart = [...loaded].map(read).join('\n');
  const all = files.map(read).join('\n');
  t.true(atStart.includes('AwsEc2QueryProtocol = class'));
  for (const lazy of ['AwsJson1_1Protocol', 'AwsRestJsonProtocol', 'JsonShapeSerializer2', 'HttpBindingProtocol']) {
    t.false(atStart.includes(`${lazy} = class`), lazy);
    t.true(all.includes(`${lazy} = class`), lazy);
  }
});

test('pruneAwsShapes keeps the members asked for, in the schema order, and refuses a shape or member the SDK lacks', async (t) => {
  // A variable specifier: the script is plain JavaScript, without type declarations.
  const script = '../../scripts/bundle-providers.mjs';
  const { pruneAwsShapes } = (await import(script)) as { pruneAwsShapes: (text: string, members: Record<string, readonly string[]>) => string };
  const source = readFileSync(path.join(ROOT, 'node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js'), 'utf8');
  const pruned = pruneAwsShapes(source, EC2_READ_MEMBERS);
  const instance = /^export var Instance\$ = \[3, n0, _In,\s*0,\s*\[([^\]]*)\]/m.exec(pruned);
  t.truthy(instance);
  const strings = new Map([...source.matchAll(/^const (_\w+) = "([^"]*)";$/gm)].map((match) => [match[1], match[2]]));
  t.deepEqual(
    instance![1]!.split(',').map((name) => strings.get(name.trim())),
    ['NetworkInterfaces', 'Tags', 'InstanceId', 'State', 'Placement', 'PrivateIpAddress', 'PublicIpAddress'],
  );
  // Other structures are untouched.
  const active = (text: string) => /^export var ActiveInstance\$ = [^;]*;/m.exec(text)?.[0];
  t.is(active(pruned), active(source));

  t.throws(() => pruneAwsShapes(source, { Instance: ['InstanceId', 'NoSuchMember'] }), { message: /Instance\$ has no member NoSuchMember/ });
  t.throws(() => pruneAwsShapes(source, { NoSuchShape: ['Name'] }), { message: /no structure schema NoSuchShape\$/ });
  t.throws(() => pruneAwsShapes(source, { InstanceStateName: ['Name'] }), {
    message: /no structure schema InstanceStateName\$|InstanceStateName\$ is not a structure/,
  });
});

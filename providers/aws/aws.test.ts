/**
 * provider=aws end to end: the official AWS SDK (EC2 and ECS clients) against the simulator on
 * 127.0.0.1, through the engine. Region from IMDSv2 and the ECS task metadata endpoint (both
 * the simulator's), SigV4 checked by the simulator, every fault kind, proxy and NO_PROXY
 * proven by tinyproxy's log. Nothing leaves loopback.
 */
import test, { type ExecutionContext } from 'ava';
import aws from './index.js';
import { createEc2Client } from './client.js';
import awsSim, { ecsMetadataUri } from './sim.js';
import { Discover } from '../../src/discover.js';
import { AbortError, MalformedResponseError, ProviderArgsError, ProviderError, TimeoutError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import { type Logger, silentLogger } from '../../src/log.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import type { SimModule } from '../../src/sim/types.js';
import { retryWaitMs, startFront } from '../../test/helpers/front.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';

// Load the SDK before any test starts its clock: a call's timeout covers loading its provider.
await import('./client.js');

const engine = new Discover({ builtins: false, providers: [aws] });

// Load the SDK once up front: its synchronous require would otherwise stall the first tests' event loop.
test.before(async () => {
  await import('./client.js');
});

const KEY = 'AKIDSIMULATOR0000001';
const SECRET = 'sim-secret-access-key-0001';
const CREDS = `access_key_id=${KEY} secret_access_key=${SECRET}`;

/** 23 servers (odd ids are prod) and 7 clients in eu-west-1, 4 servers in us-east-1, 2 stopped servers. */
function ec2Fleet(pageSize?: number): Fleet {
  const instances: FleetInstance[] = [];
  for (let i = 0; i < 23; i++) {
    instances.push({
      id: `i-srv${String(i).padStart(3, '0')}`,
      cloud: 'aws',
      region: 'eu-west-1',
      zone: `eu-west-1${'abc'[i % 3]}`,
      tags: { role: 'nomad-server', env: i % 2 ? 'prod' : 'dev', Name: `srv-${i}` },
      private_ipv4: `10.0.1.${i}`,
      ...(i < 3 ? { public_ipv4: `54.0.1.${i}`, public_ipv6: `2600:1f18::${i}` } : {}),
      ...(i === 0 ? { extra_nics: [{ private_ipv4: '10.0.9.1', public_ipv6: '2600:1f18::ff' }] } : {}),
    });
  }
  for (let i = 0; i < 7; i++) {
    instances.push({ id: `i-cli${i}`, cloud: 'aws', region: 'eu-west-1', tags: { role: 'nomad-client' }, private_ipv4: `10.0.2.${i}` });
  }
  for (let i = 0; i < 4; i++) {
    instances.push({ id: `i-use${i}`, cloud: 'aws', region: 'us-east-1', tags: { role: 'nomad-server' }, private_ipv4: `10.1.1.${i}` });
  }
  for (let i = 0; i < 2; i++) {
    instances.push({ id: `i-stop${i}`, cloud: 'aws', region: 'eu-west-1', state: 'stopped', tags: { role: 'nomad-server' }, private_ipv4: `10.0.3.${i}` });
  }
  return {
    credentials: { aws: { access_key_id: KEY, secret_access_key: SECRET, account_id: '210987654321' } },
    instances,
    ...(pageSize ? { page_size: { 'aws-ec2': pageSize } } : {}),
  };
}

const ALL_EU_SERVERS = Array.from({ length: 23 }, (_, i) => `10.0.1.${i}`);
const PROD_EU_SERVERS = ALL_EU_SERVERS.filter((_, i) => i % 2 === 1);

/** The environment of a test call: the worker's, with the metadata variables chosen here. */
function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'ECS_CONTAINER_METADATA_URI_V4']) {
    delete base[name];
  }
  for (const name of Object.keys(base)) if (/_proxy$/i.test(name)) delete base[name];
  // A generous metadata timeout: a busy test worker must not turn into a false IMDS timeout.
  return { ...base, AWS_EC2_METADATA_DISABLED: 'true', AWS_METADATA_SERVICE_TIMEOUT: '10', ...extra };
}

async function addrs(cfg: string, options: { env?: Record<string, string | undefined>; timeout?: number; logger?: Logger } = {}): Promise<string[]> {
  return engine.addrs(cfg, { env: options.env ?? env(), timeout: options.timeout ?? 20_000, ...(options.logger ? { logger: options.logger } : {}) });
}

function ec2Config(sim: RunningSim, rest = 'tag_key=role tag_value=nomad-server'): string {
  return `provider=aws region=eu-west-1 ${rest} ${CREDS} endpoint=${sim.httpUrl}`;
}

// --- results --------------------------------------------------------------------------------

test('every DescribeInstances page is read (page size 5: 5 pages), running servers of the region only', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  const found = await addrs(ec2Config(sim));
  t.deepEqual(found, ALL_EU_SERVERS);
  t.is(sim.counts()['aws-ec2'], 5);
});

test('addr_type=public_v4 gives public IPs; public_v6 every IPv6 on every interface', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  t.deepEqual(await addrs(ec2Config(sim, 'tag_key=role tag_value=nomad-server addr_type=public_v4')), ['54.0.1.0', '54.0.1.1', '54.0.1.2']);
  t.deepEqual(await addrs(ec2Config(sim, 'tag_key=role tag_value=nomad-server addr_type=public_v6')), [
    '2600:1f18::0',
    '2600:1f18::ff',
    '2600:1f18::1',
    '2600:1f18::2',
  ]);
});

test('tags= ANDs with tag_key/tag_value; a bare key means "the tag exists"', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(7), [awsSim]);
  t.deepEqual(await addrs(ec2Config(sim, 'tag_key=role tag_value=nomad-server tags="env=prod"')), PROD_EU_SERVERS);
  t.deepEqual(await addrs(ec2Config(sim, 'tags="role=nomad-server,env=prod"')), PROD_EU_SERVERS);
  t.deepEqual(await addrs(ec2Config(sim, 'tags=env')), ALL_EU_SERVERS);
  t.deepEqual(await addrs(ec2Config(sim, 'tags="env=prod,role=nomad-client"')), []);
});

test('targets carry the instance id, Name tag and zone', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const [first] = await engine.discover(ec2Config(sim), { env: env() });
  t.deepEqual(first, { address: '10.0.1.0', id: 'i-srv000', name: 'srv-0', zone: 'eu-west-1a' });
});

test('strict arguments: private_v6 and unknown services are refused before any request', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  await t.throwsAsync(addrs(ec2Config(sim, 'tag_key=role tag_value=x addr_type=private_v6')), {
    instanceOf: ProviderArgsError,
    code: 'ERR_PROVIDER_ARGS',
    message: /addr_type/,
  });
  await t.throwsAsync(addrs(ec2Config(sim, 'tag_key=role tag_value=x service=lambda')), { instanceOf: ProviderArgsError, message: /service/ });
  await t.throwsAsync(addrs(ec2Config(sim, 'tag_key=role tag_value=x service=ecs addr_type=public_v4')), {
    instanceOf: ProviderArgsError,
    message: /ECS tasks give their private IPv4 only/,
  });
  t.is(sim.counts()['aws-ec2'] ?? 0, 0);
});

// --- region ----------------------------------------------------------------------------------

test('region from IMDSv2 (token, then identity document) when neither the arg nor AWS_REGION is set', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const found = await addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, {
    env: env({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl }),
  });
  // The first EC2 instance of the fleet is "this" instance: eu-west-1.
  t.deepEqual(found, ALL_EU_SERVERS);
  t.is(sim.counts()['aws-imds'], 2);
});

test('AWS_REGION wins over metadata; the region arg wins over AWS_REGION', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const withEnv = env({ AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl });
  t.deepEqual(await addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, { env: withEnv }), [
    '10.1.1.0',
    '10.1.1.1',
    '10.1.1.2',
    '10.1.1.3',
  ]);
  t.deepEqual(await addrs(ec2Config(sim), { env: withEnv }), ALL_EU_SERVERS);
  t.is(sim.counts()['aws-imds'] ?? 0, 0);
});

test('AWS_DEFAULT_REGION is read when region= and AWS_REGION are absent, before metadata; AWS_REGION and region= win over it', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const noRegionArg = `provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`;
  const US_EAST_SERVERS = ['10.1.1.0', '10.1.1.1', '10.1.1.2', '10.1.1.3'];
  // IMDS answers (it would say eu-west-1, the fleet's first instance), so only AWS_DEFAULT_REGION can pick us-east-1.
  const imds = { AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl };
  t.deepEqual(await addrs(noRegionArg, { env: env({ ...imds, AWS_DEFAULT_REGION: 'us-east-1' }) }), US_EAST_SERVERS);
  t.is(sim.counts()['aws-imds'] ?? 0, 0, 'no metadata lookup');
  // With metadata off, the same.
  t.deepEqual(await addrs(noRegionArg, { env: env({ AWS_DEFAULT_REGION: 'us-east-1' }) }), US_EAST_SERVERS);
  // AWS_REGION first, as the AWS SDKs and CLI read them.
  t.deepEqual(await addrs(noRegionArg, { env: env({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }) }), ALL_EU_SERVERS);
  // region= before both.
  t.deepEqual(await addrs(ec2Config(sim), { env: env({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' }) }), ALL_EU_SERVERS);
  t.is(sim.counts()['aws-imds'] ?? 0, 0);
});

test('region from the ECS task metadata endpoint (TaskARN), before IMDS', async (t) => {
  const fleet = ec2Fleet();
  fleet.instances.push({
    id: 'task-a',
    cloud: 'aws',
    region: 'us-east-1',
    ecs: { cluster: 'prod', family: 'consul' },
    tags: { role: 'x' },
    private_ipv4: '10.5.0.1',
  });
  const sim = await startTestSim(t, fleet, [awsSim]);
  const found = await addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, {
    env: env({ ECS_CONTAINER_METADATA_URI_V4: ecsMetadataUri(sim.httpUrl), AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl }),
  });
  t.deepEqual(found, ['10.1.1.0', '10.1.1.1', '10.1.1.2', '10.1.1.3']);
  t.is(sim.counts()['aws-ecs-metadata'], 1);
  t.is(sim.counts()['aws-imds'] ?? 0, 0);
});

test('no region anywhere and IMDS disabled: a clear error, no API call', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  await t.throwsAsync(addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: /region lookup failed: no region: set region=, AWS_REGION or AWS_DEFAULT_REGION/,
  });
  t.is(sim.counts()['aws-ec2'] ?? 0, 0);
});

test('IMDS failing (500 on every call) is a ProviderError naming GetInstanceIdentityDocument', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-imds', { error: 'server' });
  await t.throwsAsync(
    addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, {
      env: env({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl }),
    }),
    { instanceOf: ProviderError, message: /^discover-aws: GetInstanceIdentityDocument failed: 500: HTTP 500 from/ },
  );
});

test('a silent IMDS times out after AWS_METADATA_SERVICE_TIMEOUT with a clear error', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  // Far past any bound: only AWS_METADATA_SERVICE_TIMEOUT can end the wait with the message below.
  sim.setFaults('aws-imds', { latency_ms: 600_000 });
  await t.throwsAsync(
    addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, {
      env: env({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl, AWS_METADATA_SERVICE_TIMEOUT: '0.3' }),
    }),
    {
      instanceOf: ProviderError,
      // Silent metadata is what off-EC2 looks like: what to give first, the cause after it.
      message:
        /^discover-aws: region lookup failed: no region: give region= or set AWS_REGION \(no instance metadata answered: not on EC2\?\): GetInstanceIdentityDocument failed: PUT http:\/\/127\.0\.0\.1:\d+\/latest\/api\/token timed out after 300 ms$/,
    },
  );
});

/** An IMDSv1-only host (old instances, some emulators): the token PUT answers 405, GETs need no token. */
const imdsV1Only: SimModule = {
  provider: 'imds-v1',
  apis: [
    {
      name: 'imds-v1',
      match: (req) => req.url.pathname.startsWith('/latest/'),
      handle(req) {
        if (req.method === 'PUT') return { status: 405, body: '' };
        if (req.url.pathname === '/latest/dynamic/instance-identity/document' && req.headers['x-aws-ec2-metadata-token'] === undefined) {
          return { status: 200, headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ region: 'us-east-1' }) };
        }
        return { status: 404, body: '' };
      },
      errorResponse: () => ({ status: 500, body: '' }),
    },
  ],
};

test('IMDSv1 fallback when the token call answers 405, unless AWS_EC2_METADATA_V1_DISABLED', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [imdsV1Only, awsSim]);
  const cfg = `provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`;
  const imds = { AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.httpUrl };
  t.deepEqual(await addrs(cfg, { env: env(imds) }), ['10.1.1.0', '10.1.1.1', '10.1.1.2', '10.1.1.3']);
  await t.throwsAsync(addrs(cfg, { env: env({ ...imds, AWS_EC2_METADATA_V1_DISABLED: 'true' }) }), {
    instanceOf: ProviderError,
    message: /^discover-aws: GetInstanceIdentityDocument failed: 405: HTTP 405 from/,
  });
});

// --- credentials -----------------------------------------------------------------------------

test('a wrong secret is SignatureDoesNotMatch (403), an unknown key AuthFailure (401); neither is retried nor leaks the secret', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const wrongSecret = 'not-the-secret-0001';
  const err = await t.throwsAsync(
    addrs(`provider=aws region=eu-west-1 tag_key=role tag_value=x access_key_id=${KEY} secret_access_key=${wrongSecret} endpoint=${sim.httpUrl}`),
    { instanceOf: ProviderError, code: 'ERR_PROVIDER', message: /^discover-aws: DescribeInstances failed: 403 SignatureDoesNotMatch: / },
  );
  t.is((err as ProviderError).cloudCode, 'SignatureDoesNotMatch');
  t.false(err?.message.includes(wrongSecret));
  t.is(sim.counts()['aws-ec2'], 1);
  const unknown = await t.throwsAsync(
    addrs(`provider=aws region=eu-west-1 tag_key=role tag_value=x access_key_id=AKIDUNKNOWN secret_access_key=${SECRET} endpoint=${sim.httpUrl}`),
    { instanceOf: ProviderError, message: /401 AuthFailure: AWS was not able to validate the provided access credentials/ },
  );
  t.is((unknown as ProviderError).status, 401);
  t.false(unknown?.message.includes(SECRET));
});

test('session_token is sent: required by temporary credentials, refused when missing', async (t) => {
  const fleet = ec2Fleet();
  fleet.credentials.aws = { access_key_id: KEY, secret_access_key: SECRET, session_token: 'sim-session-token-1' };
  const sim = await startTestSim(t, fleet, [awsSim]);
  t.deepEqual(await addrs(ec2Config(sim, 'tag_key=role tag_value=nomad-server session_token=sim-session-token-1')), ALL_EU_SERVERS);
  await t.throwsAsync(addrs(ec2Config(sim)), { instanceOf: ProviderError, message: /AuthFailure/ });
});

test('keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN in the call environment', async (t) => {
  const fleet = ec2Fleet();
  fleet.credentials.aws = { access_key_id: KEY, secret_access_key: SECRET, session_token: 'env-token' };
  const sim = await startTestSim(t, fleet, [awsSim]);
  const found = await addrs(`provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server endpoint=${sim.httpUrl}`, {
    env: env({ AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'env-token' }),
  });
  t.deepEqual(found, ALL_EU_SERVERS);
});

test.serial('no keys anywhere: the SDK default chain takes the instance role from IMDS', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  // The SDK's chain reads the process environment, not the call's: set it for this serial test only.
  const saved = { ...process.env };
  t.teardown(() => {
    for (const name of ['AWS_EC2_METADATA_DISABLED', 'AWS_EC2_METADATA_SERVICE_ENDPOINT', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  delete process.env.AWS_EC2_METADATA_DISABLED;
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = sim.httpUrl;
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
  process.env.AWS_CONFIG_FILE = '/nonexistent/config';
  const found = await addrs(`provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server endpoint=${sim.httpUrl}`);
  t.deepEqual(found, ALL_EU_SERVERS);
  t.true((sim.counts()['aws-imds'] ?? 0) >= 3, 'token, role name, role credentials');
});

test.serial('no keys and nothing in the default chain: a ProviderError that says how to give credentials', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const names = ['AWS_EC2_METADATA_DISABLED', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_ACCESS_KEY_ID', 'AWS_PROFILE'];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  t.teardown(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
  process.env.AWS_CONFIG_FILE = '/nonexistent/config';
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_PROFILE;
  await t.throwsAsync(addrs(`provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server endpoint=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    message: /^discover-aws: DescribeInstances failed: no credentials: .*give access_key_id and secret_access_key/,
  });
  // A profile that is not there: the error names it and the files it was looked up in.
  process.env.AWS_PROFILE = 'nosuch';
  await t.throwsAsync(addrs(`provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server endpoint=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    message:
      /^discover-aws: DescribeInstances failed: no credentials: .*; AWS_PROFILE=nosuch, looked up in \/nonexistent\/credentials and \/nonexistent\/config \(give/,
  });
  t.is(sim.counts()['aws-ec2'] ?? 0, 0);
});

// --- ECS -------------------------------------------------------------------------------------

function ecsFleet(): Fleet {
  const fleet = ec2Fleet();
  fleet.page_size = { 'aws-ecs': 2 };
  const task = (id: string, cluster: string, family: string, ip: string, tags: Record<string, string>, state?: string): FleetInstance => ({
    id,
    cloud: 'aws',
    region: 'eu-west-1',
    ecs: { cluster, family },
    tags,
    private_ipv4: ip,
    ...(state ? { state } : {}),
  });
  fleet.instances.push(
    task('t1', 'prod', 'consul', '10.8.0.1', { role: 'server' }),
    task('t2', 'prod', 'consul', '10.8.0.2', { role: 'server', env: 'prod' }),
    task('t3', 'prod', 'web', '10.8.0.3', { role: 'server' }),
    task('t4', 'prod', 'consul', '10.8.0.4', { role: 'client' }),
    task('t5', 'prod', 'consul', '10.8.0.5', { role: 'server' }, 'stopped'),
    task('t6', 'staging', 'consul', '10.8.1.1', { role: 'server' }),
    task('t7', 'batch', 'consul', '10.8.2.1', { role: 'server' }),
    task('t8', 'batch', 'consul', '10.8.2.2', { role: 'server' }),
  );
  return fleet;
}

test('service=ecs: every cluster page, every task page, DescribeTasks with tags, running tasks only', async (t) => {
  const sim = await startTestSim(t, ecsFleet(), [awsSim]);
  const found = await addrs(`provider=aws region=eu-west-1 service=ecs tag_key=role tag_value=server ${CREDS} endpoint=${sim.httpUrl}`);
  t.deepEqual(found.sort(), ['10.8.0.1', '10.8.0.2', '10.8.0.3', '10.8.1.1', '10.8.2.1', '10.8.2.2']);
  // ListClusters: 3 clusters at 2 a page = 2 calls; ListTasks: prod 4 running = 2, staging 1, batch 2 = 1 -> 4; DescribeTasks: 3.
  t.is(sim.counts()['aws-ecs'], 2 + 4 + 3);
});

test('service=ecs: 250 tasks take 3 ListTasks pages and 3 DescribeTasks batches of at most 100', async (t) => {
  const fleet = ec2Fleet();
  for (let i = 0; i < 250; i++) {
    fleet.instances.push({
      id: `big-${i}`,
      cloud: 'aws',
      region: 'eu-west-1',
      ecs: { cluster: 'big', family: 'consul' },
      tags: { role: 'server' },
      private_ipv4: `10.9.${i >> 8}.${i & 255}`,
    });
  }
  const sim = await startTestSim(t, fleet, [awsSim]);
  const found = await addrs(`provider=aws region=eu-west-1 service=ecs ecs_cluster=big tag_key=role tag_value=server ${CREDS} endpoint=${sim.httpUrl}`);
  t.is(found.length, 250);
  t.is(sim.counts()['aws-ecs'], 3 + 3);
});

test('service=ecs with ecs_cluster (name or ARN), ecs_family and several tags', async (t) => {
  const sim = await startTestSim(t, ecsFleet(), [awsSim]);
  const cfg = (rest: string) => `provider=aws region=eu-west-1 service=ecs ${rest} ${CREDS} endpoint=${sim.httpUrl}`;
  t.deepEqual(await addrs(cfg('ecs_cluster=prod ecs_family=consul tag_key=role tag_value=server')), ['10.8.0.1', '10.8.0.2']);
  t.deepEqual(
    await addrs(
      cfg(
        'ecs_cluster=arn:aws:ecs:eu-west-1:210987654321:cluster/prod tag_key=role tag_value=server tags=env=prod'.replace('tags=env=prod', 'tags="env=prod"'),
      ),
    ),
    ['10.8.0.2'],
  );
  await t.throwsAsync(addrs(cfg('ecs_cluster=nope tag_key=role tag_value=server')), {
    instanceOf: ProviderError,
    message: /^discover-aws: ListTasks failed: 400 ClusterNotFoundException: Cluster not found\./,
  });
});

test('service=ecs throttled (ThrottlingException, JSON error) is retried', async (t) => {
  const sim = await startTestSim(t, ecsFleet(), [awsSim]);
  sim.setFaults('aws-ecs', { error: 'throttle', error_count: 2 });
  const found = await addrs(`provider=aws region=eu-west-1 service=ecs ecs_cluster=staging tag_key=role tag_value=server ${CREDS} endpoint=${sim.httpUrl}`);
  t.deepEqual(found, ['10.8.1.1']);
  t.is(sim.counts()['aws-ecs'], 2 + 2);
});

test('service=ecs with a wrong secret is InvalidSignatureException', async (t) => {
  const sim = await startTestSim(t, ecsFleet(), [awsSim]);
  await t.throwsAsync(
    addrs(`provider=aws region=eu-west-1 service=ecs tag_key=role tag_value=server access_key_id=${KEY} secret_access_key=wrong endpoint=${sim.httpUrl}`),
    { instanceOf: ProviderError, message: /^discover-aws: ListClusters failed: 400 InvalidSignatureException: / },
  );
});

// --- faults ----------------------------------------------------------------------------------

test("the SDK's HTTP handler: no timer of its own (the call's deadline is the bound; its requestTimeout printed to the console past -q); its log lines go to the debug log", async (t) => {
  const lines: string[] = [];
  const http = createHttpClient();
  t.teardown(() => http.destroy());
  const ctx = {
    http,
    log: { ...silentLogger, debug: (line: string) => lines.push(line) },
    signal: new AbortController().signal,
    deadline: undefined,
    userAgent: 'test',
    env: {},
  };
  const client = createEc2Client({ region: 'eu-west-1', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' }, ctx);
  const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
  const config = await handler.configProvider;
  t.is(config.requestTimeout, undefined);
  t.is(config.socketTimeout, undefined);
  (config.logger as { warn(message: string): void }).warn('@smithy/node-http-handler - [WARN] a request has exceeded the configured 30000 ms requestTimeout.');
  t.deepEqual(lines, ['discover-aws: @smithy/node-http-handler - [WARN] a request has exceeded the configured 30000 ms requestTimeout.']);
  client.destroy();
});

test('latency below the timeout: success; above it: TimeoutError, promptly', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { latency_ms: 150 });
  t.deepEqual(await addrs(ec2Config(sim)), ALL_EU_SERVERS);
  // Far past any test's patience: only the 400 ms timeout can end the call, and it says so.
  sim.setFaults('aws-ec2', { latency_ms: 600_000 });
  await t.throwsAsync(addrs(ec2Config(sim), { timeout: 400 }), { instanceOf: TimeoutError, code: 'ERR_TIMEOUT', message: /timed out after 400 ms/ });
});

test('throttling (RequestLimitExceeded 503) twice, then success: retried by the one policy', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  sim.setFaults('aws-ec2', { error: 'throttle', error_count: 2 });
  t.deepEqual(await addrs(ec2Config(sim)), ALL_EU_SERVERS);
  t.is(sim.counts()['aws-ec2'], 5 + 2);
});

/** The sim's AWS module with `Retry-After: 1` added to EC2 throttling answers. */
function withRetryAfter(module: SimModule): SimModule {
  return {
    ...module,
    apis: module.apis.map((api) =>
      api.name !== 'aws-ec2'
        ? api
        : {
            ...api,
            errorResponse(kind, req, ctx) {
              const answer = api.errorResponse(kind, req, ctx);
              return kind === 'throttle' ? { ...answer, headers: { ...answer.headers, 'retry-after': '1' } } : answer;
            },
          },
    ),
  };
}

test('Retry-After on a throttle is honoured (waits ~1 s instead of the short backoff)', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [withRetryAfter(awsSim)]);
  sim.setFaults('aws-ec2', { error: 'throttle', error_count: 1 });
  // Through a recording front: the wait is read on the server side, SDK loading apart.
  const front = await startFront(t, sim.httpUrl);
  const lines: string[] = [];
  const logger = { debug() {}, info: (line: string) => lines.push(line), warn() {}, error() {} };
  t.deepEqual(await addrs(ec2Config(sim).replace(`endpoint=${sim.httpUrl}`, `endpoint=${front.url}`), { logger }), ALL_EU_SERVERS);
  t.is(sim.counts()['aws-ec2'], 2);
  // Retry-After: 1 -> 1000 ms plus a spread under 100 ms; ignored, the backoff would draw below 200 ms.
  t.true(
    lines.some((line) => /DescribeInstances.*; throttled, attempt 2 of 4 in 10\d\dms$/.test(line)),
    lines.join('\n'),
  );
  const waited = retryWaitMs(t, front, 503);
  t.true(waited >= 990, `the retry came ${waited.toFixed(0)} ms after the throttle left (Retry-After: 1)`);
});

test('500 InternalError once, then success', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { error: 500, error_count: 1 });
  t.deepEqual(await addrs(ec2Config(sim)), ALL_EU_SERVERS);
  t.is(sim.counts()['aws-ec2'], 2);
});

test('503 Unavailable on every call: 4 attempts, then a ProviderError with status and code', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { error: 'unavailable' });
  const err = await t.throwsAsync(addrs(ec2Config(sim)), {
    instanceOf: ProviderError,
    message: "discover-aws: DescribeInstances failed: 503 Unavailable: The server is overloaded and can't handle the request.",
  });
  t.is((err as ProviderError).status, 503);
  t.is(sim.counts()['aws-ec2'], 4);
});

test('auth rejection fault: AuthFailure, one attempt', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { auth_reject: true });
  await t.throwsAsync(addrs(ec2Config(sim)), { instanceOf: ProviderError, code: 'ERR_PROVIDER', message: /401 AuthFailure/ });
  t.is(sim.counts()['aws-ec2'], 1);
});

test('a malformed page is an error, never a partial list', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  sim.setFaults('aws-ec2', { malformed: true });
  await t.throwsAsync(addrs(ec2Config(sim)), {
    instanceOf: MalformedResponseError,
    message: /^discover-aws: DescribeInstances: malformed response: @aws-sdk XML parse error/,
  });
  t.is(sim.counts()['aws-ec2'], 1);
});

test('a truncated body is retried like a reset, then reported as cut short', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { truncated: true });
  await t.throwsAsync(addrs(ec2Config(sim)), {
    instanceOf: ProviderError,
    message: /^discover-aws: DescribeInstances failed: 200: response cut short: ECONNRESET: aborted$/,
  });
  t.is(sim.counts()['aws-ec2'], 4);
});

test('a reset connection is retried, then reported', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { reset: true });
  await t.throwsAsync(addrs(ec2Config(sim)), {
    instanceOf: ProviderError,
    message: 'discover-aws: DescribeInstances failed: ECONNRESET: socket hang up',
  });
  t.is(sim.counts()['aws-ec2'], 4);
});

// Serial: with the other tests' load on the event loop, pages may come slower than the bucket refills.
test.serial('a rate limit (token bucket) throttles the later pages; backoff gets every page', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  // One token every 250 ms: the pages are read one after another, so a faster bucket (20 a second)
  // throttled nothing when a loaded machine took over 50 ms a page. Backoff (4 attempts, up to 1.4 s
  // of full-jitter waits) still gets each page a token, when the jitter draws long waits: with
  // Math.random's own draws three short ones (all under 250 ms together, a few percent a page)
  // ended a page's four attempts before its token came. The draws are pinned near the top (the
  // test is serial); the jitter itself is test/jitter.test.ts's.
  const random = Math.random;
  Math.random = () => 0.99;
  t.teardown(() => {
    Math.random = random;
  });
  sim.setFaults('aws-ec2', { rate_limit: { rps: 4, burst: 1 } });
  t.deepEqual(await addrs(ec2Config(sim)), ALL_EU_SERVERS);
  t.true((sim.counts()['aws-ec2'] ?? 0) > 5, 'some requests were throttled');
});

test('aborting the call stops it with AbortError', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  sim.setFaults('aws-ec2', { latency_ms: 5000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await t.throwsAsync(engine.addrs(ec2Config(sim), { env: env(), signal: controller.signal }), { instanceOf: AbortError });
});

// --- proxies ---------------------------------------------------------------------------------

async function proxyCase(t: ExecutionContext, noProxy: string | undefined) {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  const proxy = await startTinyproxy(t);
  const port = new URL(sim.httpUrl).port;
  // IMDS at `localhost`, the API at `127.0.0.1`: the log tells them apart.
  const found = await addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, {
    env: env({
      HTTP_PROXY: proxy.url,
      HTTPS_PROXY: proxy.url,
      ...(noProxy ? { NO_PROXY: noProxy } : {}),
      AWS_EC2_METADATA_DISABLED: undefined,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://localhost:${port}`,
    }),
  });
  t.deepEqual(found, ALL_EU_SERVERS);
  return { requests: proxy.requests(), port };
}

test('HTTP_PROXY carries the API calls (tinyproxy log); IMDS never goes through the proxy', async (t) => {
  const { requests, port } = await proxyCase(t, undefined);
  t.true(requests.includes(`CONNECT 127.0.0.1:${port}`), requests.join('\n'));
  t.false(
    requests.some((line) => line.includes('localhost')),
    requests.join('\n'),
  );
});

test('NO_PROXY=127.0.0.1 bypasses the proxy: its log stays empty', async (t) => {
  const { requests } = await proxyCase(t, '127.0.0.1');
  t.deepEqual(requests, []);
});

test('an https endpoint through HTTPS_PROXY (CONNECT in the log), in a process that trusts the sim CA', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  const proxy = await startTinyproxy(t);
  const { execFile } = await import('node:child_process');
  // NODE_EXTRA_CA_CERTS is read at process start only, hence a child process.
  const script = [
    "const { Discover } = await import('./src/discover.ts');",
    "const aws = (await import('./providers/aws/index.ts')).default;",
    'const engine = new Discover({ builtins: false, providers: [aws] });',
    'console.log((await engine.addrs(process.env.CFG, { timeout: 20000 })).join(" "));',
  ].join('\n');
  const childEnv = {
    ...env({ HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: sim.caPath }),
    CFG: `provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpsUrl}`,
  };
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: childEnv, encoding: 'utf8' }, (err, out, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out),
    ),
  );
  t.deepEqual(stdout.trim().split(' '), ALL_EU_SERVERS);
  t.true(proxy.requests().includes(`CONNECT 127.0.0.1:${new URL(sim.httpsUrl).port}`), proxy.requests().join('\n'));
});

// --- direct descriptor call --------------------------------------------------------------------

test('discover() called directly with a context built from createHttpClient', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(5), [awsSim]);
  const callEnv = env();
  const http = createHttpClient({ env: callEnv });
  t.teardown(() => http.destroy());
  const targets = await aws.discover(
    {
      region: 'eu-west-1',
      tag_key: 'role',
      tag_value: 'nomad-server',
      tags: undefined,
      addr_type: 'private_v4',
      access_key_id: KEY,
      secret_access_key: SECRET,
      session_token: undefined,
      service: 'ec2',
      ecs_cluster: undefined,
      ecs_family: undefined,
      endpoint: sim.httpUrl,
    },
    { http, log: silentLogger, signal: new AbortController().signal, deadline: undefined, userAgent: http.userAgent, env: callEnv },
  );
  t.is(targets.length, 23);
});

// --- lazy weight -------------------------------------------------------------------------------

test('loading the descriptor loads no AWS SDK module (discover help stays light)', async (t) => {
  const { execFile } = await import('node:child_process');
  const script = [
    "const { createRequire } = await import('node:module');",
    "await import('./providers/aws/index.ts');",
    'const cache = Object.keys(createRequire(import.meta.url).cache);',
    'console.log(cache.filter((k) => /@aws-sdk|@smithy/.test(k)).length);',
  ].join('\n');
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
  t.is(stdout.trim(), '0');
});

test('off EC2 (instance metadata not answering) and no region: say what to give, then the cause', async (t) => {
  const sim = await startTestSim(t, ec2Fleet(), [awsSim]);
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const offEc2 = env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` });
  await t.throwsAsync(addrs(`provider=aws tag_key=role tag_value=nomad-server ${CREDS} endpoint=${sim.httpUrl}`, { env: offEc2 }), {
    instanceOf: ProviderError,
    message: /^discover-aws: region lookup failed: no region: give region= or set AWS_REGION \(no instance metadata answered: not on EC2\?\): .*ECONNREFUSED/,
  });
  t.is(sim.counts()['aws-ec2'] ?? 0, 0);
});

test('each throttle retry is said in the log; the page count line counts what is printed, repeats said', async (t) => {
  const fleet = ec2Fleet(5);
  // A second instance with a server's address: printed once, so counted once.
  fleet.instances.push({ id: 'i-repeat', cloud: 'aws', region: 'eu-west-1', tags: { role: 'nomad-server' }, private_ipv4: '10.0.1.0' });
  const sim = await startTestSim(t, fleet, [awsSim]);
  sim.setFaults('aws-ec2', { error: 'throttle', error_count: 2 });
  const lines: string[] = [];
  const logger = {
    debug: (m: string) => lines.push(m),
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  const found = await engine.addrs(ec2Config(sim), { env: env(), timeout: 20_000, logger });
  t.deepEqual(found, ALL_EU_SERVERS);
  const retries = lines.filter((line) => /attempt \d of 4 in \d+ms$/.test(line));
  t.is(retries.length, 2, lines.join('\n'));
  t.regex(retries[0] ?? '', /^discover-aws: DescribeInstances failed: 503 RequestLimitExceeded: .*; throttled, attempt 2 of 4 in \d+ms$/);
  t.regex(retries[1] ?? '', /; throttled, attempt 3 of 4 in \d+ms$/);
  t.true(lines.includes(`discover-aws: DescribeInstances: ${ALL_EU_SERVERS.length} addresses in 5 pages (1 repeated, dropped)`), lines.join('\n'));
});

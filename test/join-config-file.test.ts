import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { extractAgentJoin, mergeConfigDocs, readAgentConfig } from '../src/join/config-file.js';
import { JoinConfigError } from '../src/join/index.js';

const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'agent-configs', name);

test('Nomad server: server_join block, serf port from ports.serf', async (t) => {
  t.deepEqual(await readAgentConfig([fixture('nomad-server.hcl')]), {
    agent: 'nomad',
    mode: 'server',
    entries: ['provider=consul service=nomad tag=serf address=http://127.0.0.1:8500', '10.0.0.10', '[2001:db8::10]:4648'],
    retryIntervalMs: 15_000,
    retryMax: 3,
    defaultPort: 5648,
    warnings: [],
  });
});

test('Nomad client: client.server_join, RPC port 4647, defaults filled in', async (t) => {
  t.deepEqual(await readAgentConfig([fixture('nomad-client.hcl')]), {
    agent: 'nomad',
    mode: 'client',
    entries: ['exec=/usr/local/bin/nomad-servers --role server', 'nomad-servers.internal'],
    retryIntervalMs: 60_000,
    retryMax: 0,
    defaultPort: 4647,
    warnings: [],
  });
});

test('Nomad deprecated server fields are used, with Nomad warning', async (t) => {
  const cfg = await readAgentConfig([fixture('nomad-deprecated.hcl')]);
  t.deepEqual(cfg.entries, ['10.0.0.1', '10.0.0.2']);
  t.is(cfg.retryMax, 5);
  t.is(cfg.retryIntervalMs, 20_000);
  t.is(cfg.defaultPort, 4648);
  t.deepEqual(cfg.warnings, ['using deprecated retry_join fields. Upgrade configuration to use server_join']);
});

test('Nomad conflicting fields: Nomad validation text', async (t) => {
  await t.throwsAsync(readAgentConfig([fixture('nomad-conflict.hcl')]), {
    instanceOf: JoinConfigError,
    code: 'ERR_JOIN_CONFIG',
    message: /nomad-conflict.hcl: server_join and retry_join cannot both be defined; prefer setting the server_join block$/,
  });
});

test('Consul LAN and WAN from HCL; serf_lan port override', async (t) => {
  const lan = await readAgentConfig([fixture('consul.hcl')]);
  t.like(lan, { agent: 'consul', mode: 'lan', retryIntervalMs: 10_000, retryMax: 6, defaultPort: 9301 });
  t.deepEqual(lan.entries, ['provider=aws tag_key=consul tag_value=server region=eu-west-1', '10.0.1.5']);
  const wan = await readAgentConfig([fixture('consul.hcl')], { mode: 'wan' });
  t.deepEqual(wan, {
    agent: 'consul',
    mode: 'wan',
    entries: ['consul-dc2.example.internal'],
    retryIntervalMs: 30_000,
    retryMax: 0,
    defaultPort: 8302,
    warnings: [],
  });
});

test('Consul JSON config', async (t) => {
  t.like(await readAgentConfig([fixture('consul.json')]), { agent: 'consul', retryMax: 2, defaultPort: 8301, entries: ['10.0.2.1', '10.0.2.2:8301'] });
});

test('a folder merges its .hcl and .json files in order, Nomad-style (0 cannot reset, lists replace)', async (t) => {
  t.like(await readAgentConfig([fixture('nomad.d')]), { entries: ['10.0.4.1'], retryMax: 4, retryIntervalMs: 45_000, mode: 'server' });
});

test('mode mismatches and missing entries are config errors', async (t) => {
  await t.throwsAsync(readAgentConfig([fixture('consul.hcl')], { mode: 'server' }), {
    instanceOf: JoinConfigError,
    message: /mode server is for Nomad configs/,
  });
  await t.throwsAsync(readAgentConfig([fixture('nomad-server.hcl')], { mode: 'client' }), {
    instanceOf: JoinConfigError,
    message: /nomad-server.hcl: no client.server_join.retry_join entries$/,
  });
  await t.throwsAsync(readAgentConfig([fixture('missing.hcl')]), { instanceOf: JoinConfigError, message: /missing.hcl: no such file$/ });
});

test('HCL syntax errors and bad durations name the file and the field', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-cfg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'bad.hcl'), 'server { = }\n');
  await writeFile(join(dir, 'dur.hcl'), 'client {\n  server_join {\n    retry_join = ["a"]\n    retry_interval = "10 seconds"\n  }\n}\n');
  await t.throwsAsync(readAgentConfig([join(dir, 'bad.hcl')]), { instanceOf: JoinConfigError, message: /bad.hcl: .*Argument or block definition required/ });
  await t.throwsAsync(readAgentConfig([join(dir, 'dur.hcl')]), {
    instanceOf: JoinConfigError,
    message: /dur.hcl: client.server_join.retry_interval can't parse time duration 10 seconds$/,
  });
});

// Ported from hashicorp/nomad command/agent/retry_join_test.go TestRetryJoin_Validate (8 scenarios),
// written as the agent config documents that produce those structs.
const validateCases: Array<{ reason: string; doc: Record<string, unknown>; error?: string }> = [
  {
    reason: 'server_join cannot be defined if retry_join is defined on the server block',
    doc: { server: { server_join: { retry_join: ['127.0.0.1'] }, retry_join: ['127.0.0.1'] } },
    error: 'server_join and retry_join cannot both be defined; prefer setting the server_join block',
  },
  {
    reason: 'server_join cannot be defined if start_join is defined on the server block',
    doc: { server: { server_join: { retry_join: ['127.0.0.1'] }, start_join: ['127.0.0.1'] } },
    error: 'server_join and start_join cannot both be defined; prefer setting the server_join block',
  },
  {
    reason: 'server_join cannot be defined if retry_max_attempts is defined on the server block',
    doc: { server: { server_join: { retry_join: ['127.0.0.1'] }, retry_max: 1 } },
    error: 'server_join and retry_max cannot both be defined; prefer setting the server_join block',
  },
  {
    reason: 'server_join cannot be defined if retry_interval is defined on the server block',
    doc: { server: { server_join: { retry_join: ['127.0.0.1'], retry_interval: '1ns' }, retry_interval: '3s' } },
    error: 'server_join and retry_interval cannot both be defined; prefer setting the server_join block',
  },
  {
    reason: 'start_join and retry_join should not both be defined',
    doc: { server: { server_join: { retry_join: ['127.0.0.1'], start_join: ['127.0.0.1'] } } },
    error: 'retry_join and start_join cannot both be defined',
  },
  {
    reason: 'start_join should not be defined on the client',
    doc: { client: { server_join: { retry_join: [], start_join: ['127.0.0.1'] } } },
    error: 'start_join is not supported for Nomad clients',
  },
  { reason: 'client server_join should be valid', doc: { client: { server_join: { retry_join: ['127.0.0.1'] } } } },
  { reason: 'server server_join should be valid', doc: { server: { server_join: { retry_join: ['127.0.0.1'], retry_max: 1, retry_interval: '1ns' } } } },
];
for (const c of validateCases) {
  test(`nomad Validate: ${c.reason}`, (t) => {
    if (c.error) t.throws(() => extractAgentJoin(c.doc, 'agent.hcl'), { instanceOf: JoinConfigError, message: `agent.hcl: ${c.error}` });
    else t.deepEqual(extractAgentJoin(c.doc, 'agent.hcl').entries, ['127.0.0.1']);
  });
}

test('client start_join is refused even as an empty list (Nomad checks != nil)', (t) => {
  t.throws(() => extractAgentJoin({ client: { server_join: { retry_join: ['a'], start_join: [] } } }, 'x.hcl'), {
    message: 'x.hcl: start_join is not supported for Nomad clients',
  });
});

test('mergeConfigDocs: hcl2json block lists and plain objects merge alike', (t) => {
  t.deepEqual(
    mergeConfigDocs([{ server: [{ enabled: true, server_join: [{ retry_join: ['a'] }] }] }, { server: { enabled: false, server_join: { retry_max: 2 } } }]),
    {
      server: { enabled: true, server_join: { retry_join: ['a'], retry_max: 2 } },
    },
  );
});

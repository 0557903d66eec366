/**
 * The simulator cannot drift from the real API: what it serves has the same keys and value types
 * as the recorded samples in fixtures/ (README there says where they come from).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { Fleet } from '../../src/sim/fleet.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { blobFromKey, md5Fingerprint } from './keys.js';
import { signatureHeader } from './signer.js';
import tritonSim from './sim.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const { privateKey } = generateKeyPairSync('ed25519');
const blob = blobFromKey(privateKey);
const fleet: Fleet = {
  credentials: { triton: { account: 'acct', public_key: `ssh-ed25519 ${blob.toString('base64')} shape` } },
  instances: [{ id: 'm-1', cloud: 'triton', name: 'a', tags: { 'consul-role': 'server' }, private_ipv4: '10.0.0.1', public_ipv4: '203.0.113.1' }],
  services: [],
};

async function call(url: string, good: boolean) {
  const date = new Date().toUTCString();
  const signature = sign(null, Buffer.from(`date: ${good ? date : 'x'}`), privateKey);
  const response = await fetch(`${url}/acct/machines?tag.consul-role=server`, {
    headers: { date, authorization: signatureHeader(`/acct/keys/${md5Fingerprint(blob)}`, 'ed25519-sha512', signature) },
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

test("ListMachines has the recorded sample's shape and the paging headers", async (t) => {
  const sim = await startTestSim(t, fleet, [tritonSim]);
  const { status, headers, body } = await call(sim.httpUrl, true);
  t.is(status, 200);
  t.is(headers.get('x-resource-count'), '1');
  t.is(headers.get('x-query-limit'), '1000');
  const served = (body as Record<string, unknown>[])[0] as Record<string, unknown>;
  const recorded = fixture('list-machines.json')[0] as Record<string, unknown>;
  t.deepEqual(Object.keys(served).sort(), Object.keys(recorded).sort());
  for (const key of Object.keys(recorded)) t.is(kind(served[key]), kind(recorded[key]), key);
});

test("a bad signature has the recorded error's shape (401)", async (t) => {
  const sim = await startTestSim(t, fleet, [tritonSim]);
  const { status, body } = await call(sim.httpUrl, false);
  t.is(status, 401);
  t.deepEqual(body, fixture('error-invalid-credentials.json'));
});

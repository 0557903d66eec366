/**
 * triton, pure parts: SSH key encoding and fingerprints checked against ssh-keygen's own output,
 * the OpenSSH private key reader, the extractor and the URL as tables.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { machinesUrl, machineTargets, malformedPage } from './extract.js';
import { blobFromAuthorizedKey, blobFromKey, fingerprintMatches, md5Fingerprint, privateKeyFromText, publicKeyFromBlob, sha256Fingerprint } from './keys.js';

for (const type of ['rsa', 'ed25519'] as const) {
  test(`${type}: the OpenSSH private key reader, blob and fingerprints agree with ssh-keygen`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'autojoin-keys-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'k');
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    const key = privateKeyFromText(readFileSync(file, 'utf8'));
    const blob = blobFromAuthorizedKey(readFileSync(`${file}.pub`, 'utf8'));
    t.deepEqual(blobFromKey(key), blob);
    const md5 = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
    const sha = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
    t.is(`MD5:${md5Fingerprint(blob)}`, md5);
    t.is(sha256Fingerprint(blob), sha);
    t.true(fingerprintMatches(md5, blob) && fingerprintMatches(md5.slice(4), blob) && fingerprintMatches(sha, blob));
    t.false(fingerprintMatches('00:11', blob));
    // What the private key signs, the public key from the blob verifies.
    const hash = type === 'rsa' ? 'sha256' : null;
    t.true(verify(hash, Buffer.from('date: x'), publicKeyFromBlob(blob), sign(hash, Buffer.from('date: x'), key)));
  });
}

test('blobFromKey of a node-made RSA key round-trips through publicKeyFromBlob', (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  t.true(publicKeyFromBlob(blobFromKey(privateKey)).equals(publicKey));
});

test('machineTargets: primaryIp, with id, name and compute node; none is skipped', (t) => {
  t.deepEqual(
    machineTargets([
      { id: 'a', name: 'n', primaryIp: '10.0.0.1', compute_node: 'cn1', ips: ['10.0.0.1', '192.0.2.1'] },
      { id: 'b', primaryIp: null, ips: ['192.0.2.2'] },
      { id: 'c' },
    ]),
    { targets: [{ address: '10.0.0.1', id: 'a', name: 'n', zone: 'cn1' }], skipped: ['b', 'c'] },
  );
});

test('malformedPage and machinesUrl', (t) => {
  t.is(malformedPage([]), undefined);
  t.is(malformedPage({}), 'the response is not a JSON array');
  t.is(malformedPage([1]), 'machine 0 is not an object');
  t.is(
    machinesUrl('https://api.example.com/', 'acct', { key: 'role', value: 'consul server' }, 1000, 2000).href,
    'https://api.example.com/acct/machines?tag.role=consul+server&state=running&limit=1000&offset=2000',
  );
  t.is(machinesUrl('http://127.0.0.1:9/prefix', 'a b', undefined, 10, 0).href, 'http://127.0.0.1:9/prefix/a%20b/machines?state=running&limit=10&offset=0');
});

test('the recorded vendor sample goes through the extractor', (t) => {
  const sample = JSON.parse(readFileSync(new URL('./fixtures/list-machines.json', import.meta.url), 'utf8'));
  t.is(malformedPage(sample), undefined);
  t.deepEqual(machineTargets(sample).targets, [
    { address: '10.88.88.26', id: 'b6979942-7d5d-4fe6-a2ec-b812e950625a', name: 'test', zone: '564d0b8e-6099-7648-351e-877faf6c56f6' },
  ]);
});

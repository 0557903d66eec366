/**
 * SSH key plumbing for Triton's HTTP Signature auth, by hand (no maintained npm package fits: `sshpk`
 * last shipped in 2023 with five dependencies, `ssh-agent` in 2014): the SSH wire encoding of public
 * keys, their MD5/SHA256 fingerprints, JWK conversion for `node:crypto`, and an unencrypted
 * `OPENSSH PRIVATE KEY` reader (RSA and Ed25519). Pure.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** A reader over the SSH wire format (uint32 lengths, big-endian). */
export class SshReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.at >= this.buf.length;
  }
  uint32(): number {
    if (this.at + 4 > this.buf.length) throw new Error('truncated SSH data');
    const value = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }
  byte(): number {
    if (this.at + 1 > this.buf.length) throw new Error('truncated SSH data');
    return this.buf[this.at++] as number;
  }
  bytes(): Buffer {
    const length = this.uint32();
    if (this.at + length > this.buf.length) throw new Error('truncated SSH data');
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
  string(): string {
    return this.bytes().toString('utf8');
  }
}

export function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

const b64u = (b: Buffer) => b.toString('base64url');
const unsigned = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};
/** An SSH mpint: big-endian, with a leading zero when the high bit is set. */
const mpint = (b: Buffer) => {
  const u = unsigned(b);
  return sshString((u[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), u]) : u);
};

/** `a1:b2:...`, the MD5 fingerprint Triton key ids use. */
export function md5Fingerprint(blob: Buffer): string {
  return (createHash('md5').update(blob).digest('hex').match(/../g) as string[]).join(':');
}

/** `SHA256:<base64, no padding>`, as `ssh-keygen -l` prints it. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Whether `keyId` (`a1:b2:..`, `MD5:a1:b2:..` or `SHA256:...`) names the key of `blob`. */
export function fingerprintMatches(keyId: string, blob: Buffer): boolean {
  const id = keyId.trim();
  if (/^SHA256:/i.test(id)) return id.slice(7).replace(/=+$/, '') === sha256Fingerprint(blob).slice(7);
  return id.replace(/^MD5:/i, '').toLowerCase() === md5Fingerprint(blob);
}

/** The type of a public key blob (`ssh-rsa`, `ssh-ed25519`, ...). */
export function blobType(blob: Buffer): string {
  return new SshReader(blob).string();
}

/** A public key blob -> a `node:crypto` public key (RSA and Ed25519). */
export function publicKeyFromBlob(blob: Buffer): KeyObject {
  const r = new SshReader(blob);
  const type = r.string();
  if (type === 'ssh-rsa') {
    const e = r.bytes();
    const n = r.bytes();
    return createPublicKey({ key: { kty: 'RSA', e: b64u(unsigned(e)), n: b64u(unsigned(n)) }, format: 'jwk' });
  }
  if (type === 'ssh-ed25519') return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(r.bytes()) }, format: 'jwk' });
  throw new Error(`unsupported SSH key type ${type}`);
}

/** A `node:crypto` key (private or public) -> its SSH public key blob. */
export function blobFromKey(key: KeyObject): Buffer {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (jwk.kty === 'RSA')
    return Buffer.concat([sshString('ssh-rsa'), mpint(Buffer.from(jwk.e as string, 'base64url')), mpint(Buffer.from(jwk.n as string, 'base64url'))]);
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x as string, 'base64url'))]);
  throw new Error(`unsupported key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}`);
}

/** An `ssh-rsa AAAA... comment` line -> its blob. */
export function blobFromAuthorizedKey(line: string): Buffer {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data) throw new Error('not an OpenSSH public key line');
  const blob = Buffer.from(data, 'base64');
  if (blobType(blob) !== type) throw new Error('the key type does not match its data');
  return blob;
}

/**
 * A private key file's text -> a `node:crypto` private key: PEM (PKCS#1, PKCS#8) through node, and the
 * unencrypted `OPENSSH PRIVATE KEY` format (what `ssh-keygen` writes by default) read here.
 */
export function privateKeyFromText(text: string): KeyObject {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return createPrivateKey(text);
  const raw = Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.subarray(0, magic.length).toString('latin1') !== magic) throw new Error('not an openssh-key-v1 private key');
  const r = new SshReader(raw.subarray(magic.length));
  const cipher = r.string();
  r.string(); // kdf name
  r.bytes(); // kdf options
  if (cipher !== 'none') throw new Error('the key is encrypted with a passphrase: load it into ssh-agent instead (ssh-add), or decrypt a copy');
  if (r.uint32() !== 1) throw new Error('the file holds more than one key');
  r.bytes(); // public key
  const p = new SshReader(r.bytes());
  const check1 = p.uint32();
  const check2 = p.uint32();
  if (check1 !== check2) throw new Error('the key failed its check (corrupt file)');
  const type = p.string();
  if (type === 'ssh-rsa') {
    const n = unsigned(p.bytes());
    const e = unsigned(p.bytes());
    const d = unsigned(p.bytes());
    const qi = unsigned(p.bytes());
    const pp = unsigned(p.bytes());
    const q = unsigned(p.bytes());
    const big = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
    const buf = (v: bigint) => {
      const hex = v.toString(16);
      return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
    };
    const dp = big(d) % (big(pp) - 1n);
    const dq = big(d) % (big(q) - 1n);
    return createPrivateKey({
      key: { kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(pp), q: b64u(q), dp: b64u(buf(dp)), dq: b64u(buf(dq)), qi: b64u(qi) },
      format: 'jwk',
    });
  }
  if (type === 'ssh-ed25519') {
    const x = p.bytes();
    const secret = p.bytes();
    return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(x), d: b64u(secret.subarray(0, 32)) }, format: 'jwk' });
  }
  throw new Error(`unsupported SSH key type ${type} (RSA and Ed25519 are)`);
}

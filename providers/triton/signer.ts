/**
 * Triton's HTTP Signature (draft-cavage) over the `date` header, signed by a key held in ssh-agent
 * (as go-discover, through `SSH_AUTH_SOCK`) or read from a private key file (beyond go-discover).
 */
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { agentSign, listIdentities, RSA_SHA2_256 } from './agent.js';
import { blobFromKey, blobType, fingerprintMatches, md5Fingerprint, privateKeyFromText } from './keys.js';

/** Signs one `date` value: the `Authorization` header for it. */
export interface DateSigner {
  /** The MD5 fingerprint of the key (as the key id sends it). */
  fingerprint: string;
  authorization(date: string, signal?: AbortSignal): Promise<string>;
}

/** A problem with the signing key, before any request: named, without the key. */
export class SignerError extends Error {}

/** `Signature keyId="/<account>[/users/<user>]/keys/<md5>",algorithm="...",headers="date",signature="..."` */
export function signatureHeader(keyId: string, algorithm: string, signature: Buffer): string {
  return `Signature keyId="${keyId}",algorithm="${algorithm}",headers="date",signature="${signature.toString('base64')}"`;
}

export function keyPath(account: string, user: string | undefined, fingerprint: string): string {
  return user ? `/${account}/users/${user}/keys/${fingerprint}` : `/${account}/keys/${fingerprint}`;
}

/** The key in the running agent whose fingerprint is `keyId`. */
export async function agentSigner(socket: string, keyId: string, account: string, user: string | undefined, signal?: AbortSignal): Promise<DateSigner> {
  const identities = await listIdentities(socket, signal);
  const identity = identities.find((i) => fingerprintMatches(keyId, i.blob));
  if (!identity) throw new SignerError(`key_id ${keyId} is not among the ${identities.length} key(s) in the ssh-agent at SSH_AUTH_SOCK (ssh-add it)`);
  const type = blobType(identity.blob);
  const fingerprint = md5Fingerprint(identity.blob);
  return {
    fingerprint,
    async authorization(date, sig) {
      const { format, signature } = await agentSign(socket, identity.blob, Buffer.from(`date: ${date}`), type === 'ssh-rsa' ? RSA_SHA2_256 : 0, sig);
      const algorithm = format === 'rsa-sha2-256' ? 'rsa-sha256' : format === 'ssh-rsa' ? 'rsa-sha1' : format === 'ssh-ed25519' ? 'ed25519-sha512' : undefined;
      if (!algorithm) throw new SignerError(`ssh-agent signed with ${format}, which Triton does not take`);
      return signatureHeader(keyPath(account, user, fingerprint), algorithm, signature);
    },
  };
}

/** The private key in `file` (PEM or unencrypted OpenSSH); its fingerprint must be `keyId`. */
export async function fileSigner(file: string, keyId: string, account: string, user: string | undefined): Promise<DateSigner> {
  let key: KeyObject;
  try {
    key = privateKeyFromText(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
    throw new SignerError(`key_file ${file} cannot be used: ${reason}`);
  }
  const blob = blobFromKey(key);
  if (!fingerprintMatches(keyId, blob)) throw new SignerError(`key_file ${file} holds the key ${md5Fingerprint(blob)}, not key_id ${keyId}`);
  const fingerprint = md5Fingerprint(blob);
  const rsa = blobType(blob) === 'ssh-rsa';
  return {
    fingerprint,
    async authorization(date) {
      const signature = cryptoSign(rsa ? 'sha256' : null, Buffer.from(`date: ${date}`), key);
      return signatureHeader(keyPath(account, user, fingerprint), rsa ? 'rsa-sha256' : 'ed25519-sha512', signature);
    },
  };
}

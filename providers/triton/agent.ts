/**
 * The two ssh-agent requests Triton's signer needs (draft-miller-ssh-agent §4.4, §4.5), written by
 * hand over the agent's Unix socket: list the identities, sign data with one of them (RSA with
 * SHA-256, flag `SSH_AGENT_RSA_SHA2_256`). No maintained npm package does only this.
 */
import net from 'node:net';
import { SshReader, sshString } from './keys.js';

const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const FAILURE = 5;
export const RSA_SHA2_256 = 2;

export interface AgentIdentity {
  blob: Buffer;
  comment: string;
}

/** One request, one answer, on a fresh connection (closed after), bounded by `signal`. */
function roundTrip(socketPath: string, type: number, payload: Buffer, signal?: AbortSignal): Promise<{ type: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let got = Buffer.alloc(0);
    const done = (error?: Error, value?: { type: number; body: Buffer }) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(value as { type: number; body: Buffer });
    };
    const onAbort = () => done(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error) => done(new Error(`ssh-agent at SSH_AUTH_SOCK: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4) return;
      const length = got.readUInt32BE(0);
      if (got.length < 4 + length) return;
      done(undefined, { type: got[4] as number, body: got.subarray(5, 4 + length) });
    });
    socket.on('end', () => done(new Error('ssh-agent closed the connection without an answer')));
    const message = Buffer.concat([Buffer.from([type]), payload]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(message.length);
    socket.write(Buffer.concat([head, message]));
  });
}

export async function listIdentities(socketPath: string, signal?: AbortSignal): Promise<AgentIdentity[]> {
  const answer = await roundTrip(socketPath, REQUEST_IDENTITIES, Buffer.alloc(0), signal);
  if (answer.type !== IDENTITIES_ANSWER) throw new Error(`ssh-agent refused to list its keys (answer ${answer.type})`);
  const r = new SshReader(answer.body);
  const count = r.uint32();
  const identities: AgentIdentity[] = [];
  for (let i = 0; i < count; i++) identities.push({ blob: Buffer.from(r.bytes()), comment: r.string() });
  return identities;
}

/** The agent's signature of `data`: its algorithm name (`rsa-sha2-256`, `ssh-ed25519`) and raw bytes. */
export async function agentSign(
  socketPath: string,
  blob: Buffer,
  data: Buffer,
  flags: number,
  signal?: AbortSignal,
): Promise<{ format: string; signature: Buffer }> {
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32BE(flags);
  const answer = await roundTrip(socketPath, SIGN_REQUEST, Buffer.concat([sshString(blob), sshString(data), flagBytes]), signal);
  if (answer.type === FAILURE) throw new Error('ssh-agent refused to sign (the key is not loaded, or its use was not confirmed)');
  if (answer.type !== SIGN_RESPONSE) throw new Error(`ssh-agent gave an unexpected answer ${answer.type}`);
  const sig = new SshReader(new SshReader(answer.body).bytes());
  return { format: sig.string(), signature: Buffer.from(sig.bytes()) };
}

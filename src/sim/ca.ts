/**
 * The simulator's certificate authority. The CA lives in the user's state folder (see
 * {@link defaultSimDir}) so that a process started with `NODE_EXTRA_CA_CERTS=<dir>/ca.pem` trusts
 * every sim started later; the server certificate (`IP:127.0.0.1`, `DNS:localhost`) is issued
 * afresh per process. The CA's private key never lands in the folder the user happens to be in.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** File names inside the state folder. */
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
const LOCK_DIR = 'ca.lock';
/** A lock older than this was left by a crashed process. */
const STALE_LOCK_MS = 30_000;
/** A CA that expires sooner than this is replaced. */
const MIN_REMAINING_MS = 7 * 24 * 3600 * 1000;

export interface SimCa {
  /** Path of the CA certificate (for NODE_EXTRA_CA_CERTS). */
  caPath: string;
  caCert: string;
  caKey: string;
  /** Whether this call generated the CA (false: reused the files found). */
  created: boolean;
}

export interface ServerCert {
  cert: string;
  key: string;
}

/**
 * Where `discover sim` keeps its CA when no folder is given: `$AUTOJOIN_SIM_DIR` when set, else
 * `$XDG_STATE_HOME/autojoin/sim` (an absolute XDG_STATE_HOME only, as the XDG spec says), else
 * `~/.local/state/autojoin/sim`. Never the current folder: it holds the CA's private key.
 */
export function defaultSimDir(env: Record<string, string | undefined> = process.env): string {
  if (env.AUTOJOIN_SIM_DIR) return resolve(env.AUTOJOIN_SIM_DIR);
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'autojoin', 'sim');
}

/**
 * Reuse `stateDir/ca.pem` + `ca-key.pem` when both are present, parse, match and are not about to
 * expire; otherwise generate a new pair. Concurrent processes (ava workers) serialise on a lock
 * folder so they all end up trusting the same CA. A folder it creates gets mode 0700; both files are
 * written with mode 0600.
 */
export async function ensureCa(stateDir: string): Promise<SimCa> {
  // `mode` alone is narrowed by the umask and skipped for folders that exist: chmod what was made.
  const created = await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(stateDir, 0o700);
  const caPath = join(stateDir, CA_CERT_FILE);
  const keyPath = join(stateDir, CA_KEY_FILE);
  const found = await readValidCa(caPath, keyPath);
  if (found) return { caPath, ...found, created: false };

  const unlock = await lock(join(stateDir, LOCK_DIR));
  try {
    // Another process may have written it while we waited for the lock.
    const raced = await readValidCa(caPath, keyPath);
    if (raced) return { caPath, ...raced, created: false };
    const generated = await generateCa();
    await writeAtomic(keyPath, generated.caKey, 0o600);
    await writeAtomic(caPath, generated.caCert, 0o600);
    return { caPath, ...generated, created: true };
  } finally {
    await unlock();
  }
}

const issued = new Map<string, Promise<ServerCert>>();

/** A server certificate for `127.0.0.1` / `localhost` signed by `ca` (cached per CA in this process). */
export function issueServerCert(ca: Pick<SimCa, 'caCert' | 'caKey'>): Promise<ServerCert> {
  let cert = issued.get(ca.caCert);
  if (!cert) {
    cert = generateServerCert(ca);
    issued.set(ca.caCert, cert);
    cert.catch(() => issued.delete(ca.caCert));
  }
  return cert;
}

async function readValidCa(caPath: string, keyPath: string): Promise<{ caCert: string; caKey: string } | undefined> {
  let caCert: string;
  let caKey: string;
  try {
    [caCert, caKey] = await Promise.all([readFile(caPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch {
    return undefined;
  }
  return isUsableCa(caCert, caKey) ? { caCert, caKey } : undefined;
}

/** Whether a PEM pair is a CA certificate and its key, valid now and for a while yet. */
export function isUsableCa(caCert: string, caKey: string, now = Date.now()): boolean {
  try {
    const x509 = new X509Certificate(caCert);
    if (!x509.ca) return false;
    if (Date.parse(x509.validFrom) > now || Date.parse(x509.validTo) - now < MIN_REMAINING_MS) return false;
    return x509.checkPrivateKey(createPrivateKey(caKey));
  } catch {
    return false;
  }
}

async function generateCa(): Promise<{ caCert: string; caKey: string }> {
  const { generate } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'autojoin simulator CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { caCert: withNewline(pems.cert), caKey: withNewline(pems.private) };
}

/** PEM files end with a newline (`cat ca.pem other.pem` must not glue two lines together). */
function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

async function generateServerCert(ca: Pick<SimCa, 'caCert' | 'caKey'>): Promise<ServerCert> {
  const { generate } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { cert: ca.caCert, key: ca.caKey },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode); // the umask may have narrowed or the file pre-existed
  await rename(tmp, path);
}

async function lock(dir: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(dir);
      return () => rm(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await stat(dir).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_LOCK_MS) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      await sleep(25);
    }
  }
}

/**
 * `exec=` entries, as go-netaddrs runs them for Nomad: the command line is split on whitespace
 * (no shell: a `|` is an argument), stdout is whitespace-separated IPs, each optionally in double
 * quotes and with an IPv6 `%zone`. Error texts are go-netaddrs'. Two departures, both fixes:
 * the zone is kept (Nomad drops it), and the command runs under a timeout (go-netaddrs has none).
 */
import { isIP } from 'node:net';
import { AbortError, TimeoutError } from '../errors.js';
import { JoinConfigError, NetaddrsError } from './errors.js';
import { isSecretName, REDACTED, redactUserInfo, scrubError, userInfoSecrets } from '../redact.js';
import { printableLine } from '../text.js';
import { spawnGroup } from './process.js';

/** go-netaddrs reads at most this much of stderr into its error; more is noise. */
const STDERR_LIMIT = 1024;

/** The argv of an `exec=` entry: Go's `strings.Fields` over what follows `exec=`. */
export function execArgv(entry: string): string[] {
  return entry
    .slice('exec='.length)
    .split(/\s+/)
    .filter((field) => field !== '');
}

// Auth scheme words of an `Authorization:` header: the credential is the field after them.
const AUTH_SCHEME = /^(bearer|basic|digest|token|negotiate)$/i;

/**
 * The `exec=` entry's fields, each with what logs and errors may show of it, by the one name rule
 * ({@link isSecretName}): `--token=abc`, `password=abc`, `--api-key abc`, `--secret-id abc`, `-p abc`,
 * `Authorization: Bearer abc`, `--header=Authorization: Bearer abc`, and the user-info of a URL.
 */
function classifyExecFields(entry: string): Array<{ field: string; shown: string; secret?: string }> {
  const fields = entry.slice('exec='.length).split(/(\s+)/);
  let hideNext = false;
  return fields.map((field) => {
    if (field === '' || /^\s+$/.test(field)) return { field, shown: field };
    if (hideNext) {
      if (AUTH_SCHEME.test(field)) return { field, shown: field };
      hideNext = false;
      return { field, shown: REDACTED, secret: field };
    }
    const eq = field.indexOf('=');
    if (eq > 0) {
      const name = field.slice(0, eq);
      const value = field.slice(eq + 1);
      if (isSecretName(name)) {
        if (value === '') hideNext = true;
        return { field, shown: `${name}=${value === '' ? '' : REDACTED}`, secret: value };
      }
      // `--header=Authorization:` (the credential follows) or `-H=Authorization:Bearer` style values.
      if (value.endsWith(':') && isSecretName(value)) hideNext = true;
    } else if ((field.startsWith('-') || field.endsWith(':') || AUTH_SCHEME.test(field)) && isSecretName(field)) {
      hideNext = true;
    }
    // A URL's user-info, the field itself a URL or the value of `--url=`.
    const at = /^[a-z][a-z0-9+.-]*:\/\//i.test(field) ? 0 : field.indexOf('=') + 1;
    const secret = userInfoSecrets(field.slice(at))[0];
    return { field, shown: `${field.slice(0, at)}${redactUserInfo(field.slice(at))}`, ...(secret ? { secret } : {}) };
  });
}

/** The `exec=` entry as logs and errors show it: secret argument values and URL user-info become `***`. */
export function redactExecEntry(entry: string): string {
  return `exec=${classifyExecFields(entry)
    .map((f) => f.shown)
    .join('')}`;
}

/**
 * The secret values of an `exec=` entry: masked wherever the command's output or error text would
 * carry them into a message (a helper that prints its `--token` back).
 */
export function execSecrets(entry: string): string[] {
  const secrets: string[] = [];
  for (const { secret } of classifyExecFields(entry)) {
    if (secret === undefined || secret === '') continue;
    secrets.push(secret);
    secrets.push(...userInfoSecrets(`x://${secret}@`));
  }
  return secrets;
}

/**
 * Checks an `exec=` entry before the first attempt.
 * @throws JoinConfigError for a bare `exec=` (go-netaddrs would index an empty slice and panic)
 */
export function checkExecEntry(entry: string): void {
  if (execArgv(entry).length === 0) {
    throw new JoinConfigError(entry, `${entry.trim()}: no executable given after "exec="`);
  }
}

/**
 * Parses an executable's stdout into IP strings, zones kept (`fe80::1%eth0`).
 * @throws NetaddrsError with go-netaddrs' texts
 */
export function parseExecOutput(stdout: string): string[] {
  const fields = stdout.split(/\s+/).filter((field) => field !== '');
  if (fields.length === 0) throw new NetaddrsError('executable returned no output to stdout');
  return fields.map((field) => {
    const token = field.length >= 2 && field.startsWith('"') && field.endsWith('"') ? field.slice(1, -1) : field;
    const percent = token.indexOf('%');
    const ip = percent < 0 ? token : token.slice(0, percent);
    const zone = percent < 0 ? '' : token.slice(percent + 1);
    const version = isIP(ip);
    // A zone only means something on IPv6; go-netaddrs keeps whatever follows `%`, so reject the nonsense.
    if (version === 0 || (percent >= 0 && (version !== 6 || zone === '' || zone.includes('%')))) {
      throw new NetaddrsError(`executable returned invalid IP address: ${printableLine(ip, 100)}`);
    }
    return token;
  });
}

export interface ExecOptions {
  /** Kills the command's process group when it aborts (the loop's per-entry timeout aborts it too). */
  signal: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Most characters of stdout an `exec=` helper may print; past it the helper is killed and its entry fails. */
export const EXEC_OUTPUT_LIMIT = 1024 * 1024;
/** Longest line of stdout an `exec=` helper may print (an IPv6 address with a zone is under 64). */
export const EXEC_LINE_LIMIT = 4096;

/**
 * Runs an `exec=` entry in its own process group and returns the IPs it printed. The group is
 * killed when the helper exits (a background child holding stdout open does not hold the
 * entry up), when the signal aborts, and when the output passes its limits.
 * @throws NetaddrsError (exit code, no output, too much output, bad IP, cannot start), or the signal's reason when aborted
 */
export async function execAddrs(entry: string, options: ExecOptions): Promise<string[]> {
  checkExecEntry(entry);
  const [command, ...args] = execArgv(entry) as [string, ...string[]];
  const { signal } = options;
  // A helper that prints its own `--token` back (in stderr, or as a bad "IP") must not leak it.
  const secrets = execSecrets(entry);
  return new Promise((resolve, rejectRaw) => {
    const reject = (error: unknown) => rejectRaw(scrubError(error, secrets));
    if (signal.aborted) return reject(abortReason(signal, command));
    const { child, killGroup } = spawnGroup(command, args, { env: options.env });
    let stdout = '';
    let lineLength = 0;
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      killGroup();
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => finish(() => reject(abortReason(signal, command)));
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      const lines = chunk.split('\n');
      for (const [index, line] of lines.entries()) {
        lineLength = (index === 0 ? lineLength : 0) + line.length;
        if (lineLength > EXEC_LINE_LIMIT) break;
      }
      if (lineLength > EXEC_LINE_LIMIT) {
        return finish(() => reject(new NetaddrsError(`executable printed a line longer than ${EXEC_LINE_LIMIT} characters to stdout`)));
      }
      if (stdout.length + chunk.length > EXEC_OUTPUT_LIMIT) {
        return finish(() => reject(new NetaddrsError(`executable printed more than ${EXEC_OUTPUT_LIMIT} characters to stdout`)));
      }
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr = (stderr + chunk).slice(0, STDERR_LIMIT);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Go's exec error for a missing binary, so operators recognise it.
      const text = error.code === 'ENOENT' ? `exec: "${command}": executable file not found in $PATH` : error.message;
      finish(() => reject(new NetaddrsError(text, { cause: error })));
    });
    // The helper is done: whatever it left running is killed, which closes stdout and brings 'close'.
    child.on('exit', () => killGroup());
    child.on('close', (code, killedBy) => {
      finish(() => {
        if (code !== 0) {
          const status = code ?? (killedBy ? `signal ${killedBy}` : 'unknown');
          return reject(new NetaddrsError(`executable failed with exit code ${status}: ${printableLine(stderr.trim())}`));
        }
        try {
          resolve(parseExecOutput(stdout));
        } catch (error) {
          reject(error);
        }
      });
    });
  });
}

function abortReason(signal: AbortSignal, command: string): Error {
  const reason = signal.reason;
  if (reason instanceof TimeoutError) return timeoutError(command, reason);
  return reason instanceof Error ? reason : new AbortError(`exec ${command}`);
}

function timeoutError(command: string, timeout: TimeoutError): NetaddrsError {
  return new NetaddrsError(`executable ${command} timed out after ${timeout.timeoutMs} ms`, { cause: timeout });
}

/** The error of an `exec=` entry cut off by the loop's timeout: go-netaddrs' prefix, the command, the limit. */
export function execTimeout(entry: string, timeout: TimeoutError): NetaddrsError {
  return timeoutError(execArgv(entry)[0] ?? '', timeout);
}

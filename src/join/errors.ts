/**
 * Errors of the retry-join loop. They extend {@link AutojoinError} like every other error of
 * autojoin, so callers match on `code`.
 */
import { AutojoinError } from '../errors.js';

/**
 * A join entry that can never work, found before the first attempt: an empty `exec=`, a
 * malformed literal address. Waiting cannot heal it, so the loop fails at once (CLI exit 2).
 */
export class JoinConfigError extends AutojoinError {
  static override readonly configError = true;
  /** The entry at fault, with secrets redacted. */
  readonly entry: string;

  constructor(entry: string, message: string, options?: { cause?: unknown }) {
    super('ERR_JOIN_CONFIG', message, options);
    this.entry = entry;
  }
}

/** An address that cannot be turned into `host:port` (Go's `net.SplitHostPort` texts). */
export class InvalidAddressError extends AutojoinError {
  static override readonly configError = true;
  readonly address: string;

  constructor(address: string, reason: string) {
    super('ERR_INVALID_ADDRESS', `address ${address}: ${reason}`);
    this.address = address;
  }
}

/** An `exec=` entry failed (go-netaddrs' texts, plus a timeout it never had). */
export class NetaddrsError extends AutojoinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETADDRS', `failed to retrieve IP addresses from executable: ${message}`, options);
  }
}

/** A join COMMAND could not run or exited non-zero (the attempt failed; it is retried). */
export class JoinCommandError extends AutojoinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_JOIN_COMMAND', message, options);
  }
}

/** How one entry fared in the last attempt before the loop gave up. */
export interface EntryOutcome {
  /** The entry as given, with secrets redacted. */
  entry: string;
  /** Addresses the entry gave in the last attempt. */
  addresses: string[];
  /** Why it gave none, when it failed. */
  error?: Error;
  /**
   * In {@link RetryJoinExhaustedError} only: the entry's most recent error in any attempt (the
   * same as `error` when it failed in the last one; set too when it failed earlier and then answered).
   */
  lastError?: Error;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

/**
 * Every attempt failed: `retryMax + 1` attempts ran and none joined `minJoined` peers.
 * Carries each entry's outcome in the last attempt, with its most recent error of any attempt
 * (`entries[i].lastError`), and the last join error.
 */
export class RetryJoinExhaustedError extends AutojoinError {
  readonly attempts: number;
  readonly entries: readonly EntryOutcome[];
  /** The error of the last `join` call (or why it was not called: no addresses, too few joined). */
  readonly lastError: Error | undefined;

  constructor(attempts: number, entries: readonly EntryOutcome[], lastError: Error | undefined) {
    const lines = entries.map((e) => {
      if (e.error) return `  - ${e.entry}: ${oneLine(e.error.message)}`;
      const earlier = e.lastError ? ` (earlier: ${oneLine(e.lastError.message)})` : '';
      return `  - ${e.entry}: ${e.addresses.length} address(es)${earlier}`;
    });
    const last = lastError ? `: ${lastError.message}` : '';
    super('ERR_RETRY_JOIN_EXHAUSTED', `max join retry exhausted after ${attempts} attempt(s)${last}${lines.length ? `\n${lines.join('\n')}` : ''}`, {
      cause: lastError,
    });
    this.attempts = attempts;
    this.entries = entries;
    this.lastError = lastError;
  }
}

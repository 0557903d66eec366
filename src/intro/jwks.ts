/**
 * Verification keys by `kid`: a fixed set, or a JWKS fetched over HTTP (Nomad's
 * `/.well-known/jwks.json`), cached, and refreshed when a token names a `kid` it does not hold
 * (the servers rotated their root key), at most once per `minRefreshInterval`, so a flood of
 * tokens with made-up `kid`s costs at most one fetch per interval.
 */
import type { JWK } from 'jose';
import { toMs } from '../duration.js';
import type { HttpClient } from '../http/types.js';
import { IntroJwksError } from './errors.js';
import type { Jwks } from './keys.js';

/** Where verification finds the key named by a token's `kid`. */
export interface KeySource {
  key(kid: string): Promise<JWK | undefined>;
}

/** Checks a parsed JWKS document. @throws IntroJwksError naming what is wrong */
export function parseJwks(value: unknown, where: string): Jwks {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new IntroJwksError(where, 'not a JWKS (expected {"keys": [...]})');
  for (const [i, key] of keys.entries()) {
    if (key === null || typeof key !== 'object' || typeof (key as JWK).kty !== 'string') {
      throw new IntroJwksError(where, `keys[${i}] is not a JWK (no "kty")`);
    }
    if ((key as JWK).d !== undefined) throw new IntroJwksError(where, `keys[${i}] holds a private key; publish only public keys`);
  }
  return { keys: keys as JWK[] };
}

/** A fixed key set (a JWKS document, or its `keys`). */
export function staticKeys(keys: Jwks | readonly JWK[]): KeySource {
  const list = Array.isArray(keys) ? (keys as readonly JWK[]) : (keys as Jwks).keys;
  return { key: async (kid) => list.find((k) => k.kid === kid) };
}

export interface JwksCacheOptions {
  /** The JWKS URL, e.g. `https://nomad.example:4646/.well-known/jwks.json`. */
  url: string;
  /** The HTTP stack to fetch with. @default autojoin's (proxies from env, keep-alive, loopback guard) */
  http?: HttpClient;
  /** How long a fetched set is used before it is fetched again. @default '5m' */
  maxAge?: number | string;
  /** Least time between two fetches caused by an unknown `kid`. @default '30s' */
  minRefreshInterval?: number | string;
  /** Per-fetch timeout. @default '10s' */
  timeout?: number | string;
  /** Milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/**
 * A JWKS fetched on first use, cached for `maxAge`, and refreshed early when a token names an
 * unknown `kid`, no more often than `minRefreshInterval`. A failed scheduled refresh keeps the
 * keys it had (a JWKS endpoint blip does not refuse every token); with no keys yet, it throws.
 * @example
 * const jwks = new JwksCache({ url: 'http://127.0.0.1:4646/.well-known/jwks.json' });
 * await verifyIntroToken(jwt, { keys: jwks });
 */
export class JwksCache implements KeySource {
  readonly url: string;
  /** Fetches made so far (tests and metrics). */
  fetches = 0;
  private readonly maxAgeMs: number;
  private readonly minRefreshMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private http: HttpClient | undefined;
  private keys: JWK[] | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private lastError: Error | undefined;

  constructor(options: JwksCacheOptions) {
    this.url = options.url;
    this.http = options.http;
    this.maxAgeMs = toMs(options.maxAge ?? '5m', 'maxAge');
    this.minRefreshMs = toMs(options.minRefreshInterval ?? '30s', 'minRefreshInterval');
    this.timeoutMs = toMs(options.timeout ?? '10s', 'timeout');
    this.now = options.now ?? Date.now;
  }

  async key(kid: string): Promise<JWK | undefined> {
    // Still no keys and the last fetch failed: the endpoint is down; do not ask again before the interval.
    if (this.keys === undefined && this.lastError !== undefined && this.now() - this.fetchedAt < this.minRefreshMs) throw this.lastError;
    if (this.keys === undefined || this.now() - this.fetchedAt >= this.maxAgeMs) {
      await this.refresh(this.keys !== undefined);
    }
    const found = this.keys?.find((k) => k.kid === kid);
    if (found || this.now() - this.fetchedAt < this.minRefreshMs) return found;
    await this.refresh(false);
    return this.keys?.find((k) => k.kid === kid);
  }

  private refresh(keepOnFailure: boolean): Promise<void> {
    this.inFlight ??= this.fetch()
      .then((keys) => {
        this.keys = keys;
        this.lastError = undefined;
      })
      .catch((error: unknown) => {
        this.lastError = error as Error;
        if (!keepOnFailure || this.keys === undefined) throw error;
      })
      .finally(() => {
        // A failed fetch counts too: the bound holds against an endpoint that is down.
        this.fetchedAt = this.now();
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async fetch(): Promise<JWK[]> {
    this.fetches++;
    if (this.http === undefined) {
      const { createHttpClient } = await import('../http/index.js');
      this.http = createHttpClient();
    }
    let body: unknown;
    try {
      const response = await this.http.request(this.url, { timeoutMs: this.timeoutMs, headers: { accept: 'application/json' } });
      body = response.json();
    } catch (error) {
      throw new IntroJwksError(this.url, `cannot fetch: ${(error as Error).message}`, { cause: error });
    }
    return parseJwks(body, this.url).keys;
  }
}

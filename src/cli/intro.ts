/**
 * `discover intro keygen|create|inspect|verify`: client introduction tokens from the shell, with
 * Nomad's flags (`-node-pool`, `-node-name`, `-ttl`, `-json`; one dash or two, as Go's flag
 * package takes them) and its output text. Also the `discover join` flags that present a token.
 * Exit codes: 0 done (verify: admitted), 1 failed (verify: refused), 2 usage.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AutojoinError, UsageError } from '../errors.js';
import type { IntroTokenOption } from '../intro/present.js';
import { formatGoDuration } from '../join/clock.js';
import { lineLogger } from '../log.js';
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';

export const INTRO_USAGE = `Usage: discover intro <command> [flags]

Client introduction tokens, in Nomad's format (Nomad 1.11+ servers accept them).

Commands:
  keygen  [-alg EdDSA|RS256] [-kid ID] [-out DIR]
          write a signing key (DIR/intro-key.jwk, keep it secret) and its
          public JWKS (DIR/jwks.json); DIR defaults to the current folder
  create  -key FILE [-node-pool P] [-node-name N] [-ttl D] [-json]
          [-region R] [-issuer URL] [-default-ttl D] [-max-ttl D]
          mint a token (as "nomad node intro create"; pool default
          "default", TTL default 5m, clamped to 30m)
  inspect [TOKEN|-] [-json]
          print the claims and the expiry; the signature is NOT checked
  verify  [TOKEN|-] -jwks FILE|URL [-node-pool P] [-node-name N]
          [-region R] [-json]
          check the signature, expiry, audience, region and claims as a
          server would; exit 0 admitted, 1 refused (with the reason)

TOKEN: the JWT, "-" to read it from stdin, or none to read
NOMAD_CLIENT_INTRO_TOKEN (keeps the token out of the process list).
`;

/** Go's flag package takes `-name` and `--name`; node's parseArgs only `--name`. */
function goFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') return [...out, ...argv.slice(i)];
    out.push(/^-[a-z][a-z-]+(=.*)?$/.test(arg) ? `-${arg}` : arg);
  }
  return out;
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<T extends Options>(sub: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: goFlags(argv), options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`discover intro ${sub}: ${(error as Error).message}\n\n${INTRO_USAGE}`);
  }
}

/** Runs `discover intro ...`; the dispatcher hands it everything after `intro`. */
export async function runIntro(argv: string[], io: CliIo): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'keygen':
        return await keygen(rest, io);
      case 'create':
        return await create(rest, io);
      case 'inspect':
        return await inspect(rest, io);
      case 'verify':
        return await verify(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(INTRO_USAGE);
        return EXIT_OK;
      default:
        throw new UsageError(`discover intro: unknown command "${sub}"\n\n${INTRO_USAGE}`);
    }
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof AutojoinError && ['ERR_USAGE', 'ERR_INTRO_POLICY', 'ERR_INTRO_TOKEN_UNUSABLE'].includes(error.code) ? EXIT_USAGE : EXIT_FAILED;
  }
}

async function keygen(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('keygen', argv, { alg: { type: 'string' }, kid: { type: 'string' }, out: { type: 'string' } });
  if (values.help) return help(io);
  if (positionals.length > 0) throw new UsageError(`discover intro keygen: unexpected argument "${positionals[0]}"`);
  const alg = values.alg ?? 'EdDSA';
  if (alg !== 'EdDSA' && alg !== 'RS256') throw new UsageError(`-alg: "${alg}" is not one of EdDSA, RS256`);
  const { generateIntroKey } = await import('../intro/keys.js');
  const pair = await generateIntroKey({ alg, ...(values.kid ? { kid: values.kid } : {}) });
  const dir = resolve(io.cwd, values.out ?? '.');
  const keyPath = resolve(dir, 'intro-key.jwk');
  const jwksPath = resolve(dir, 'jwks.json');
  try {
    // Never overwrite a key: tokens signed with it would stop verifying.
    await writeFile(keyPath, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`discover intro keygen: cannot write ${keyPath}: ${code === 'EEXIST' ? 'it exists (remove it first)' : code}`);
  }
  await writeFile(jwksPath, `${JSON.stringify(pair.jwks, null, 2)}\n`);
  io.stdout(`Wrote signing key ${keyPath} (kid ${pair.privateJwk.kid}, ${alg}); keep it secret\nWrote public JWKS ${jwksPath}\n`);
  return EXIT_OK;
}

function help(io: CliIo): number {
  io.stdout(INTRO_USAGE);
  return EXIT_OK;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what}: ${path} is not JSON`);
  }
}

async function create(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('create', argv, {
    'node-pool': { type: 'string' },
    'node-name': { type: 'string' },
    ttl: { type: 'string' },
    json: { type: 'boolean' },
    key: { type: 'string' },
    region: { type: 'string' },
    issuer: { type: 'string' },
    'default-ttl': { type: 'string' },
    'max-ttl': { type: 'string' },
  });
  if (values.help) return help(io);
  // Nomad's uiMessageNoArguments
  if (positionals.length > 0) throw new UsageError('This command takes no arguments');
  if (values.key === undefined) throw new UsageError('discover intro create: -key FILE is required (make one with discover intro keygen)');
  const { parseGoDuration } = await import('../duration.js');
  if (values.ttl !== undefined && values.ttl !== '' && parseGoDuration(values.ttl) === undefined) {
    throw new UsageError(`Error parsing TTL: time: invalid duration ${JSON.stringify(values.ttl)}`);
  }
  const { validateIntroPolicy } = await import('../intro/policy.js');
  const policy = validateIntroPolicy({
    ...(values['default-ttl'] !== undefined ? { default_identity_ttl: values['default-ttl'] } : {}),
    ...(values['max-ttl'] !== undefined ? { max_identity_ttl: values['max-ttl'] } : {}),
  });
  const key = (await readJson(resolve(io.cwd, values.key), '-key')) as import('jose').JWK;
  const { createIntroToken } = await import('../intro/token.js');
  const jwt = await createIntroToken({
    key,
    policy,
    logger: lineLogger(io.stderr),
    ...(values['node-pool'] !== undefined ? { nodePool: values['node-pool'] } : {}),
    ...(values['node-name'] !== undefined ? { nodeName: values['node-name'] } : {}),
    ...(values.ttl ? { ttl: values.ttl } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.issuer !== undefined ? { issuer: values.issuer } : {}),
  });
  // Nomad's output: the response object with 4-space indents (-json), or its sentence.
  io.stdout(values.json ? `${JSON.stringify({ JWT: jwt }, null, 4)}\n` : `Successfully generated client introduction token:\n\n${jwt}\n`);
  return EXIT_OK;
}

/** TOKEN, `-` (stdin) or, when absent, NOMAD_CLIENT_INTRO_TOKEN. */
async function tokenArgument(positionals: string[], io: CliIo, sub: string): Promise<string> {
  if (positionals.length > 1) throw new UsageError(`discover intro ${sub}: one TOKEN at most`);
  const [given] = positionals;
  if (given === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  const token = given ?? io.env.NOMAD_CLIENT_INTRO_TOKEN;
  if (!token) throw new UsageError(`discover intro ${sub}: no TOKEN given and NOMAD_CLIENT_INTRO_TOKEN is not set`);
  return token.trim();
}

const iso = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : '-');

function expiry(expSeconds: unknown, now: number): string {
  if (typeof expSeconds !== 'number') return 'never (no exp claim)';
  const left = expSeconds * 1000 - now;
  const span = formatGoDuration(Math.floor(Math.abs(left) / 1000) * 1000);
  return `${iso(expSeconds)} (${left > 0 ? `in ${span}` : `expired ${span} ago`})`;
}

async function inspect(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('inspect', argv, { json: { type: 'boolean' } });
  if (values.help) return help(io);
  const token = await tokenArgument(positionals, io, 'inspect');
  const { decodeIntroToken, parseIntroSubject } = await import('../intro/token.js');
  const { header, claims } = decodeIntroToken(token);
  const now = Date.now();
  if (values.json) {
    const expiresIn = typeof claims.exp === 'number' ? Math.floor((claims.exp * 1000 - now) / 1000) : null;
    io.stdout(
      `${JSON.stringify({ header, claims, expires_in_s: expiresIn, expired: expiresIn !== null && expiresIn <= 0, signature_checked: false }, null, 2)}\n`,
    );
    return EXIT_OK;
  }
  const sub = parseIntroSubject(claims.sub);
  const rows: Array<[string, string]> = [
    ['Algorithm', String(header.alg ?? '-')],
    ['Key ID', String(header.kid ?? '-')],
    ['Node pool', String(claims.nomad_node_pool ?? '-')],
    ['Node name', claims.nomad_node_name === '' ? '(any)' : String(claims.nomad_node_name ?? '-')],
    ['Region', sub?.region ?? '-'],
    ['Subject', String(claims.sub ?? '-')],
    ['Audience', Array.isArray(claims.aud) ? claims.aud.join(', ') : String(claims.aud ?? '-')],
    ['Issuer', String(claims.iss ?? '-')],
    ['Token ID', String(claims.jti ?? '-')],
    ['Issued', iso(claims.iat)],
    ['Not before', iso(claims.nbf)],
    ['Expires', expiry(claims.exp, now)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  io.stdout(rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join(''));
  io.stdout(
    `${sub ? '' : 'This is not a node introduction token (sub is not node-introduction:...).\n'}Signature NOT checked; use "discover intro verify" to check it.\n`,
  );
  return EXIT_OK;
}

async function verify(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('verify', argv, {
    jwks: { type: 'string' },
    'node-pool': { type: 'string' },
    'node-name': { type: 'string' },
    region: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help(io);
  if (values.jwks === undefined) throw new UsageError('discover intro verify: -jwks FILE|URL is required (a Nomad server serves /.well-known/jwks.json)');
  const token = await tokenArgument(positionals, io, 'verify');
  const { parseJwks, JwksCache } = await import('../intro/jwks.js');
  const keys = /^https?:\/\//.test(values.jwks)
    ? new JwksCache({ url: values.jwks, http: (await import('../http/index.js')).createHttpClient({ env: io.env }) })
    : parseJwks(await readJson(resolve(io.cwd, values.jwks), '-jwks'), values.jwks);
  const { verifyIntroToken } = await import('../intro/verify.js');
  const { IntroJwksError, IntroTokenError } = await import('../intro/errors.js');
  const pool = values['node-pool'] || 'default';
  const name = values['node-name'];
  let reason: string | undefined;
  let code: string | undefined;
  let verified: Awaited<ReturnType<typeof verifyIntroToken>> | undefined;
  try {
    verified = await verifyIntroToken(token, { keys, ...(values.region !== undefined ? { region: values.region } : {}) });
    if (verified.nodePool !== pool) reason = `claims mismatch: the token is for node pool "${verified.nodePool}", the node is in "${pool}"`;
    else if (name !== undefined && verified.nodeName !== '' && verified.nodeName !== name) {
      reason = `claims mismatch: the token is for node name "${verified.nodeName}", the node is "${name}"`;
    }
    if (reason) code = 'ERR_INTRO_CLAIMS_MISMATCH';
  } catch (error) {
    if (!(error instanceof IntroTokenError || error instanceof IntroJwksError)) throw error;
    reason = error.message;
    code = error.code;
  }
  const now = Date.now();
  if (values.json) {
    const admitted = reason === undefined;
    const body = admitted
      ? {
          admitted,
          node_pool: verified?.nodePool,
          node_name: verified?.nodeName,
          region: verified?.region,
          kid: verified?.kid,
          alg: verified?.alg,
          expires_at: new Date(verified?.expiresAt ?? 0).toISOString(),
          expires_in_s: Math.floor(((verified?.expiresAt ?? 0) - now) / 1000),
        }
      : { admitted, code, reason };
    io.stdout(`${JSON.stringify(body)}\n`);
  } else if (reason === undefined && verified) {
    const nameText = verified.nodeName === '' ? 'any node name' : `node name "${verified.nodeName}"`;
    io.stdout(
      `Admitted: node pool "${verified.nodePool}", ${nameText}, region ${verified.region}, key ${verified.kid} (${verified.alg})\nExpires: ${expiry(verified.expiresAt / 1000, now)}\n`,
    );
  } else {
    io.stdout(`Refused: ${reason}\n`);
  }
  return reason === undefined ? EXIT_OK : EXIT_FAILED;
}

// --- presenting a token with `discover join` ---

/** The `discover join` flags that present a token (merged into its parseArgs options). */
export const INTRO_JOIN_OPTIONS = {
  'intro-token': { type: 'string' },
  'intro-token-env': { type: 'string' },
  'state-dir': { type: 'string' },
} as const;

export const INTRO_JOIN_USAGE = `  --intro-token JWT    client introduction token for COMMAND; the variable
                       (NOMAD_CLIENT_INTRO_TOKEN) beats it, then
                       STATE_DIR/intro_token.jwt; COMMAND gets it in the variable
  --intro-token-env V  the variable's name (default NOMAD_CLIENT_INTRO_TOKEN)
  --state-dir DIR      folder holding intro_token.jwt
`;

export interface IntroJoinValues {
  'intro-token'?: string;
  'intro-token-env'?: string;
  'state-dir'?: string;
}

/**
 * The `introToken` option for retryJoin from `discover join`'s flags; undefined when none is
 * set and the variable is absent (no token, no change to the loop).
 */
export function introJoinOption(values: IntroJoinValues, io: CliIo, quiet: boolean): IntroTokenOption | undefined {
  const envName = values['intro-token-env'] ?? 'NOMAD_CLIENT_INTRO_TOKEN';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName)) throw new UsageError(`--intro-token-env: "${envName}" is not a variable name`);
  if (values['intro-token'] === undefined && values['state-dir'] === undefined && io.env[envName] === undefined) return undefined;
  return {
    env: io.env,
    envName,
    ...(values['intro-token'] !== undefined ? { token: values['intro-token'] } : {}),
    ...(values['state-dir'] !== undefined ? { stateDir: resolve(io.cwd, values['state-dir']) } : {}),
    ...(quiet ? {} : { warn: (message: string) => io.stderr(`[WARN] ${message}\n`) }),
  };
}

/** The io for COMMAND: its environment carries the token under the variable's name. */
export function introCommandIo(io: CliIo, values: IntroJoinValues, token: string | undefined): CliIo {
  if (token === undefined) return io;
  return { ...io, env: { ...io.env, [values['intro-token-env'] ?? 'NOMAD_CLIENT_INTRO_TOKEN']: token } };
}

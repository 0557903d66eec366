/**
 * Validates the raw `key=value` pairs of a config string against a provider's schema, before any
 * network call: aliases, environment fallbacks, defaults, coercion, required keys, enum membership,
 * then the provider's own cross-argument checks. Every problem is reported at once.
 */
import { parseGoBool, parseGoDuration } from './duration.js';
import { type ArgProblem, ProviderArgsError } from './errors.js';
import type { AnyProvider, ArgRule, ArgSchema, ArgSpec } from './provider.js';
import { ipVersion, splitHostPort } from './address.js';
import { didYouMean } from './suggest.js';
import { REDACTED, redactUserInfo, scrubSecrets, userInfoSecrets } from './redact.js';

/** Keys every provider accepts besides its own schema. */
const RESERVED = new Set(['provider']);

export interface ValidateOptions {
  /** Environment for `env` fallbacks. @default process.env */
  env?: Record<string, string | undefined>;
  /** Unknown keys become warnings instead of errors. @default false */
  lenient?: boolean;
}

export interface ValidatedArgs {
  /** Typed values by schema key (absent optional keys are undefined). */
  args: Record<string, unknown>;
  /** Messages for ignored unknown keys (lenient mode) and deprecated aliases. */
  warnings: string[];
  /** Where each value came from, for `discover check`: `config`, `env NAME`, `default`. */
  sources: Record<string, string>;
}

/**
 * @throws ProviderArgsError listing every problem
 * @example validateArgs(aws, parseConfig('provider=aws tag_key=role tag_value=x'))
 */
export function validateArgs(provider: AnyProvider, raw: ReadonlyMap<string, string>, options: ValidateOptions = {}): ValidatedArgs {
  const env = options.env ?? process.env;
  const schema: ArgSchema = provider.args;
  const problems: ArgProblem[] = [];
  // Unknown keys leave the typed arguments whole, so the provider's own checks can still run.
  let unknownKeys = 0;
  const warnings: string[] = [];
  const args: Record<string, unknown> = {};
  const sources: Record<string, string> = {};

  const known = new Set<string>(RESERVED);
  for (const [key, spec] of Object.entries(schema)) {
    known.add(key);
    for (const alias of spec.aliases ?? []) known.add(alias);
  }
  for (const key of raw.keys()) {
    if (known.has(key)) continue;
    const message = `unknown argument "${key}"${didYouMean(key, Object.keys(schema))}`;
    if (options.lenient) warnings.push(`discover-${provider.name}: ignoring ${message}`);
    else {
      problems.push({ key, message });
      unknownKeys++;
    }
  }

  for (const [key, spec] of Object.entries(schema)) {
    let text: string | undefined;
    let source = 'config';
    let usedKey = key;
    // An empty value counts as absent, as in go-discover (`key=""`).
    for (const candidate of [key, ...(spec.aliases ?? [])]) {
      const value = raw.get(candidate);
      if (value !== undefined && value !== '') {
        text = value;
        usedKey = candidate;
        break;
      }
    }
    if (text === undefined) {
      for (const name of spec.env ?? []) {
        const value = env[name];
        if (value !== undefined && value !== '') {
          text = value;
          source = `env ${name}`;
          break;
        }
      }
    }
    if (text === undefined) {
      if (spec.default !== undefined) {
        args[key] = defaultValue(spec);
        sources[key] = 'default';
      } else if (spec.required) {
        const envHint = spec.env?.length ? ` (or set ${spec.env.join(' or ')})` : '';
        problems.push({ key, message: `missing required argument "${key}"${envHint}` });
      }
      continue;
    }
    const coerced = coerce(usedKey, text, spec, source);
    if ('problem' in coerced) problems.push(coerced.problem);
    else {
      args[key] = coerced.value;
      sources[key] = source;
    }
  }

  // The provider's own checks need every value parsed; a mistyped key or a broken rule does not stop
  // them, so a typo, a rule and a missing condition come out in one run, not one run each.
  const valuesParsed = problems.length === unknownKeys;
  problems.push(...checkRules(provider.rules ?? [], sources, problems));
  if (valuesParsed && provider.validate) problems.push(...provider.validate(args as never));
  // A provider's own messages may quote a value (`address "http://u:p@h" is not ...`): every known
  // secret value, and any URL's user-info, is masked before a message leaves.
  const secrets = configSecrets(provider, raw, args);
  for (const problem of problems) problem.message = scrubSecrets(problem.message, secrets);
  if (problems.length > 0) throw new ProviderArgsError(provider.name, problems);
  return { args, warnings: warnings.map((warning) => scrubSecrets(warning, secrets)), sources };
}

function defaultValue(spec: ArgSpec): unknown {
  if (spec.type === 'duration') return parseGoDuration(spec.default as string);
  if (spec.type === 'list') return [...(spec.default as readonly string[])];
  return spec.default;
}

type Coerced = { value: unknown } | { problem: ArgProblem };

function coerce(key: string, text: string, spec: ArgSpec, source: string): Coerced {
  const shown = spec.secret ? REDACTED : JSON.stringify(redactUserInfo(text));
  const from = source === 'config' ? '' : ` (from ${source})`;
  const bad = (why: string): Coerced => ({ problem: { key, message: `${key}: ${shown}${from} ${why}` } });
  switch (spec.type) {
    case 'string':
      return { value: text };
    case 'bool': {
      const value = parseGoBool(text);
      return value === undefined ? bad('is not a boolean (use true or false)') : { value };
    }
    case 'int': {
      if (!/^[-+]?\d+$/.test(text)) return bad('is not an integer');
      const value = Number(text);
      if (spec.min !== undefined && value < spec.min) return bad(`is below the minimum ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) return bad(`is above the maximum ${spec.max}`);
      return { value };
    }
    case 'duration': {
      const value = parseGoDuration(text);
      if (value === undefined) return bad('is not a duration (use Go syntax such as 500ms, 5s, 1m30s)');
      if (value < 0) return bad('is negative');
      return { value };
    }
    case 'enum':
      if (spec.values.includes(text)) return { value: text };
      if (spec.refused?.[text]) return bad(`is not one of ${spec.values.join(', ')}: ${spec.refused[text]}`);
      return bad(`is not one of ${spec.values.join(', ')}${didYouMean(text, spec.values)}`);
    case 'url': {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return bad('is not an absolute URL (e.g. https://host:port)');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('is not an http or https URL');
      return { value: text };
    }
    case 'list': {
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const values = spec.values;
      const wrong = values ? items.filter((item) => !values.includes(item)) : [];
      if (values && wrong.length > 0) {
        const first = wrong[0] as string;
        return bad(`has ${JSON.stringify(first)}, which is not one of ${values.join(', ')}${didYouMean(first, values)}`);
      }
      return { value: items };
    }
    case 'hostport': {
      const parsed = splitHostPort(text);
      if (!parsed) return bad('is not host, host:port or [IPv6]:port');
      if (spec.ipOnly && ipVersion(parsed.host) === undefined) return bad('does not start with an IP address (host names are not accepted here)');
      if (spec.portRequired && parsed.port === undefined) return bad('has no port (use host:port)');
      return { value: text };
    }
  }
}

const joinAnd = (keys: readonly string[]) => (keys.length <= 2 ? keys.join(' and ') : `${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1]}`);
const withWhy = (message: string, why: string | undefined, separator: string) => (why ? `${message}${separator}${why}` : message);

/**
 * The cross-argument rules of a schema, each in one message format. A key counts as given when
 * it came from the config or the environment (not from a default). Keys already at fault are
 * left to their own message.
 */
export function checkRules(rules: readonly ArgRule[], sources: Readonly<Record<string, string>>, already: readonly ArgProblem[] = []): ArgProblem[] {
  const faulty = new Set(already.map((p) => p.key));
  const given = (key: string) => faulty.has(key) || (sources[key] !== undefined && sources[key] !== 'default');
  const problems: ArgProblem[] = [];
  for (const rule of rules) {
    if ('together' in rule) {
      const present = rule.together.filter(given);
      const missing = rule.together.find((key) => !given(key));
      if (present.length > 0 && missing !== undefined) {
        const all = rule.together.length === 2 ? ['both', 'neither'] : ['all', 'none'];
        problems.push({ key: missing, message: withWhy(`${joinAnd(rule.together)} go together: give ${all[0]}, or ${all[1]}`, rule.why, ' ') });
      }
    } else if ('requires' in rule) {
      if (given(rule.requires) && !rule.needs.every(given)) {
        problems.push({ key: rule.requires, message: withWhy(`${rule.requires} needs ${joinAnd(rule.needs)}`, rule.why, ': ') });
      }
    } else {
      const groups = rule.oneOf.map((group) => ({ group, present: group.filter(given) }));
      const used = groups.filter((g) => g.present.length > 0);
      const choices = rule.oneOf.map(joinAnd).join(', or ');
      if (used.length > 1) {
        problems.push({ key: used[0]?.group[0] as string, message: withWhy(`use either ${choices}, not both`, rule.why, ': ') });
      } else if (used.length === 1) {
        const { group, present } = used[0] as (typeof groups)[number];
        const missing = group.find((key) => !given(key));
        if (missing !== undefined) problems.push({ key: missing, message: `${missing} is required with ${joinAnd(present)}` });
      } else if (rule.required) {
        problems.push({ key: rule.oneOf[0]?.[0] as string, message: withWhy(`give ${choices}`, rule.why, ': ') });
      }
    }
  }
  return problems;
}

/**
 * The cross-argument problems of already-typed arguments: the schema's rules (every key with a
 * value counts as given), then the provider's own `validate`. For table tests of a descriptor.
 */
export function crossArgProblems(provider: AnyProvider, args: Readonly<Record<string, unknown>>): ArgProblem[] {
  const sources = Object.fromEntries(Object.entries(args).flatMap(([key, value]) => (value === undefined ? [] : [[key, 'config']])));
  const problems = checkRules(provider.rules ?? [], sources);
  return [...problems, ...(provider.validate?.(args as never) ?? [])];
}

/** Keys (and aliases) a provider marks secret, for redaction. */
export function secretKeys(provider: AnyProvider): Set<string> {
  const keys = new Set<string>();
  for (const [key, spec] of Object.entries(provider.args)) {
    if (!spec.secret) continue;
    keys.add(key);
    for (const alias of spec.aliases ?? []) keys.add(alias);
  }
  return keys;
}

/** Every key a provider accepts (schema keys, aliases, `provider`): the rest are masked when printed. */
export function knownKeys(provider: AnyProvider): Set<string> {
  const keys = new Set<string>(RESERVED);
  for (const [key, spec] of Object.entries(provider.args)) {
    keys.add(key);
    for (const alias of spec.aliases ?? []) keys.add(alias);
  }
  return keys;
}

/**
 * The secret values of a config, for scrubbing free text (errors, log lines): the values of the
 * provider's secret keys (given or taken from the environment) and the user-info of every URL-like
 * value. (Unknown keys never reach a provider; the printer masks their values.)
 */
export function configSecrets(provider: AnyProvider, raw: ReadonlyMap<string, string>, args: Record<string, unknown> = {}): string[] {
  const secret = secretKeys(provider);
  const values: string[] = [];
  for (const [key, value] of raw) {
    if (secret.has(key)) values.push(value);
    values.push(...userInfoSecrets(value));
  }
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== 'string') continue;
    if (secret.has(key)) values.push(value);
    values.push(...userInfoSecrets(value));
  }
  return values;
}

/** Validated args as `check --format json` prints them: secret values `***`, URL user-info masked. */
export function redactArgs(provider: AnyProvider, args: Record<string, unknown>): Record<string, unknown> {
  const secret = secretKeys(provider);
  const shown = (value: unknown): unknown => {
    if (typeof value === 'string') return redactUserInfo(value);
    if (Array.isArray(value)) return value.map(shown);
    return value;
  };
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, secret.has(key) && value !== undefined ? REDACTED : shown(value)]));
}

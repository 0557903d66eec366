/**
 * Validates the raw `key=value` pairs of a config string against a provider's schema, before any
 * network call: aliases, environment fallbacks, defaults, coercion, required keys, enum membership,
 * then the provider's own cross-argument checks. Every problem is reported at once.
 */
import { parseGoBool, parseGoDuration } from './duration.js';
import { type ArgProblem, ProviderArgsError } from './errors.js';
import type { AnyProvider, ArgSchema, ArgSpec } from './provider.js';
import { didYouMean } from './suggest.js';
import { REDACTED } from './redact.js';

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

  // A mistyped key and a missing condition come out in one run, not one run each.
  if (problems.length === unknownKeys && provider.validate) problems.push(...provider.validate(args as never));
  if (problems.length > 0) throw new ProviderArgsError(provider.name, problems);
  return { args, warnings, sources };
}

function defaultValue(spec: ArgSpec): unknown {
  if (spec.type === 'duration') return parseGoDuration(spec.default as string);
  if (spec.type === 'list') return [...(spec.default as readonly string[])];
  return spec.default;
}

type Coerced = { value: unknown } | { problem: ArgProblem };

function coerce(key: string, text: string, spec: ArgSpec, source: string): Coerced {
  const shown = spec.secret ? REDACTED : JSON.stringify(text);
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
    case 'list':
      return {
        value: text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      };
  }
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

/**
 * The provider contract. A provider is one typed descriptor: its arguments' schema drives
 * validation, `discover help <name>`, `docs/providers/<name>.md` and the CLI; its `discover`
 * function turns validated arguments into targets.
 *
 * @example
 * export default defineProvider({
 *   name: 'static',
 *   summary: 'Fixed addresses, for tests.',
 *   args: { addrs: { type: 'list', required: true, help: 'Comma-separated addresses.' } },
 *   async discover(args) { return args.addrs.map((address) => ({ address })); },
 * });
 */
import type { ArgProblem } from './errors.js';
import type { HttpClient } from './http/types.js';
import type { Logger } from './log.js';

interface ArgBase {
  /** One sentence for `discover help` and the generated docs. */
  help: string;
  /** Validation fails when the key is absent (or empty) and no env fallback or default fills it. */
  required?: boolean;
  /** Environment variables read, in order, when the key is absent or empty. */
  env?: readonly string[];
  /** The value is a credential: printed as `***`, never logged. */
  secret?: boolean;
  /** Other keys accepted for this argument (e.g. a key go-discover used); the first present wins. */
  aliases?: readonly string[];
}

/** A free-form string. */
export interface StringArg extends ArgBase {
  type: 'string';
  default?: string;
}
/** Go `strconv.ParseBool` spellings: 1 t T TRUE true True 0 f F FALSE false False. */
export interface BoolArg extends ArgBase {
  type: 'bool';
  default?: boolean;
}
/** A base-10 integer. */
export interface IntArg extends ArgBase {
  type: 'int';
  default?: number;
  min?: number;
  max?: number;
}
/** A Go duration (`5s`, `1m30s`, `250ms`); the typed value is milliseconds. */
export interface DurationArg extends ArgBase {
  type: 'duration';
  /** A Go duration string. */
  default?: string;
}
/** One of a fixed set of values. */
export interface EnumArg<V extends string = string> extends ArgBase {
  type: 'enum';
  values: readonly V[];
  default?: V;
  /**
   * Values refused on purpose, with the advice to print instead of a "did you mean" (which would
   * pick the nearest spelling, not the right value).
   * @example { private_v6: 'every AWS IPv6 address is global unicast: use public_v6' }
   */
  refused?: Readonly<Record<string, string>>;
}
/** An absolute http(s) URL (or `host:port` when `allowHostPort` is set). */
export interface UrlArg extends ArgBase {
  type: 'url';
  default?: string;
}
/** A comma-separated list; empty items are dropped. */
export interface ListArg<V extends string = string> extends ArgBase {
  type: 'list';
  default?: readonly V[];
  /** When set, every item must be one of these (a list of enum values). */
  values?: readonly V[];
}
/** `host`, `host:port`, `[v6]` or `[v6]:port`; the typed value is the text as given. */
export interface HostPortArg extends ArgBase {
  type: 'hostport';
  default?: string;
  /** The host must be an IP address, not a name. @default false */
  ipOnly?: boolean;
  /** A port must be given. @default false */
  portRequired?: boolean;
}

export type ArgSpec = StringArg | BoolArg | IntArg | DurationArg | EnumArg | UrlArg | ListArg | HostPortArg;
export type ArgSchema = Record<string, ArgSpec>;

type ValueOf<S extends ArgSpec> = S extends BoolArg
  ? boolean
  : S extends IntArg | DurationArg
    ? number
    : S extends ListArg<infer V>
      ? V[]
      : S extends EnumArg<infer V>
        ? V
        : string;

type IsSet<S extends ArgSpec> = S extends { required: true } ? true : S extends { default: unknown } ? true : false;

/** The typed arguments a provider's `discover` receives, inferred from its schema. */
export type ArgsOf<S extends ArgSchema> = {
  -readonly [K in keyof S]: IsSet<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** An address a provider found. The engine de-duplicates and formats these. */
export interface Target {
  /** IPv4, IPv6 (no brackets) or a host name. */
  address: string;
  port?: number;
  /** The cloud's id for the instance, task or node. */
  id?: string;
  name?: string;
  /** Region, zone or datacenter. */
  zone?: string;
  meta?: Record<string, string>;
}

/** What a provider gets besides its arguments. */
export interface ProviderContext {
  /**
   * The shared, proxy-aware HTTP stack. Hand its agents to SDKs. A `request` without its own
   * `timeoutMs` is bounded by the call's deadline (it goes under `signal`, passed or not), not by
   * the client's 60 s default; one with its own `timeoutMs` is sent as asked.
   */
  http: HttpClient;
  log: Logger;
  /** Aborts when the caller aborts or the call's timeout passes. */
  signal: AbortSignal;
  /** Epoch milliseconds when the call's timeout passes (undefined: no timeout). */
  deadline: number | undefined;
  userAgent: string;
  /** The environment to read (process.env unless the caller gave another). */
  env: Record<string, string | undefined>;
  /**
   * Attempts each API call may make under the retry policy (`retryCall`'s `maxAttempts`). The
   * retry-join loop sets 1 when it runs its own backoff, so retries never multiply.
   * @default undefined (the policy's default, 4)
   */
  maxAttempts?: number;
}

export interface ProviderDescriptor<S extends ArgSchema = ArgSchema> {
  /** The `provider=` value. Lower case, no spaces. */
  name: string;
  /** One line for `discover providers`. */
  summary: string;
  args: S;
  /** Extra paragraphs for the help and generated docs (notes, IAM permissions). */
  notes?: readonly string[];
  /** Sample config strings for the help and docs. */
  examples?: readonly string[];
  /**
   * Rules across arguments, each with one message format (see {@link ArgRule}). They are checked
   * together with every argument's own check, so one run reports every problem.
   */
  rules?: readonly ArgRule[];
  /**
   * npm packages `discover()` needs besides autojoin (a cloud SDK): installed by the user, per
   * cloud. When one is missing the error names them all, ready for `npm install`.
   * @example ['@aws-sdk/client-ec2', '@aws-sdk/client-ecs']
   */
  packages?: readonly string[];
  /** Checks across arguments that no {@link ArgRule} expresses; runs when every argument parsed. */
  validate?(args: ArgsOf<S>): readonly ArgProblem[];
  discover(args: ArgsOf<S>, ctx: ProviderContext): Promise<Target[]>;
}

/**
 * A rule across arguments. An argument counts as given when it has a value (from the config,
 * an environment variable or a default).
 * - `together`: give all of them or none (`a and b go together: give both, or neither`).
 * - `requires`: `key` needs every one of `needs` (`a needs b`).
 * - `oneOf`: groups of arguments; at most one group may be given, and with `required` exactly
 *   one, complete (`give tag_name and tag_value, or resource_group and vm_scale_set`).
 * `why` is appended to the message after a colon.
 * @example rules: [{ together: ['access_key_id', 'secret_access_key'], why: 'or neither, for the default chain' }]
 */
export type ArgRule<K extends string = string> =
  | { together: readonly K[]; why?: string }
  | { requires: K; needs: readonly K[]; why?: string }
  | { oneOf: readonly (readonly K[])[]; required?: boolean; why?: string };

/** A provider with its schema erased, as the registry holds it. */
export type AnyProvider = ProviderDescriptor<ArgSchema>;

/** Declares a provider. Returns the descriptor unchanged, typed. */
export function defineProvider<const S extends ArgSchema>(
  descriptor: ProviderDescriptor<S> & { rules?: readonly ArgRule<keyof S & string>[] },
): ProviderDescriptor<S> {
  return descriptor;
}

/** The `addr_type` values shared by every provider that offers an address choice. */
export const ADDR_TYPES = ['private_v4', 'public_v4', 'private_v6', 'public_v6'] as const;
export type AddrType = (typeof ADDR_TYPES)[number];

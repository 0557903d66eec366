/**
 * Command-line flags read the way both go-discover users and GNU users type them: `-q`, `--q`,
 * `-q=true`, `-q=false`, `--timeout 5s`, `-timeout=5s`, `-h`, `--h`, `-help`, `--help`.
 * Go's `flag` package accepts one or two dashes and `=value` for every flag; booleans take a
 * value only after `=` (Go's ParseBool spellings). Errors are one line in Go's words, never
 * Node's parser text.
 */
import { UsageError } from '../errors.js';
import { didYouMean } from '../suggest.js';

export interface FlagSpec {
  type: 'boolean' | 'string';
  /** Repeatable: the values are collected in order. */
  multiple?: boolean;
  /** Other names for the flag (`v` for `verbose`, `h` and `help`). */
  aliases?: readonly string[];
  /** Checks a string flag's value as it is read; throws a UsageError naming the flag and the value. */
  check?: (value: string) => void;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedFlags {
  values: FlagValues;
  /** Arguments that are not flags, in order. */
  positionals: string[];
  /** Index into the input where parsing stopped (`until` matched), or its length. */
  end: number;
}

export interface ParseFlagsOptions {
  /** Names the command in errors (`discover join`). */
  where: string;
  /** Stop before the first argument for which this is true (a command word, a `key=value`). */
  until?: (arg: string) => boolean;
  /** Text appended to an error: where the usage is. */
  hint?: string;
  /**
   * Why the word after a string flag cannot be its value (a command name, a `key=value`), or
   * undefined when it can: Go's `flag` takes any next word, so `--timeout addrs` lost the command.
   */
  notAValue?: (word: string) => string | undefined;
}

// Go's strconv.ParseBool.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** `-x` and `--x` with or without `=value`: the name and the value; undefined for a positional. */
function splitFlag(arg: string): { name: string; value: string | undefined } | undefined {
  const match = /^--?([^-=][^=]*)(?:=([\s\S]*))?$/.exec(arg);
  if (!match) return undefined;
  return { name: match[1] as string, value: match[2] };
}

export function parseFlags(args: readonly string[], specs: FlagSpecs, options: ParseFlagsOptions): ParsedFlags {
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    byName.set(name, name);
    for (const alias of spec.aliases ?? []) byName.set(alias, name);
  }
  const fail = (message: string): never => {
    throw new UsageError(`${options.where}: ${message}${options.hint ? `\n${options.hint}` : ''}`);
  };
  const values: FlagValues = {};
  const positionals: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (options.until?.(arg)) break;
    const flag = arg === '-' || arg === '--' ? undefined : splitFlag(arg);
    if (!flag) {
      positionals.push(arg);
      continue;
    }
    const name = byName.get(flag.name);
    if (name === undefined) {
      fail(`flag provided but not defined: ${arg.split('=')[0]}${didYouMean(flag.name, byName.keys())}`);
    }
    const spec = specs[name as string] as FlagSpec;
    const shown = `-${flag.name}`;
    if (spec.type === 'boolean') {
      if (flag.value === undefined || TRUE.has(flag.value)) values[name as string] = true;
      else if (FALSE.has(flag.value)) values[name as string] = false;
      else fail(`invalid boolean value "${flag.value}" for flag ${shown} (true or false)`);
      continue;
    }
    let value = flag.value;
    if (value === undefined) {
      if (i + 1 >= args.length) fail(`flag needs an argument: ${shown}`);
      value = args[++i] as string;
      const reason = options.notAValue?.(value);
      if (reason !== undefined) fail(`flag needs an argument: ${shown} (${reason})`);
    }
    spec.check?.(value);
    if (spec.multiple) values[name as string] = [...((values[name as string] as string[] | undefined) ?? []), value];
    else values[name as string] = value;
  }
  return { values, positionals, end: i };
}

/** `--format`'s check, for every command that takes it. @throws UsageError */
export function checkFormat(format: string): asserts format is 'text' | 'json' {
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format: "${format}" is not one of text, json`);
}

/** Whether an argument is a `key=value` pair of a config string (not a flag). */
export const isPair = (arg: string) => !arg.startsWith('-') && arg.includes('=');

/** A word quoted in an error: a `key=value` pair by its key only, as its value may be a secret. */
export const shownWord = (word: string) => (word.includes('=') ? `${word.split('=')[0]}=...` : word);

/**
 * A word after a string flag that is a config string or an entry (`key=value`): the flag's value was
 * left out. Taken as the value, it would be lost as an entry and printed whole in the flag's error,
 * a secret with it (`--timeout secret_access_key=...`).
 */
export const configWord = (word: string) => (isPair(word) ? 'the next word is the config string' : undefined);

/**
 * Go's `time.ParseDuration` and `strconv.ParseBool`, for argument values and CLI flags that
 * operators copy from Go tools' configs.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Parses a Go duration (`300ms`, `1.5h`, `1m30s`, `0`) into milliseconds.
 * @returns undefined when the text is not a Go duration (Go requires a unit on every number but `0`).
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
  return text.startsWith('-') ? -total : total;
}

/**
 * A time value given as milliseconds or a Go duration string (`'30s'`), as the library's options take it.
 * @param name the option's name, for the error message
 * @throws UsageError naming the option when the value is neither
 */
export function toMs(value: number | string, name: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new UsageError(`${name}: ${value} is not a non-negative number of milliseconds`);
  }
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : parseGoDuration(trimmed);
  if (ms === undefined || ms < 0) {
    throw new UsageError(`${name}: invalid duration "${value}" (use milliseconds or a Go duration such as 500ms, 30s, 1m30s)`);
  }
  return ms;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go `strconv.ParseBool`: undefined for anything but its twelve spellings. */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}

/**
 * Go's `time.Duration.String()` for whole milliseconds: `500ms`, `30s`, `1m30s`, `1.5s`, `1h0m0s`.
 * Used in log lines that mirror Nomad's (`retry=30s`).
 */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${(total % 60_000) / 1000}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/**
 * `discover join`'s progress on stderr: after each attempt, entry by entry what was found or which
 * error, what came of it, and when the next attempt comes. On a terminal the block is redrawn in
 * place; otherwise (a log file, journald) each attempt is exactly one line, text or JSON:
 *
 *   discover join: attempt 2: "provider=consul tag=serf" found nothing; "10.0.0.9" found 10.0.0.9:4648
 *     => joined 0 of the 2 required; next attempt in 750ms (21:40:03 UTC)      (one line)
 */
import type { AttemptReport } from '../join/index.js';
import { formatGoDuration } from '../join/index.js';

export interface ProgressOptions {
  write: (text: string) => void;
  /** Redraw in place (stderr is a terminal and nothing else shares it). */
  redraw: boolean;
  format: 'text' | 'json';
  /** Addresses (or joins) needed. */
  minJoined: number;
  /** Terminal width: redrawn lines are cut to it so the cursor arithmetic holds. @default 80 */
  columns?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface Progress {
  attempt(report: AttemptReport): void;
  /** Something else wrote to the terminal: the next block starts below it instead of over it. */
  interrupted(): void;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** `found 10.0.0.1:4648 10.0.0.2:4648`, `found nothing`, or `failed: <error>`. */
function entryText(entry: AttemptReport['entries'][number]): string {
  if (entry.error) return `failed: ${oneLine(entry.error.message)}`;
  return entry.addresses.length === 0 ? 'found nothing' : `found ${entry.addresses.join(' ')}`;
}

function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** What came of the attempt, and what happens next. */
function outcomeText(report: AttemptReport, now: number): string {
  const next = (what: string) =>
    report.nextDelayMs === undefined ? '' : `; ${what} in ${formatGoDuration(report.nextDelayMs)} (${clockTime(now + report.nextDelayMs)} UTC)`;
  if (report.phase === 'watch') {
    const change =
      report.added?.length || report.removed?.length
        ? `added ${report.added?.join(' ') || 'none'}, removed ${report.removed?.join(' ') || 'none'}${report.error ? `, join failed: ${oneLine(report.error.message)}` : ''}`
        : 'no change';
    return `${change}${next('next round')}`;
  }
  if (!report.error) return `joined ${report.joined}`;
  const failed = oneLine(report.error.message);
  return report.nextDelayMs === undefined ? `${failed}; no attempts left` : `${failed}${next('next attempt')}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const columns = Math.max(20, options.columns ?? 80);
  let drawn = 0;
  return {
    interrupted() {
      drawn = 0;
    },
    attempt(report) {
      const at = now();
      const name = report.phase === 'watch' ? 'watch round' : 'attempt';
      if (options.format === 'json') {
        const line = {
          attempt: report.attempt,
          phase: report.phase,
          entries: report.entries.map((e) => (e.error ? { entry: e.entry, error: oneLine(e.error.message) } : { entry: e.entry, addresses: e.addresses })),
          addresses: report.addresses,
          joined: report.joined,
          min: options.minJoined,
          ...(report.added ? { added: report.added, removed: report.removed } : {}),
          ...(report.error ? { error: oneLine(report.error.message) } : {}),
          ...(report.nextDelayMs === undefined ? {} : { next_attempt_ms: report.nextDelayMs, next_attempt_at: new Date(at + report.nextDelayMs).toISOString() }),
        };
        options.write(`${JSON.stringify(line)}\n`);
        return;
      }
      const outcome = outcomeText(report, at);
      if (!options.redraw) {
        const entries = report.entries.map((e) => `${JSON.stringify(e.entry)} ${entryText(e)}`).join('; ');
        options.write(`discover join: ${name} ${report.attempt}: ${entries} => ${outcome}\n`);
        return;
      }
      const width = Math.max(...report.entries.map((e) => e.entry.length));
      const lines = [
        `discover join: ${name} ${report.attempt}`,
        ...report.entries.map((e) => `  ${e.entry.padEnd(width)}  ${entryText(e)}`),
        `  ${outcome}`,
      ].map((line) => (line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line));
      // Up to the first line of the last block, then clear to the end of the screen.
      const erase = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : '';
      options.write(`${erase}${lines.join('\n')}\n`);
      drawn = lines.length;
    },
  };
}

/**
 * `discover join`'s progress on stderr: after each attempt, entry by entry what was found or which
 * error, what came of it, and when the next attempt comes. On a terminal the block is redrawn in
 * place; otherwise (a log file, journald) each attempt is exactly one line, text or JSON:
 *
 *   discover join: attempt 2: "provider=consul tag=serf" found nothing; "10.0.0.9" found 10.0.0.9:4648
 *     => joined 0 of the 2 required; next attempt in 750ms (21:40:03 UTC)      (one line)
 *
 * On a terminal each entry's outcome (the reason, when it failed) comes before the entry, long
 * lines wrap instead of being cut, and a status line counts the seconds while an attempt runs.
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
  /** Terminal width: redrawn lines are wrapped to it so the cursor arithmetic holds. @default 80 */
  columns?: number;
  /** What a success counts: peers a COMMAND joined, or addresses found (no COMMAND). @default 'joined' */
  counted?: 'joined' | 'found';
  /** @default Date.now */
  now?: () => number;
}

export interface Progress {
  attempt(report: AttemptReport): void;
  /** An attempt started: on a terminal, a status line with the elapsed seconds until it reports. */
  started(attempt: number): void;
  /** Something else wrote to the terminal: the next block starts below it instead of over it. */
  interrupted(): void;
  /** Stops the status line's timer. */
  stop(): void;
}

/** Narrower terminals (or none: 0 columns) get this width: wrapping to less helps nobody. */
const MIN_COLUMNS = 40;

/**
 * `text` as lines of at most `width` characters, broken at spaces where possible, the lines
 * after the first indented by `indent`.
 */
export function wrapLine(text: string, width: number, indent = '    '): string[] {
  const lines: string[] = [];
  let rest = text;
  let prefix = '';
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    const space = rest.lastIndexOf(' ', room);
    const cut = space > room / 2 ? space : room;
    lines.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = indent;
  }
  lines.push(prefix + rest);
  return lines;
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
function outcomeText(report: AttemptReport, now: number, counted: 'joined' | 'found'): string {
  const next = (what: string) =>
    report.nextDelayMs === undefined ? '' : `; ${what} in ${formatGoDuration(report.nextDelayMs)} (${clockTime(now + report.nextDelayMs)} UTC)`;
  if (report.phase === 'watch') {
    const change =
      report.added?.length || report.removed?.length
        ? `added ${report.added?.join(' ') || 'none'}, removed ${report.removed?.join(' ') || 'none'}${report.error ? `, join failed: ${oneLine(report.error.message)}` : ''}`
        : 'no change';
    return `${change}${next('next round')}`;
  }
  if (!report.error) return `${counted} ${report.joined}`;
  const failed = oneLine(report.error.message);
  return report.nextDelayMs === undefined ? `${failed}; no attempts left` : `${failed}${next('next attempt')}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const counted = options.counted ?? 'joined';
  const columns = (options.columns ?? 0) >= MIN_COLUMNS ? (options.columns as number) : 80;
  // Lines of the last block (and status line) on screen, for the next redraw to go back over.
  let drawn = 0;
  let status: { attempt: number; since: number; shown: boolean } | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const stopTicker = () => {
    clearInterval(ticker);
    ticker = undefined;
  };
  const drawStatus = () => {
    if (!status) return;
    const elapsed = formatGoDuration(Math.floor((now() - status.since) / 1000) * 1000);
    // Back over the last status line only when nothing else wrote since.
    const back = status.shown ? '\x1b[1F\x1b[2K' : '';
    options.write(`${back}discover join: attempt ${status.attempt} running (${elapsed})\n`);
    if (!status.shown) drawn++;
    status.shown = true;
  };
  return {
    started(attempt) {
      if (!options.redraw || options.format === 'json') return;
      status = { attempt, since: now(), shown: false };
      drawStatus();
      stopTicker();
      ticker = setInterval(drawStatus, 1000);
      ticker.unref();
    },
    interrupted() {
      drawn = 0;
      if (status) status.shown = false;
    },
    stop: stopTicker,
    attempt(report) {
      stopTicker();
      status = undefined;
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
          ...(report.nextDelayMs === undefined
            ? {}
            : { next_attempt_ms: report.nextDelayMs, next_attempt_at: new Date(at + report.nextDelayMs).toISOString() }),
        };
        options.write(`${JSON.stringify(line)}\n`);
        return;
      }
      const outcome = outcomeText(report, at, counted);
      if (!options.redraw) {
        const entries = report.entries.map((e) => `${JSON.stringify(e.entry)} ${entryText(e)}`).join('; ');
        options.write(`discover join: ${name} ${report.attempt}: ${entries} => ${outcome}\n`);
        return;
      }
      // The outcome first (a failure's reason), then the entry it came from: cut or wrapped, the reason stays in view.
      const lines = [`discover join: ${name} ${report.attempt}`, ...report.entries.map((e) => `  ${entryText(e)}  <- ${e.entry}`), `  => ${outcome}`].flatMap(
        (line) => wrapLine(line, columns - 1),
      );
      // Up to the first line of the last block, then clear to the end of the screen.
      const erase = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : '';
      options.write(`${erase}${lines.join('\n')}\n`);
      drawn = lines.length;
    },
  };
}

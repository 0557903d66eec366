/** What a CLI command needs from the process, injectable so commands run in-process in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Aborts on SIGINT / SIGTERM. */
  signal: AbortSignal;
  /** Whether stderr is a terminal (progress lines redraw only then). */
  isTTY: boolean;
  cwd: string;
  /**
   * Epoch ms when the process started (what `performance.timeOrigin` says): `--timeout` counts from here,
   * so start-up and loading the provider are inside it. @default the moment the command runs
   */
  startedAt?: number;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

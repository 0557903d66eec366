/** A pluggable logger. Messages never carry secrets. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * A logger writing go-discover style lines (`[DEBUG] discover: ...`) to a stream.
 * @param write where lines go, e.g. `(line) => process.stderr.write(line)`
 */
export function lineLogger(write: (line: string) => void): Logger {
  const at = (level: string) => (message: string) => write(`[${level}] ${message}\n`);
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

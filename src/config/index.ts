/**
 * go-discover config strings: `parseConfig` (Go's `discover.Parse`), `formatConfig`
 * (Go's `Config.String()`), and the Go string helpers they are built on.
 */
export { parseConfig } from './parse.js';
export { type FormatConfigOptions, formatConfig } from './format.js';
export { compareCodePoints, goIsPrint, goQuote, goTrimSpace, goUnquote, isGoSpace, toWellFormed } from './go.js';

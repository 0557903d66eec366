/**
 * The querying side of the mdns tests, run as a child process inside the test's network namespace:
 * `node --import tsx test/helpers/mdns-query.ts '<config string>' [call timeout ms | abort:<ms>]`.
 * With a number it runs provider=mdns through the engine with that call timeout; with `abort:<ms>`
 * it validates through the engine but calls the provider's `discover` itself and aborts its signal
 * after <ms>, to test the provider's own abort handling. Prints one JSON line: `{"addrs": [...]}`
 * or `{"error": {name, code, message}}`. It never calls process.exit: the process ends on its
 * own only if the provider closed every socket and timer.
 */
import mdns from '../../providers/mdns/index.js';
import { Discover, targetAddress } from '../../src/discover.js';
import { AutojoinError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import { silentLogger } from '../../src/log.js';
import type { ProviderContext, Target } from '../../src/provider.js';

const [cfg = '', mode] = process.argv.slice(2);
const engine = new Discover({ builtins: false, providers: [mdns] });

async function direct(abortAfterMs: number): Promise<Target[]> {
  const checked = await engine.check(cfg);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), abortAfterMs);
  const http = createHttpClient({ env: process.env });
  const ctx: ProviderContext = {
    http,
    log: silentLogger,
    signal: controller.signal,
    deadline: undefined,
    userAgent: http.userAgent,
    env: process.env,
  };
  return mdns.discover(checked.validated.args as never, ctx);
}

const started = Date.now();
try {
  const targets = mode?.startsWith('abort:')
    ? await direct(Number(mode.slice('abort:'.length)))
    : await engine.discover(cfg, { timeout: mode === undefined ? undefined : Number(mode) });
  console.log(JSON.stringify({ addrs: targets.map(targetAddress), elapsedMs: Date.now() - started }));
} catch (err) {
  const e = err as Error;
  const code = err instanceof AutojoinError ? err.code : undefined;
  console.log(JSON.stringify({ error: { name: e.name, code, message: e.message }, elapsedMs: Date.now() - started }));
}

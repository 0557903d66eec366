/**
 * The querying side of the mdns tests, run as a child process inside the test's network namespace:
 * `node --import tsx test/helpers/mdns-query.ts '<config string>' [call timeout ms]`.
 * Runs provider=mdns through the engine and prints one JSON line: `{"addrs": [...]}` or
 * `{"error": {name, code, message}}`. It never calls process.exit: the process ends on its
 * own only if the provider closed every socket and timer.
 */
import { Discover } from '../../src/discover.js';
import { AutojoinError } from '../../src/errors.js';
import mdns from '../../providers/mdns/index.js';

const [cfg = '', callTimeout] = process.argv.slice(2);
const engine = new Discover({ builtins: false, providers: [mdns] });
const started = Date.now();
try {
  const addrs = await engine.addrs(cfg, { timeout: callTimeout === undefined ? undefined : Number(callTimeout) });
  console.log(JSON.stringify({ addrs, elapsedMs: Date.now() - started }));
} catch (err) {
  const e = err as Error;
  const code = err instanceof AutojoinError ? err.code : undefined;
  console.log(JSON.stringify({ error: { name: e.name, code, message: e.message }, elapsedMs: Date.now() - started }));
}

import test from 'ava';
import { within } from './helpers/wait.js';
import { Discover, targetAddress } from '../src/discover.js';
import { AbortError, ConfigParseError, NoProviderError, ProviderArgsError, ProviderRegistryError, TimeoutError, UnknownProviderError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import { echo, hang, pair } from './helpers/providers.js';

const engine = new Discover({ builtins: false, providers: [echo, hang, pair] });

test('addrs formats host:port, brackets IPv6 and drops duplicates keeping the first', async (t) => {
  t.deepEqual(await engine.addrs('provider=echo addrs=10.0.0.1,10.0.0.2,10.0.0.1'), ['10.0.0.1', '10.0.0.2']);
  t.deepEqual(await engine.addrs('provider=echo addrs=10.0.0.1,2001:db8::1 port=4648'), ['10.0.0.1:4648', '[2001:db8::1]:4648']);
});

test('discover returns targets with metadata', async (t) => {
  const targets = await engine.discover('provider=echo addrs=h1 port=1');
  t.deepEqual(targets, [{ address: 'h1', port: 1 }]);
  t.is(targetAddress(targets[0]!), 'h1:1');
});

test("go-discover's engine errors, to the letter", async (t) => {
  await t.throwsAsync(engine.addrs(''), { instanceOf: NoProviderError, message: 'discover: no provider' });
  await t.throwsAsync(engine.addrs('provider=""'), { instanceOf: NoProviderError, message: 'discover: no provider' });
  await t.throwsAsync(engine.addrs('key'), { instanceOf: ConfigParseError, code: 'ERR_CONFIG_PARSE', message: "discover: key: missing '='" });
  const unknown = await t.throwsAsync(engine.addrs('provider=nope'), { instanceOf: UnknownProviderError, code: 'ERR_UNKNOWN_PROVIDER' });
  t.is(unknown.message, 'discover: unknown provider nope (known: echo, hang, pair)');
});

test('arguments are validated before the provider runs', async (t) => {
  let ran = false;
  const spy = {
    ...echo,
    name: 'spy',
    discover: async () => {
      ran = true;
      return [];
    },
  };
  const local = new Discover({ builtins: false, providers: [spy] });
  await t.throwsAsync(local.addrs('provider=spy addrs=a port=x'), { instanceOf: ProviderArgsError });
  t.false(ran);
});

test('the timeout ends a provider that ignores its signal', async (t) => {
  // The provider never settles: only the 50 ms bound can end this (a hang fails as a timeout).
  await within(t.throwsAsync(engine.addrs('provider=hang', { timeout: 50 }), { instanceOf: TimeoutError, code: 'ERR_TIMEOUT' }), 'the call');
  await t.throwsAsync(engine.addrs('provider=hang', { timeout: '40ms' }), { message: 'discover-hang timed out after 40 ms' });
});

test('an abort signal ends the call with AbortError', async (t) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  await t.throwsAsync(engine.addrs('provider=hang', { signal: controller.signal, timeout: 0 }), { instanceOf: AbortError, code: 'ERR_ABORTED' });
});

test('logs go-discover\'s "Using provider" line and lenient warnings', async (t) => {
  const lines: string[] = [];
  const logger: Logger = { debug: (m) => lines.push(`D ${m}`), info: () => {}, warn: (m) => lines.push(`W ${m}`), error: () => {} };
  await engine.addrs('provider=echo addrs=a zzzzzz=1', { logger, lenient: true });
  t.deepEqual(lines, ['W discover-echo: ignoring unknown argument "zzzzzz"', 'D discover: Using provider "echo"', 'D discover-echo: 1 addresses']);
});

test('check redacts secrets and reports sources without any network call', async (t) => {
  const checked = await engine.check('provider=echo token="s e c" addrs=a', { env: {} });
  t.is(checked.redacted, 'provider=echo addrs=a token=***');
  t.is(checked.validated.sources.token, 'config');
});

test('register throws on a duplicate name; the same descriptor twice is a no-op', (t) => {
  t.throws(() => new Discover({ builtins: false, providers: [echo, { ...echo }] }), {
    instanceOf: ProviderRegistryError,
    message: 'discover: provider echo is already registered',
  });
  t.deepEqual(new Discover({ builtins: false, providers: [echo, echo] }).registry.names(), ['echo']);
});

test('a parse error never names the rest of an unquoted secret', async (t) => {
  const error = await t.throwsAsync(engine.addrs('provider=aws secret_access_key=abc hunter2'), { instanceOf: ConfigParseError });
  t.is(error.message, "discover: ***: missing '='");
  // Other keys keep go-discover's text.
  await t.throwsAsync(engine.addrs('provider=aws region=eu west'), { message: "discover: west: missing '='" });
});

test('a timeout that fires while the engine is still starting rejects cleanly', async (t) => {
  const fresh = new Discover({ builtins: false, providers: [echo] });
  // 0 disables; 1 ms fires before the HTTP stack has loaded in a fresh engine.
  await t.throwsAsync(fresh.addrs('provider=echo addrs=10.0.0.1 delay=50ms', { timeout: 1 }), { instanceOf: TimeoutError });
});

test('a provider that logs or throws a secret value has it masked (any secret arg, env or URL user-info)', async (t) => {
  const leaky = {
    ...echo,
    name: 'leaky',
    async discover(args: { token?: string; endpoint?: string }, ctx: { log: Logger }) {
      ctx.log.debug(`calling ${args.endpoint} with ${args.token}`);
      throw new Error(`rejected token ${args.token} at ${args.endpoint}`, { cause: new Error(`echo ${args.token}`) });
    },
  } as unknown as typeof echo;
  const leakyEngine = new Discover({ builtins: false, providers: [leaky] });
  const lines: string[] = [];
  const logger: Logger = { debug: (m) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  const error = await t.throwsAsync(leakyEngine.addrs('provider=leaky addrs=a token=t0k3nVALUE endpoint=http://u:pAssW0rd@127.0.0.1:1', { logger }));
  // A foreign error gets the provider's name (a ProviderError around it); every layer is masked.
  t.is(error?.message, 'discover-leaky: rejected token *** at http://***@127.0.0.1:1');
  const cause = error?.cause as Error | undefined;
  t.is(cause?.message, 'rejected token *** at http://***@127.0.0.1:1');
  t.is((cause?.cause as Error | undefined)?.message, 'echo ***');
  t.true(lines.includes('calling http://***@127.0.0.1:1 with ***'), lines.join('\n'));
  const fromEnv = await t.throwsAsync(leakyEngine.addrs('provider=leaky addrs=a', { env: { ECHO_TOKEN: 'envT0KEN' } }));
  t.is(fromEnv?.message, 'discover-leaky: rejected token *** at undefined');
});

test('check masks unknown keys under lenient, URL user-info, and a secret fragment after any secret key', async (t) => {
  const checked = await engine.check('provider=echo addrs=a tokn=abc endpoint=http://u:p@h:1', { env: {}, lenient: true });
  t.is(checked.redacted, 'provider=echo addrs=a endpoint=http://***@h:1 tokn=***');
  // `api_token` is a secret alias of echo's token (its descriptor), not a cloud name in the core.
  await t.throwsAsync(engine.check('provider=echo api_token=abc d3f'), { instanceOf: ConfigParseError, message: "discover: ***: missing '='" });
});

test('a duplicated secret key is named, its values are not; a bare repeat may be the rest of a value', async (t) => {
  const named = await t.throwsAsync(engine.check('provider=echo addrs=a token=t0kOne token=t0kTwo'), { instanceOf: ConfigParseError });
  t.is(named.message, 'discover: token: duplicate key');
  t.is(named.key, 'token');
  t.is(named.after, 'token');
  const bare = await t.throwsAsync(engine.check('provider=echo addrs=a token=t0kOne token'), { instanceOf: ConfigParseError });
  t.is(bare.message, 'discover: ***: duplicate key');
  // The masked word's position, for the CLI's hint: a key name only.
  const masked = await t.throwsAsync(engine.check('provider=echo api_token=abc d3f'), { instanceOf: ConfigParseError });
  t.is(masked.after, 'api_token');
  t.false(JSON.stringify({ ...masked, message: masked.message }).includes('d3f'));
  const plain = await t.throwsAsync(engine.check('provider=echo addrs=a tag=nomad server'), { instanceOf: ConfigParseError });
  t.is(plain.message, "discover: server: missing '='");
  t.is(plain.after, 'tag');
});

test('the secret fragment is judged where the parser stopped, not at a later occurrence of the word', async (t) => {
  // Before, the last `d3f` (a key's value) was judged: not after a secret, so the fragment was printed.
  for (const cfg of ['provider=echo api_token=abc d3f tag=d3f', 'provider=echo api_token=abc d3f "x d3f y"']) {
    const error = await t.throwsAsync(engine.check(cfg), { instanceOf: ConfigParseError });
    t.is(error.message, "discover: ***: missing '='", cfg);
    t.is(error.after, 'api_token');
  }
});

test('a config string over 64 KiB is a config error naming the limit', async (t) => {
  const { MAX_CONFIG_LENGTH } = await import('../src/discover.js');
  const cfg = `provider=echo addrs=${'a'.repeat(MAX_CONFIG_LENGTH)}`;
  const error = await t.throwsAsync(engine.check(cfg), { instanceOf: ConfigParseError, code: 'ERR_CONFIG_PARSE' });
  t.is(error.message, `discover: the config string is ${cfg.length} characters long; at most 65536 are accepted`);
  t.true(error.configError);
});

// The secret scan reads backwards from the fragment once; these are the shapes it must still see.
const fragmentCases: Array<[string, string, boolean]> = [
  ['provider=aws secret_access_key=abc hunter2', 'hunter2', true],
  ['provider=aws secret_access_key = abc hunter2', 'hunter2', true],
  ['provider=aws secret_access_key= abc hunter2', 'hunter2', true],
  ['provider=aws secret_access_key =abc hunter2', 'hunter2', true],
  ['provider=aws secret_access_key=a=b hunter2', 'hunter2', true],
  ['provider=aws region=eu west', 'west', false],
  ['provider=aws secret_access_key=abc region=x west', 'west', false],
  ['hunter2', 'hunter2', false],
];
for (const [cfg, key, expected] of fragmentCases) {
  test(`secretFragment(${JSON.stringify(cfg)}, ${key}) is ${expected}`, async (t) => {
    const { secretFragment } = await import('../src/discover.js');
    t.is(secretFragment(cfg, key), expected);
  });
}

test('a parse error after a 60k-character secret still hides the fragment', async (t) => {
  const long = 'x'.repeat(60_000);
  const error = await t.throwsAsync(engine.addrs(`provider=aws secret_access_key=abc ${long}`), { instanceOf: ConfigParseError });
  t.is(error.message, "discover: ***: missing '='");
});

test('a mistyped provider name gets a "did you mean"', async (t) => {
  const { Discover } = await import('../src/discover.js');
  const builtins = new Discover();
  const error = await t.throwsAsync(builtins.check('provider=awz tag_key=a tag_value=b'), { instanceOf: UnknownProviderError });
  t.is(error.message, `discover: unknown provider awz (did you mean "aws"?) (known: ${(await builtins.names()).join(', ')})`);
});

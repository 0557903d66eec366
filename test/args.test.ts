import test from 'ava';
import { secretKeys, validateArgs } from '../src/args.js';
import { ProviderArgsError } from '../src/errors.js';
import { echo, pair } from './helpers/providers.js';

const raw = (s: Record<string, string>) => new Map(Object.entries({ provider: 'echo', ...s }));

test('coerces every type and fills defaults', (t) => {
  const { args, sources } = validateArgs(echo, raw({ addrs: 'a, b,,c', port: '4648', mode: 'slow', delay: '1m30s', verbose: 'T', endpoint: 'https://x:1/p' }), {
    env: {},
  });
  t.deepEqual(args, {
    addrs: ['a', 'b', 'c'],
    port: 4648,
    mode: 'slow',
    delay: 90_000,
    verbose: true,
    endpoint: 'https://x:1/p',
  } as Record<string, unknown>);
  t.is(sources.mode, 'config');
  t.is(validateArgs(echo, raw({ addrs: 'a' }), { env: {} }).sources.mode, 'default');
});

test('an empty value counts as absent, as in go-discover', (t) => {
  const error = t.throws(() => validateArgs(echo, raw({ addrs: '' }), { env: {} }), { instanceOf: ProviderArgsError });
  t.regex(error.message, /missing required argument "addrs"/);
});

test('env fallback, then alias; the source is reported', (t) => {
  const fromEnv = validateArgs(echo, raw({ addrs: 'a' }), { env: { ECHO_TOKEN: 's3cret' } });
  t.is(fromEnv.args.token, 's3cret');
  t.is(fromEnv.sources.token, 'env ECHO_TOKEN');
  const fromAlias = validateArgs(echo, raw({ addrs: 'a', api_token: 'x' }), { env: { ECHO_TOKEN: 'y' } });
  t.is(fromAlias.args.token, 'x');
});

test('every problem is listed at once, each naming its key and value', (t) => {
  const error = t.throws(
    () =>
      validateArgs(echo, raw({ port: 'http', mode: 'fsat', delay: '5 s', verbose: 'yes', endpoint: 'ftp://x', tag_kye: 'v' }), {
        env: {},
      }),
    { instanceOf: ProviderArgsError, code: 'ERR_PROVIDER_ARGS' },
  );
  t.is(error.problems.length, 7);
  const text = error.message;
  t.regex(text, /^discover-echo: invalid arguments:/);
  t.regex(text, /unknown argument "tag_kye"/);
  t.regex(text, /missing required argument "addrs"/);
  t.regex(text, /port: "http" is not an integer/);
  t.regex(text, /mode: "fsat" is not one of fast, slow \(did you mean "fast"\?\)/);
  t.regex(text, /delay: "5 s" is not a duration/);
  t.regex(text, /verbose: "yes" is not a boolean/);
  t.regex(text, /endpoint: "ftp:\/\/x" is not an http or https URL/);
});

test('unknown keys suggest the closest valid key', (t) => {
  const error = t.throws(() => validateArgs(echo, raw({ addrs: 'a', prot: '1' }), { env: {} }), { instanceOf: ProviderArgsError });
  t.regex(error.message, /unknown argument "prot" \(did you mean "port"\?\)/);
});

test('lenient mode turns unknown keys into warnings', (t) => {
  const { warnings } = validateArgs(echo, raw({ addrs: 'a', bogus: '1' }), { env: {}, lenient: true });
  t.deepEqual(warnings, ['discover-echo: ignoring unknown argument "bogus"']);
});

test('secret values never appear in validation errors', (t) => {
  const secretInt = { ...echo, args: { ...echo.args, token: { type: 'int', secret: true, help: 'A secret number.' } } } as never;
  const error = t.throws(() => validateArgs(secretInt, raw({ addrs: 'a', token: 'hunter2' }), { env: {} }));
  t.notRegex(error?.message ?? '', /hunter2/);
  t.regex(error?.message ?? '', /token: \*\*\* is not an integer/);
});

test('cross-argument checks run after per-key checks', (t) => {
  t.notThrows(() =>
    validateArgs(
      pair,
      new Map([
        ['b', 'x'],
        ['c', 'y'],
      ]),
      { env: {} },
    ),
  );
  const error = t.throws(() => validateArgs(pair, new Map([['b', 'x']]), { env: {} }), { instanceOf: ProviderArgsError });
  t.regex(error.message, /give a, or b and c/);
});

test('secretKeys includes aliases', (t) => {
  t.deepEqual([...secretKeys(echo)].sort(), ['api_token', 'token']);
});

test('a negative duration is refused for every provider, before it runs', (t) => {
  const error = t.throws(() => validateArgs(echo, raw({ addrs: 'a', delay: '-5s' }), { env: {} }), { instanceOf: ProviderArgsError });
  t.regex(error.message, /delay: "-5s" is negative/);
});

test('a value refused on purpose gets the advice the help gives, not the nearest spelling (aws addr_type=private_v6)', async (t) => {
  const { default: aws } = await import('../providers/aws/index.js');
  const error = t.throws(
    () => validateArgs(aws, new Map(Object.entries({ provider: 'aws', tag_key: 'a', tag_value: 'b', addr_type: 'private_v6' })), { env: {} }),
    {
      instanceOf: ProviderArgsError,
    },
  );
  t.is(
    error.problems[0]?.message,
    'addr_type: "private_v6" is not one of private_v4, public_v4, public_v6: every AWS IPv6 address is global unicast: use public_v6',
  );
  t.notRegex(error.message, /did you mean "private_v4"/);
  t.regex((await import('../src/help.js')).providerHelp(aws), /public_v6/);
});

test('a mistyped key and a missing required condition are reported in one run', async (t) => {
  const { default: aws } = await import('../providers/aws/index.js');
  const error = t.throws(() => validateArgs(aws, new Map(Object.entries({ provider: 'aws', tag_kye: 'role', tag_value: 'nomad' })), { env: {} }), {
    instanceOf: ProviderArgsError,
  });
  t.deepEqual(
    error.problems.map((p) => p.key),
    ['tag_kye', 'tag_value', 'tag_key'],
  );
  t.regex(error.message, /unknown argument "tag_kye" \(did you mean "tag_key"\?\)/);
  t.regex(error.message, /tag_key \(with tag_value\) or tags is required/);
});

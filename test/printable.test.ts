/** Foreign text (server error bodies, helper output) reaches the terminal printable and bounded. */
import test from 'ava';
import consul from '../providers/consul/index.js';
import { Discover } from '../src/discover.js';
import { ProviderArgsError, ProviderError } from '../src/errors.js';
import { printable, printableLine } from '../src/text.js';
import { startHttpServer } from './helpers/servers.js';

const cases: Array<[string, string, string]> = [
  ['an escape sequence', '\u001b[2J\u001b[31mdenied', '\\x1b[2J\\x1b[31mdenied'],
  ['a NUL byte', 'bad\u0000body', 'bad\\x00body'],
  ['a C1 control and a bidi override', 'a\u009bb\u202ec', 'a\\x9bb\\u{202e}c'],
  ['plain text', 'ACL not found', 'ACL not found'],
];
for (const [name, input, expected] of cases) {
  test(`printable: ${name}`, (t) => {
    t.is(printable(input), expected);
  });
}

test('printable: bounded, whatever the input length', (t) => {
  t.is(printable('x'.repeat(10_000_000), 20), `${'x'.repeat(20)}…`);
  t.is(printableLine('a\nb\tc'), 'a b c');
});

test('a ProviderError quoting a server never carries an escape sequence or a NUL', (t) => {
  const error = new ProviderError('consul', '\u001b]0;pwned\u0007No cluster leader\u0000', { operation: 'CatalogService', status: 500 });
  t.is(error.message, 'discover-consul: CatalogService failed: 500: \\x1b]0;pwned\\x07No cluster leader\\x00');
});

test('consul: an error body with terminal escapes is printed escaped', async (t) => {
  const server = await startHttpServer(t, (_req, res) => {
    res.writeHead(403);
    res.end('\u001b[2JACL not found\u0000');
  });
  const engine = new Discover({ builtins: false, providers: [consul] });
  await t.throwsAsync(engine.addrs(`provider=consul address=127.0.0.1:${server.port}`, { env: {} }), {
    instanceOf: ProviderError,
    message: 'discover-consul: CatalogService failed: 403: \\x1b[2JACL not found\\x00',
  });
});

test('consul: a token with a newline is a config error (exit 2), not a raw TypeError; the token is not shown', async (t) => {
  const engine = new Discover({ builtins: false, providers: [consul] });
  const error = await t.throwsAsync(engine.addrs('provider=consul address=127.0.0.1:1 token="abc\\ndef"', { env: {} }), {
    instanceOf: ProviderArgsError,
    code: 'ERR_PROVIDER_ARGS',
  });
  t.true(error?.configError);
  t.regex(error?.message ?? '', /token holds a newline or another control character/);
  t.false(error?.message.includes('abc'));
});

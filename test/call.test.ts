/** The one retried API call and the one classifier factory every provider uses. */
import test from 'ava';
import { AbortError, NetworkError, ProviderError, TimeoutError } from '../src/errors.js';
import { apiCall, classifyProviderError, createClassifier, isTransientCause } from '../src/http/call.js';

const op = { operation: 'List' };
const cases: Array<[string, unknown, object]> = [
  [
    'throttled, Retry-After',
    new ProviderError('x', 'slow', { ...op, status: 429, throttled: true, retryAfterMs: 2000 }),
    { retry: true, throttled: true, afterMs: 2000 },
  ],
  ['throttled, no Retry-After', new ProviderError('x', 'slow', { ...op, cloudCode: 'Throttling', throttled: true }), { retry: true, throttled: true }],
  ['503 with Retry-After', new ProviderError('x', 'down', { ...op, status: 503, retryAfterMs: 10 }), { retry: true, throttled: false, afterMs: 10 }],
  ['500', new ProviderError('x', 'oops', { ...op, status: 500 }), { retry: true, throttled: false }],
  ['403', new ProviderError('x', 'denied', { ...op, status: 403, retryAfterMs: 10 }), { retry: false }],
  ['reset socket', new ProviderError('x', 'reset', { ...op, cause: Object.assign(new Error('read'), { code: 'ECONNRESET' }) }), { retry: true }],
  ['NetworkError cause', new ProviderError('x', 'refused', { ...op, cause: new NetworkError('refused', 'http://h') }), { retry: true }],
  ['malformed, no status', new ProviderError('x', 'bad JSON', op), { retry: false }],
  ['an abort', new AbortError(), { retry: false }],
  ['a plain error', new Error('bug'), { retry: false }],
];
for (const [name, error, verdict] of cases) {
  test(`classifyProviderError: ${name}`, (t) => {
    t.deepEqual(classifyProviderError(error), verdict);
  });
}

test('createClassifier: a cloud names its own transient errors', (t) => {
  const classify = createClassifier({ transient: (error) => error.cloudCode === 'PARSE_ERROR' });
  t.deepEqual(classify(new ProviderError('x', 'cut short', { ...op, cloudCode: 'PARSE_ERROR' })), { retry: true });
  t.deepEqual(classify(new ProviderError('x', 'bad', { ...op, cloudCode: 'Other' })), { retry: false });
});

test('isTransientCause: socket codes, timeouts, NetworkError', (t) => {
  t.true(isTransientCause(Object.assign(new Error(), { code: 'EPIPE' })));
  t.true(isTransientCause(new TimeoutError('x', 1)));
  t.true(isTransientCause({ name: 'TimeoutError' }));
  t.false(isTransientCause(Object.assign(new Error(), { code: 'ENOENT' })));
  t.false(isTransientCause(undefined));
});

test('apiCall: types each failure with the mapper, retries what the classifier allows, stops at maxAttempts', async (t) => {
  const seen: number[] = [];
  const error = await t.throwsAsync(
    apiCall(
      { maxAttempts: 3 },
      { provider: 'x', operation: 'List', toError: (cause, operation) => new ProviderError('x', 'down', { operation, status: 503, retryAfterMs: 0, cause }) },
      async (attempt) => {
        seen.push(attempt);
        throw new Error('raw SDK error');
      },
    ),
    { instanceOf: ProviderError, message: 'discover-x: List failed: 503: down' },
  );
  t.deepEqual(seen, [1, 2, 3]);
  t.is((error?.cause as Error | undefined)?.message, 'raw SDK error');
});

test('apiCall: a Retry-After past the cap is logged under the provider and operation', async (t) => {
  const lines: string[] = [];
  const log = { debug() {}, info() {}, warn: (line: string) => lines.push(line), error() {} };
  const controller = new AbortController();
  const call = apiCall(
    { signal: controller.signal, log },
    {
      provider: 'x',
      operation: 'List',
      toError: (cause, operation) => new ProviderError('x', 'slow', { operation, status: 429, throttled: true, retryAfterMs: 2_200_000_000, cause }),
    },
    async () => {
      throw new Error('429');
    },
  );
  // The warning is written before the wait starts; the abort then ends the wait.
  await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  await t.throwsAsync(call, { instanceOf: AbortError });
  t.deepEqual(lines, ['discover-x: List: the server asked to wait 611h6m40s (Retry-After); waiting 5m0s, the most honoured']);
});

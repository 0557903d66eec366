import test from 'ava';
import { parseGoBool, parseGoDuration, toMs } from '../src/duration.js';
import { UsageError } from '../src/errors.js';

// Cases from Go's time.ParseDuration tests (src/time/time_test.go parseDurationTests), in milliseconds.
const durations: Array<[string, number | undefined]> = [
  ['0', 0],
  ['5s', 5000],
  ['30s', 30_000],
  ['1478s', 1_478_000],
  ['-5s', -5000],
  ['+5s', 5000],
  ['5.0s', 5000],
  ['5.6s', 5600],
  ['5.s', 5000],
  ['.5s', 500],
  ['1.004s', 1004],
  ['100ms', 100],
  ['10ns', 1e-5],
  ['11us', 0.011],
  ['12µs', 0.012],
  ['12μs', 0.012],
  ['13ms', 13],
  ['15m', 900_000],
  ['16h', 57_600_000],
  ['3h30m', 12_600_000],
  ['1m30s', 90_000],
  ['', undefined],
  ['3', undefined],
  ['-', undefined],
  ['s', undefined],
  ['.', undefined],
  ['-.', undefined],
  ['.s', undefined],
  ['+.s', undefined],
  ['1d', undefined],
  ['5 s', undefined],
];
for (const [input, expected] of durations) {
  test(`parseGoDuration(${JSON.stringify(input)})`, (t) => {
    const value = parseGoDuration(input);
    if (expected === undefined) t.is(value, undefined);
    else t.true(value !== undefined && Math.abs(value - expected) < 1e-9, `${value}`);
  });
}

test('toMs takes milliseconds, digit strings and Go durations, and names the option on error', (t) => {
  t.is(toMs(250, 'timeout'), 250);
  t.is(toMs('250', 'timeout'), 250);
  t.is(toMs('1m', 'timeout'), 60_000);
  t.throws(() => toMs('soon', 'retryInterval'), { instanceOf: UsageError, message: /retryInterval: invalid duration "soon"/ });
  t.throws(() => toMs(-1, 'timeout'), { instanceOf: UsageError, message: /timeout/ });
});

// strconv.ParseBool accepts exactly these spellings.
const bools: Array<[string, boolean | undefined]> = [
  ['1', true],
  ['t', true],
  ['T', true],
  ['TRUE', true],
  ['true', true],
  ['True', true],
  ['0', false],
  ['f', false],
  ['F', false],
  ['FALSE', false],
  ['false', false],
  ['False', false],
  ['yes', undefined],
  ['tRUE', undefined],
  ['', undefined],
];
for (const [input, expected] of bools) {
  test(`parseGoBool(${JSON.stringify(input)})`, (t) => t.is(parseGoBool(input), expected));
}

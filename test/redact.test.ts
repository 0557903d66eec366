import test from 'ava';
import { isSecretName, redactUserInfo, scrubError, scrubSecrets, userInfoSecrets } from '../src/redact.js';

// One rule for URL query parameters, exec= flags and config keys.
const names: Array<[string, boolean]> = [
  ['api_key', true],
  ['--api-key', true],
  ['access_token', true],
  ['X-Amz-Signature', true],
  ['X-Amz-Credential', true],
  ['sig', true],
  ['client_secret', true],
  ['secret_access_key', true],
  ['password', true],
  ['--passwd', true],
  ['Token', true],
  ['-key', true],
  ['--secret-id', true],
  ['--pass', true],
  ['-p', true],
  ['--bearer', true],
  ['Authorization:', true],
  ['client_secret:', true],
  ['tag_key', false],
  ['--port', false],
  ['-v', false],
  ['label_key', false],
  ['access_key_id', false],
  ['page', false],
  ['region', false],
];
for (const [name, expected] of names) {
  test(`isSecretName(${JSON.stringify(name)})`, (t) => t.is(isSecretName(name), expected));
}

const userInfo: Array<[string, string]> = [
  ['http://u:SECRET@h:1/x', 'http://***@h:1/x'],
  ['http://u:SE/CRET@:x', 'http://***@:x'],
  ['https://u:SE CRET@h', 'https://***@h'],
  ['http://h:1/x', 'http://h:1/x'],
  ['a@b', 'a@b'],
  ['host:8500', 'host:8500'],
];
for (const [value, shown] of userInfo) {
  test(`redactUserInfo(${JSON.stringify(value)})`, (t) => t.is(redactUserInfo(value), shown));
}

test('userInfoSecrets: whole, password alone and decoded, without parsing', (t) => {
  t.deepEqual(userInfoSecrets('http://u:p%2Fw/x@h'), ['u:p%2Fw/x', 'p%2Fw/x', 'u:p/w/x', 'p/w/x']);
  t.deepEqual(userInfoSecrets('http://h/'), []);
});

test('scrubSecrets masks known values longest first, and any URL user-info', (t) => {
  t.is(scrubSecrets('token abcd and abcdef at http://x:y@h/', ['abcd', 'abcdef']), 'token *** and *** at http://***@h/');
  t.is(scrubSecrets('a b c', ['a', 'b']), 'a b c', 'values shorter than 4 characters would garble text');
});

test('scrubError masks the message and its causes, keeping the object', (t) => {
  const cause = new Error('echoed s3cr3t');
  const error = new Error('failed: s3cr3t', { cause });
  t.is(scrubError(error, ['s3cr3t']), error);
  t.is(error.message, 'failed: ***');
  t.is(cause.message, 'echoed ***');
});

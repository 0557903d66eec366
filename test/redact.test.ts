import test from 'ava';
import { isSecretName } from '../src/redact.js';

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
  ['tag_key', false],
  ['label_key', false],
  ['access_key_id', false],
  ['page', false],
  ['region', false],
];
for (const [name, expected] of names) {
  test(`isSecretName(${JSON.stringify(name)})`, (t) => t.is(isSecretName(name), expected));
}

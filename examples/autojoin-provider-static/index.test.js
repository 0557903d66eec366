// The plugin's own tests, run from its folder with `npm test` (node --test), against the installed autojoin.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Discover, ProviderArgsError } from 'autojoin';
import staticProvider from './index.js';

const engine = new Discover({ builtins: false, providers: [staticProvider] });

test('addresses come back formatted, IPv6 bracketed with a port', async () => {
  assert.deepEqual(await engine.addrs('provider=static addrs=10.0.0.1,::1 port=4648'), ['10.0.0.1:4648', '[::1]:4648']);
});

test('a bad port is a validation error naming the key', async () => {
  await assert.rejects(engine.addrs('provider=static addrs=10.0.0.1 port=0'), (error) => {
    assert.ok(error instanceof ProviderArgsError);
    assert.match(error.message, /port: "0" is below the minimum 1/);
    return true;
  });
});

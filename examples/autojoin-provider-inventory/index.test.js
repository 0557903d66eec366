// The plugin's own tests, run from its folder with `npm test` (node --test), against the installed
// autojoin: its simulated API is started with the public simulator entry, and the provider reads it.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Discover, ProviderArgsError, ProviderError } from 'autojoin';
import provider, { simModules } from './index.js';

const engine = new Discover({ builtins: false, providers: [provider] });

test('a missing group is a validation error naming the key', async () => {
  await assert.rejects(engine.addrs('provider=inventory url=http://127.0.0.1:1 token=t'), (error) => {
    assert.ok(error instanceof ProviderArgsError);
    assert.match(error.message, /missing required argument "group"/);
    return true;
  });
});

test('the simulated API serves every page, and a wrong token is refused', async (t) => {
  const { startSim, demoFleet } = await import('autojoin/sim');
  const fleet = demoFleet(simModules);
  fleet.page_size = { inventory: 1 };
  const sim = await startSim({ fleet, modules: simModules });
  t.after(() => sim.close());
  const config = `provider=inventory url=${sim.httpUrl} group=nomad-servers port=4647`;
  assert.deepEqual(await engine.addrs(`${config} token=simulator-inventory-token-not-real`), ['10.9.0.11:4647', '10.9.0.12:4647']);
  await assert.rejects(engine.addrs(`${config} token=wrong`), (error) => {
    assert.ok(error instanceof ProviderError);
    assert.match(error.message, /token was refused/);
    assert.doesNotMatch(error.message, /wrong/);
    return true;
  });
});

// Small in-process providers for engine tests: no network, so the engine is tested on its own.
import { defineProvider, type Target } from '../../src/provider.js';

export const echo = defineProvider({
  name: 'echo',
  summary: 'Returns the addresses it is given (test provider).',
  args: {
    addrs: { type: 'list', required: true, help: 'Addresses to return.' },
    port: { type: 'int', min: 1, max: 65535, help: 'Port for every address.' },
    mode: { type: 'enum', values: ['fast', 'slow'], default: 'fast', help: 'How to answer.' },
    delay: { type: 'duration', default: '0s', help: 'Wait this long first.' },
    verbose: { type: 'bool', default: false, help: 'Log more.' },
    endpoint: { type: 'url', help: 'Unused URL.' },
    token: { type: 'string', secret: true, env: ['ECHO_TOKEN'], aliases: ['api_token'], help: 'A secret.' },
  },
  async discover(args, ctx): Promise<Target[]> {
    if (args.delay > 0) await new Promise((resolve) => setTimeout(resolve, args.delay));
    ctx.log.debug(`discover-echo: ${args.addrs.length} addresses`);
    return args.addrs.map((address) => ({ address, port: args.port }));
  },
});

/** Never answers and ignores its signal: the engine's timeout must still end the call. */
export const hang = defineProvider({
  name: 'hang',
  summary: 'Never answers (test provider).',
  args: {},
  discover: () => new Promise<Target[]>(() => {}),
});

export const pair = defineProvider({
  name: 'pair',
  summary: 'Needs a or (b and c) (test provider).',
  args: {
    a: { type: 'string', help: 'Alternative one.' },
    b: { type: 'string', help: 'Alternative two, with c.' },
    c: { type: 'string', help: 'Goes with b.' },
  },
  validate(args) {
    return args.a || (args.b && args.c) ? [] : [{ key: 'a', message: 'give a, or b and c' }];
  },
  async discover(args) {
    return [{ address: args.a ?? `${args.b}.${args.c}` }];
  },
});

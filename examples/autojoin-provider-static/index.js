// A complete third-party provider: `provider=static addrs=10.0.0.1,10.0.0.2 port=4648`.
import { defineProvider } from 'autojoin/provider';

export default defineProvider({
  name: 'static',
  summary: 'Fixed addresses from the config string (example plugin).',
  args: {
    addrs: { type: 'list', required: true, help: 'Comma-separated IPv4/IPv6 addresses or host names.' },
    port: { type: 'int', min: 1, max: 65535, help: 'Port appended to every address.' },
  },
  examples: ['provider=static addrs=10.0.0.1,10.0.0.2 port=4648'],
  async discover(args, ctx) {
    ctx.log.debug(`discover-static: ${args.addrs.length} addresses`);
    return args.addrs.map((address) => ({ address, port: args.port }));
  },
});

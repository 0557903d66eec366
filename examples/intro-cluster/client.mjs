// A cluster client: finds the servers with retryJoin through `discover sim` and registers with
// the first that answers, presenting its introduction token as a Nomad client does.
//
//   NOMAD_CLIENT_INTRO_TOKEN=... node client.mjs --name web-1 --pool default \
//     --servers "provider=consul service=nomad tag=rpc address=http://127.0.0.1:PORT" [--state-dir DIR] [--retry-max 1]
//
// The token comes from NOMAD_CLIENT_INTRO_TOKEN, else --token, else DIR/intro_token.jwt; it is
// never printed. Exit 0 registered, 1 refused (after the retries), 2 an unusable token.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { lineLogger, retryJoin } from 'autojoin';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    pool: { type: 'string', default: 'default' },
    id: { type: 'string', default: randomUUID() },
    servers: { type: 'string' },
    token: { type: 'string' },
    'state-dir': { type: 'string' },
    'retry-max': { type: 'string', default: '1' },
  },
});
const logger = lineLogger((line) => process.stdout.write(line));

/** Registers with the first server that answers; Nomad's client log line on a refusal. */
async function register(addresses, { introToken }) {
  const node = { ID: values.id, Name: values.name, NodePool: values.pool };
  for (const address of addresses) {
    let response;
    try {
      response = await fetch(`http://${address}/v1/node/register`, {
        method: 'PUT',
        headers: introToken ? { 'X-Nomad-Token': introToken } : {},
        body: JSON.stringify({ Node: node }),
      });
    } catch {
      continue; // this server is down: try the next
    }
    const text = await response.text();
    if (response.ok) {
      logger.info(`client: node registration complete: server=${address}`);
      return 1;
    }
    logger.error(`client: error registering: error="rpc error: ${text}"`);
    throw new Error(`rpc error: ${text}`);
  }
  throw new Error('no servers');
}

try {
  await retryJoin({
    entries: [values.servers],
    retryInterval: '200ms',
    retryMax: Number(values['retry-max']),
    logger,
    introToken: { ...(values.token ? { token: values.token } : {}), ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}) },
    join: register,
  });
  process.exitCode = 0;
} catch (error) {
  logger.error(`client: ${error.message}`);
  process.exitCode = error.code === 'ERR_INTRO_TOKEN_UNUSABLE' ? 2 : 1;
}

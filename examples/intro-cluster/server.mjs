// A cluster server: joins the other servers with retryJoin, and admits new clients with
// admitRegistration, as a Nomad server does at Node.Register.
//
//   node server.mjs --listen 127.77.1.11:4647 --peers "provider=consul service=nomad tag=rpc address=http://127.0.0.1:PORT" \
//     --jwks http://127.0.0.1:PORT/.well-known/jwks.json --enforcement strict [--jti-dir DIR] [--region global]
//
// Routes: GET /v1/status/ping, PUT /v1/node/register (Nomad's node fields, the token in X-Nomad-Token),
// GET /v1/metrics (Nomad's shape). Log lines go to stdout.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { lineLogger, retryJoin } from 'autojoin';
import { admitRegistration, FileJtiStore, formatAdmission, INTRO_VIOLATION_METRIC, IntroCounters, JwksCache, validateIntroPolicy } from 'autojoin/intro';

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    peers: { type: 'string' },
    jwks: { type: 'string' },
    enforcement: { type: 'string', default: 'warn' },
    region: { type: 'string', default: 'global' },
    'jti-dir': { type: 'string' },
  },
});
const [host, port] = values.listen.split(':');
const self = values.listen;
const logger = lineLogger((line) => process.stdout.write(line));
const metrics = new IntroCounters();
const { enforcement } = validateIntroPolicy({ enforcement: values.enforcement });
const policy = {
  enforcement,
  keys: new JwksCache({ url: values.jwks }),
  region: values.region,
  metrics,
  logger,
  // Shared by the servers of one host: a token spent at one is spent at all.
  ...(values['jti-dir'] ? { replay: new FileJtiStore(values['jti-dir']) } : {}),
};
const registered = new Map();

async function readBody(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text === '' ? {} : JSON.parse(text);
}

const server = createServer(async (req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  try {
    if (req.url === '/v1/status/ping') return send(200, { server: self });
    if (req.url === '/v1/metrics') {
      const count = metrics.get(INTRO_VIOLATION_METRIC);
      return send(200, { Counters: count ? [{ Name: INTRO_VIOLATION_METRIC, Count: count }] : [] });
    }
    if (req.url === '/v1/node/register' && req.method === 'PUT') {
      const { Node: node } = await readBody(req);
      // Only a node not yet in state is introduced (nomad/node_endpoint.go).
      if (registered.has(node.ID)) return send(200, { NodeID: node.ID });
      const token = req.headers['x-nomad-token'] || undefined;
      const decision = await admitRegistration(policy, { token, node: { id: node.ID, name: node.Name, pool: node.NodePool } });
      if (!decision.allowed) return send(403, 'Permission denied');
      registered.set(node.ID, node);
      logger.info(`nomad.client: node registered: node_id=${node.ID} node_name=${node.Name} node_pool=${node.NodePool || 'default'}`);
      return send(200, { NodeID: node.ID, ...(decision.level === 'warn' ? { Warning: formatAdmission(decision) } : {}) });
    }
    send(404, 'Invalid URI');
  } catch (error) {
    send(500, error.message);
  }
});

server.listen(Number(port), host, async () => {
  logger.info(`server: listening on ${self} enforcement=${enforcement}`);
  // Join the other servers: discovered through the sim's Consul catalog.
  await retryJoin({
    entries: [values.peers],
    retryInterval: '200ms',
    logger,
    join: async (addresses) => {
      const peers = addresses.filter((address) => address !== self);
      const answers = await Promise.allSettled(peers.map((peer) => fetch(`http://${peer}/v1/status/ping`).then((r) => r.ok || Promise.reject())));
      return answers.filter((a) => a.status === 'fulfilled').length;
    },
  });
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));

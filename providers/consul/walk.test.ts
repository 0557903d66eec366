/**
 * provider=consul walk_datacenters=true: Nomad's client discovery across Consul datacenters
 * (hashicorp/nomad client/consul.go `consulDiscoveryImpl`, client/util.go `shuffleStrings`).
 * The pure order first, then the walk against the simulator, whose requests are recorded.
 */
import test from 'ava';
import { createConsulProvider } from './index.js';
import consulSim from './sim.js';
import { DATACENTER_QUERY_LIMIT, datacenterOrder, goQuotedList, hclogList, malformedDatacenters, shuffleStrings } from './walk.js';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { Fleet, FleetService } from '../../src/sim/fleet.js';
import type { SimModule, SimResponse } from '../../src/sim/types.js';
import { startTestSim } from '../../test/helpers/sim.js';

/** A seeded stand-in for Math.random (a 32-bit LCG): the same seed, the same shuffle. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// ---------------------------------------------------------------- pure

test("shuffleStrings is Nomad's: swap i with j drawn from [0, i]", (t) => {
  // random() = 0 always draws j = 0: each element in turn goes to the front.
  t.deepEqual(
    shuffleStrings(['a', 'b', 'c', 'd'], () => 0),
    ['d', 'a', 'b', 'c'],
  );
  // random() just below 1 draws j = i: nothing moves.
  t.deepEqual(
    shuffleStrings(['a', 'b', 'c', 'd'], () => 0.999),
    ['a', 'b', 'c', 'd'],
  );
});

test("datacenterOrder: one or two datacenters keep Consul's order (Nomad shuffles only above two)", (t) => {
  t.deepEqual(
    datacenterOrder(['dc1'], () => 0),
    ['dc1'],
  );
  t.deepEqual(
    datacenterOrder(['dc1', 'dc2'], () => 0),
    ['dc1', 'dc2'],
  );
  t.deepEqual(
    datacenterOrder([], () => 0),
    [],
  );
});

test('datacenterOrder: the local one stays first, the rest are shuffled by the injected random', (t) => {
  const listed = ['dc1', 'r01', 'r02', 'r03', 'r04'];
  t.deepEqual(
    datacenterOrder(listed, () => 0),
    ['dc1', 'r04', 'r01', 'r02', 'r03'],
  );
  t.deepEqual(datacenterOrder(listed, seeded(7)), datacenterOrder(listed, seeded(7)), 'a seed gives one order');
  const orders = new Set<string>();
  for (let seed = 1; seed <= 40; seed++) {
    const order = datacenterOrder(listed, seeded(seed));
    t.is(order[0], 'dc1');
    t.deepEqual([...order].sort(), [...listed].sort());
    orders.add(order.join(' '));
  }
  t.true(orders.size > 5, `only ${orders.size} distinct orders from 40 seeds`);
  t.deepEqual(listed, ['dc1', 'r01', 'r02', 'r03', 'r04'], 'the input is not mutated');
});

test("datacenterOrder: at most 9 (Nomad's datacenterQueryLimit), the local one included", (t) => {
  const listed = ['dc1', ...Array.from({ length: 14 }, (_, i) => `r${String(i + 1).padStart(2, '0')}`)];
  t.is(DATACENTER_QUERY_LIMIT, 9);
  for (const seed of [1, 2, 3]) {
    const order = datacenterOrder(listed, seeded(seed));
    t.is(order.length, 9);
    t.is(order[0], 'dc1');
    t.is(new Set(order).size, 9);
  }
});

const formatCases: Array<[string, string, string]> = [
  ['hclogList one', hclogList(['dc1']), '[dc1]'],
  ['hclogList several (a space: quoted)', hclogList(['dc1', 'dc2']), '"[dc1 dc2]"'],
  ['goQuotedList (%+q of []string)', goQuotedList(['dc1', 'eu west']), '["dc1" "eu west"]'],
];
for (const [name, actual, expected] of formatCases) {
  test(`log format: ${name}`, (t) => {
    t.is(actual, expected);
  });
}

test('malformedDatacenters', (t) => {
  t.is(malformedDatacenters(['dc1']), undefined);
  t.is(malformedDatacenters({}), 'the response is not a JSON array');
  t.is(malformedDatacenters(['dc1', 7]), 'element 1 is not a datacenter name');
});

// ---------------------------------------------------------------- against the simulator

/** The consul sim with every request's path and query recorded, and chosen datacenters failing. */
function recordingSim(failing: Record<string, SimResponse> = {}): { module: SimModule; queries: string[] } {
  const queries: string[] = [];
  const module: SimModule = {
    ...consulSim,
    apis: consulSim.apis.map((api) => ({
      ...api,
      handle: (req, ctx) => {
        queries.push(`${req.url.pathname}${req.url.search}`);
        const dc = req.url.searchParams.get('dc');
        return (dc !== null && failing[dc]) || api.handle(req, ctx);
      },
    })),
  };
  return { module, queries };
}

function svc(node: string, ip: string, datacenter: string, over: Partial<FleetService> = {}): FleetService {
  return { node, node_address: ip, service: 'nomad', port: 4647, tags: ['rpc', 'serf'], datacenter, ...over };
}

/** dc1 (local) and r01..r11: nomad servers where `withServers` says, a `web` service everywhere else. */
function estate(withServers: string[]): Fleet {
  const dcs = ['dc1', ...Array.from({ length: 11 }, (_, i) => `r${String(i + 1).padStart(2, '0')}`)];
  const services = dcs.flatMap((dc, i) =>
    withServers.includes(dc)
      ? [svc(`${dc}-srv-1`, `10.${i}.0.1`, dc), svc(`${dc}-srv-2`, `10.${i}.0.2`, dc)]
      : [svc(`${dc}-web`, `10.${i}.9.9`, dc, { service: 'web', port: 80, tags: [] })],
  );
  return { credentials: {}, instances: [], services };
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`[${level}] ${message}`);
  return { logger: { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') }, lines };
}

// With random() = 0 Nomad's shuffle of r01..r11 gives r11, r01, r02, ...; cut to 9 with dc1 first.
const ZERO_ORDER = ['dc1', 'r11', 'r01', 'r02', 'r03', 'r04', 'r05', 'r06', 'r07'];
const engineAtZero = new Discover({ builtins: false, providers: [createConsulProvider({ random: () => 0 })] });

const serviceQuery = (dc: string) => `/v1/catalog/service/nomad?dc=${dc}&near=_agent&stale=&tag=rpc&wait=2000ms`;

test('the walk: datacenters listed, local first, the shuffled rest until the first with servers; stale + near=_agent on the wire', async (t) => {
  const { module, queries } = recordingSim();
  const sim = await startTestSim(t, estate(['r01', 'r02']), [module]);
  const { logger, lines } = capture();
  const addrs = await engineAtZero.addrs(`provider=consul tag=rpc walk_datacenters=true address=${sim.httpUrl}`, { logger });
  t.deepEqual(addrs, ['10.1.0.1:4647', '10.1.0.2:4647'], 'r01 comes before r02 in the walk, so only its servers');
  t.deepEqual(queries, ['/v1/catalog/datacenters', serviceQuery('dc1'), serviceQuery('r11'), serviceQuery('r01')]);
  t.true(lines.includes(`[DEBUG] discover-consul: bootstrap contacting Consul DCs: consul_dcs="[${ZERO_ORDER.join(' ')}]"`), lines.join('\n'));
  t.true(lines.includes('[INFO] discover-consul: discovered following servers: servers="[10.1.0.1:4647 10.1.0.2:4647]"'), lines.join('\n'));
});

test('the walk: servers in the local datacenter end it at the first query', async (t) => {
  const { module, queries } = recordingSim();
  const sim = await startTestSim(t, estate(['dc1', 'r11']), [module]);
  t.deepEqual(await engineAtZero.addrs(`provider=consul tag=rpc walk_datacenters=true address=${sim.httpUrl}`), ['10.0.0.1:4647', '10.0.0.2:4647']);
  t.deepEqual(queries, ['/v1/catalog/datacenters', serviceQuery('dc1')]);
});

test('the walk: another seed, another order, and the servers of whichever datacenter it reaches first', async (t) => {
  const random = seeded(2026);
  const expected = datacenterOrder(['dc1', ...Array.from({ length: 11 }, (_, i) => `r${String(i + 1).padStart(2, '0')}`)], seeded(2026));
  t.notDeepEqual(expected, ZERO_ORDER);
  const { module, queries } = recordingSim();
  // Servers everywhere but dc1: the walk stops at the second datacenter of the seeded order.
  const sim = await startTestSim(t, estate(expected.slice(1)), [module]);
  const engine = new Discover({ builtins: false, providers: [createConsulProvider({ random })] });
  const addrs = await engine.addrs(`provider=consul tag=rpc walk_datacenters=true address=${sim.httpUrl}`);
  const second = expected[1] as string;
  const index = Number(second.slice(1));
  t.deepEqual(addrs, [`10.${index}.0.1:4647`, `10.${index}.0.2:4647`]);
  t.deepEqual(queries, ['/v1/catalog/datacenters', serviceQuery('dc1'), serviceQuery(second)]);
});

test("the walk: at most 9 datacenters; none with servers is an empty list and Nomad's message", async (t) => {
  const { module, queries } = recordingSim();
  // r08 and r09 have servers but sit beyond the 9th place of the walk.
  const sim = await startTestSim(t, estate(['r08', 'r09']), [module]);
  const { logger, lines } = capture();
  t.deepEqual(await engineAtZero.addrs(`provider=consul tag=rpc walk_datacenters=true address=${sim.httpUrl}`, { logger }), []);
  t.deepEqual(queries, ['/v1/catalog/datacenters', ...ZERO_ORDER.map(serviceQuery)]);
  t.true(
    lines.includes(`[WARN] discover-consul: no Nomad Servers advertising service "nomad" in Consul datacenters: ${goQuotedList(ZERO_ORDER)}`),
    lines.join('\n'),
  );
});

test("the walk: a datacenter that fails is skipped with Nomad's message; the next one answers", async (t) => {
  const { module } = recordingSim({ r11: { status: 403, headers: { 'content-type': 'text/plain' }, body: 'ACL not found' } });
  const sim = await startTestSim(t, estate(['r01']), [module]);
  const { logger, lines } = capture();
  t.deepEqual(await engineAtZero.addrs(`provider=consul tag=rpc walk_datacenters=true address=${sim.httpUrl}`, { logger }), ['10.1.0.1:4647', '10.1.0.2:4647']);
  t.true(lines.includes('[DEBUG] discover-consul: unable to query service "nomad" from Consul datacenter "r11": 403: ACL not found'), lines.join('\n'));
});

test('the walk: no servers anywhere and a datacenter failed: the call fails naming it', async (t) => {
  const { module } = recordingSim({ r02: { status: 403, headers: { 'content-type': 'text/plain' }, body: 'ACL not found' } });
  const sim = await startTestSim(t, estate([]), [module]);
  await t.throwsAsync(engineAtZero.discover(`provider=consul tag=rpc walk_datacenters=true address=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: 'discover-consul: CatalogService failed: unable to query service "nomad" from Consul datacenter "r02": 403: ACL not found',
  });
});

test('the walk: the datacenter list failing is the error (Nomad: unable to query Consul datacenters)', async (t) => {
  const sim = await startTestSim(t, { ...estate(['dc1']), credentials: { consul: { token: 'right-token-0001' } } }, [consulSim]);
  await t.throwsAsync(engineAtZero.discover(`provider=consul walk_datacenters=true address=${sim.httpUrl} token=wrong-token-0002`), {
    instanceOf: ProviderError,
    message: 'discover-consul: CatalogDatacenters failed: 403: ACL not found',
  });
  sim.setFaults('consul', { malformed: true });
  await t.throwsAsync(engineAtZero.discover(`provider=consul walk_datacenters=true address=${sim.httpUrl} token=right-token-0001`), {
    instanceOf: MalformedResponseError,
  });
});

test('without walk_datacenters one datacenter is read, with no stale or near', async (t) => {
  const { module, queries } = recordingSim();
  const sim = await startTestSim(t, estate(['r01']), [module]);
  t.deepEqual(await engineAtZero.addrs(`provider=consul tag=rpc address=${sim.httpUrl}`), []);
  t.deepEqual(queries, ['/v1/catalog/service/nomad?tag=rpc']);
});

test('walk_datacenters with datacenter is refused before any request', async (t) => {
  await t.throwsAsync(engineAtZero.discover('provider=consul walk_datacenters=true datacenter=dc2'), {
    instanceOf: ProviderArgsError,
    message: /walk_datacenters=true walks every datacenter: leave out datacenter/,
  });
});

test('the sim lists the local datacenter first, then the others by name', async (t) => {
  const sim = await startTestSim(t, { credentials: {}, instances: [], services: [svc('a', '10.0.0.1', 'zz'), svc('b', '10.0.0.2', 'aa')] }, [consulSim]);
  const response = await fetch(`${sim.httpUrl}/v1/catalog/datacenters`);
  t.deepEqual(await response.json(), ['dc1', 'aa', 'zz']);
});

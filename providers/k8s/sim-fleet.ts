/**
 * What the Kubernetes simulator adds to the fleet file: pods. A pod is an instance with
 * `cloud: k8s`; its `tags` are its labels, its `private_ipv4` (or `private_ipv6`) its pod IP,
 * `state` its phase (`running` is `Running`, `pending` `Pending`, `stopped` `Succeeded`).
 */
import { benchAddress, type FleetChecker, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** A pod as the Kubernetes simulator reads it. */
export interface PodInstance extends FleetInstance {
  namespace?: string;
  annotations?: Record<string, string>;
  /** `true` (default): a Ready condition True; `false`: False; `none`: no Ready condition at all. */
  ready_condition?: boolean | 'none';
  host_ip?: string;
  host_network?: boolean;
  node_name?: string;
  container_ports?: Array<{ name?: string; container_port: number; host_port?: number }>;
}

function checkPorts(value: unknown, where: string, check: FleetChecker): unknown {
  const list = check.array(value, where);
  if (!list) return undefined;
  return list.flatMap((item, i) => {
    const port = check.object(item, `${where}[${i}]`);
    if (!port) return [];
    check.knownKeys(port, ['name', 'container_port', 'host_port'], `${where}[${i}].`);
    const containerPort = check.int(port.container_port, `${where}[${i}].container_port`, 1, 65535);
    if (containerPort === undefined) return [];
    const hostPort = port.host_port === undefined ? undefined : check.int(port.host_port, `${where}[${i}].host_port`, 0, 65535);
    const name = port.name === undefined ? undefined : check.string(port.name, `${where}[${i}].name`);
    return [{ container_port: containerPort, ...(name ? { name } : {}), ...(hostPort !== undefined ? { host_port: hostPort } : {}) }];
  });
}

export const k8sFleet: FleetModuleSpec = {
  summary:
    'Pods: `name`, `tags` (labels), `state` (phase), `private_ipv4`/`private_ipv6` (pod IP), plus `namespace`, `annotations`, `ready_condition`, `host_ip`, `host_network`, `node_name`, `container_ports`.',
  instanceFields: {
    namespace: { help: 'The namespace. @default default', check: (value, where, check) => check.string(value, where) },
    annotations: { help: 'Annotations, e.g. `consul.hashicorp.com/auto-join-port: "8301"`.', check: (value, where, check) => check.stringMap(value, where) },
    ready_condition: {
      help: '`true` (default): a Ready condition True; `false`: False; `none`: no Ready condition.',
      check(value, where, check) {
        if (value === true || value === false || value === 'none') return value;
        check.problems.push(`${where}: must be true, false or "none"`);
        return undefined;
      },
    },
    host_ip: { help: "The node's IP (`status.hostIP`).", check: (value, where, check) => check.string(value, where) },
    host_network: { help: '`spec.hostNetwork`: the pod IP is the host IP.', check: (value, where, check) => check.bool(value, where) },
    node_name: { help: '`spec.nodeName`.', check: (value, where, check) => check.string(value, where) },
    container_ports: { help: 'Container ports: `[{ name, container_port, host_port }]`.', check: checkPorts },
  },
  credentials: {
    token: { help: 'The bearer token requests must carry (a service-account token); others get 401 `Unauthorized`.', required: true },
  },
  demo: {
    credentials: { k8s: { token: 'simulator-k8s-serviceaccount-token-not-real' } },
    instances: [
      {
        id: 'consul-server-0',
        cloud: 'k8s',
        name: 'consul-server-0',
        namespace: 'consul',
        tags: { app: 'consul', component: 'server' },
        private_ipv4: '10.12.0.10',
        host_ip: '192.0.2.60',
        node_name: 'node-a',
        annotations: { 'consul.hashicorp.com/auto-join-port': 'serflan' },
        container_ports: [{ name: 'serflan', container_port: 8301 }],
      },
      {
        id: 'consul-server-1',
        cloud: 'k8s',
        name: 'consul-server-1',
        namespace: 'consul',
        tags: { app: 'consul', component: 'server' },
        private_ipv4: '10.12.0.11',
        host_ip: '192.0.2.61',
        node_name: 'node-b',
        annotations: { 'consul.hashicorp.com/auto-join-port': 'serflan' },
        container_ports: [{ name: 'serflan', container_port: 8301 }],
      },
      {
        id: 'consul-server-2',
        cloud: 'k8s',
        name: 'consul-server-2',
        namespace: 'consul',
        tags: { app: 'consul', component: 'server' },
        private_ipv4: '10.12.0.12',
        host_ip: '192.0.2.62',
        node_name: 'node-c',
        ready_condition: false,
        annotations: { 'consul.hashicorp.com/auto-join-port': 'serflan' },
        container_ports: [{ name: 'serflan', container_port: 8301 }],
      },
    ],
  },
  bench: (i) => ({ id: `pod-${i}`, cloud: 'k8s', name: `pod-${i}`, namespace: 'default', tags: { role: 'nomad-server' }, private_ipv4: benchAddress(16, i) }),
};

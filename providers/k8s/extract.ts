/**
 * Kubernetes PodList pages -> targets, as go-discover's `PodAddrs` does it. Pure: table-tested.
 * Wire facts (provider-apis.md §1): `status.phase`, `status.conditions[] {type, status}`,
 * `status.podIP` / `status.hostIP`, `spec.containers[].ports[] {name, containerPort, hostPort}`.
 */
import type { Target } from '../../src/kit/index.js';

/** The annotation go-discover reads the port from (its Help names another, wrongly). */
export const PORT_ANNOTATION = 'consul.hashicorp.com/auto-join-port';

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
}

/** One pod of a PodList (the fields read here). */
export interface Pod {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> | null } | null;
  spec?: { nodeName?: string; containers?: Array<{ ports?: ContainerPort[] | null }> | null } | null;
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: Array<{ type?: string; status?: string }> | null;
  } | null;
}

export interface PodList {
  kind?: string;
  metadata?: { continue?: string; resourceVersion?: string };
  items: Pod[];
}

/** Why a 200 body is not a PodList; undefined when it is. */
export function malformedPodList(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const list = body as Record<string, unknown>;
  if (list.kind !== undefined && list.kind !== 'PodList') return `the response is a ${String(list.kind)}, not a PodList`;
  if (!Array.isArray(list.items)) return 'the response has no "items" array';
  for (const [i, pod] of list.items.entries()) if (typeof pod !== 'object' || pod === null) return `items[${i}] is not an object`;
  return undefined;
}

/**
 * Go's `strconv.ParseInt(text, 0, 32)`: an optional sign, then `0x`/`0o`/`0b` prefixes or a
 * leading `0` for octal, with `_` allowed between digits only when a prefix is present.
 * @returns undefined for what Go rejects (or what is out of the int32 range)
 */
export function parseGoInt32(text: string): number | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, body] = match as unknown as [string, string, string];
  const hasPrefix = /^0[xXoObB]/.test(body) || (body.length > 1 && body.startsWith('0'));
  // Underscores only with a base prefix (Go: "base prefix ... underscores permitted"), never doubled or trailing.
  if (body.includes('_') && (!hasPrefix || /__|_$/.test(body) || /^0[xXoObB]?_*$/.test(body))) return undefined;
  const digits = body.replace(/_/g, '');
  let value: number;
  if (/^0[xX]/.test(digits)) value = Number.parseInt(digits.slice(2), 16);
  else if (/^0[oO]/.test(digits)) value = Number.parseInt(digits.slice(2), 8);
  else if (/^0[bB]/.test(digits)) value = Number.parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith('0')) value = Number.parseInt(digits.slice(1), 8);
  else value = Number.parseInt(digits, 10);
  if (Number.isNaN(value)) return undefined;
  const signed = sign === '-' ? -value : value;
  return signed >= -(2 ** 31) && signed <= 2 ** 31 - 1 ? signed : undefined;
}

/** Why a pod gave no target, for the `-v` log. */
export interface SkippedPod {
  pod: string;
  reason: string;
}

/**
 * go-discover's `PodAddrs`: Running pods only; pods with a Ready condition only when it is True
 * (pods without one are kept); the pod IP, or the host IP with `hostNetwork`; the port from the
 * annotation (a container port of that name, else a number), giving `ip:port`.
 */
export function podTargets(pods: readonly Pod[], hostNetwork: boolean): { targets: Target[]; skipped: SkippedPod[] } {
  const targets: Target[] = [];
  const skipped: SkippedPod[] = [];
  for (const pod of pods) {
    const name = `${pod.metadata?.namespace ? `${pod.metadata.namespace}/` : ''}${pod.metadata?.name ?? '?'}`;
    const skip = (reason: string) => skipped.push({ pod: name, reason });
    const phase = pod.status?.phase ?? '';
    if (phase !== 'Running') {
      skip(`phase is ${phase || 'unknown'}, not Running`);
      continue;
    }
    const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
    if (ready && ready.status !== 'True') {
      skip(`Ready condition is ${ready.status ?? 'unset'}`);
      continue;
    }
    const address = hostNetwork ? pod.status?.hostIP : pod.status?.podIP;
    if (!address) {
      skip(`no ${hostNetwork ? 'host IP' : 'pod IP'} yet`);
      continue;
    }
    const target: Target = { address };
    if (pod.metadata?.name) target.name = pod.metadata.name;
    if (pod.metadata?.namespace) target.zone = pod.metadata.namespace;
    if (pod.spec?.nodeName) target.meta = { node: pod.spec.nodeName };
    const annotation = pod.metadata?.annotations?.[PORT_ANNOTATION];
    if (annotation !== undefined && annotation !== '') {
      const port = annotationPort(pod, annotation, hostNetwork);
      if (port === undefined) {
        skip(`annotation ${PORT_ANNOTATION}="${annotation}" names no port`);
        continue;
      }
      target.port = port;
    }
    targets.push(target);
  }
  return { targets, skipped };
}

/**
 * The port the annotation means: a container port with that name (in host mode its `hostPort`;
 * a definition without one does not count), else the annotation as a number.
 */
function annotationPort(pod: Pod, annotation: string, hostNetwork: boolean): number | undefined {
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name !== annotation) continue;
      const number = hostNetwork ? port.hostPort : port.containerPort;
      if (number) return number;
    }
  }
  const number = parseGoInt32(annotation);
  return number === undefined || number < 0 || number > 65535 ? undefined : number;
}

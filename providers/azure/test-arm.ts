/**
 * For the azure tests that read the simulator's ARM answers raw (wire.test.ts, pruned-mappers.test.ts):
 * one small estate (tagged servers, a second NIC, a Uniform scale set) and a GET with a token ARM
 * accepts (audience = the listener, as management.azure.com is for Azure).
 */
import { issueToken } from './sim-token.js';
import type { Fleet, FleetInstance, HttpClient } from '../../src/kit/index.js';

export const TENANT = 'aaaaaaaa-0000-0000-0000-000000000001';
export const CLIENT = 'bbbbbbbb-0000-0000-0000-000000000002';
export const SUB = 'cccccccc-0000-0000-0000-000000000003';

const vm = (id: string, extra: Partial<FleetInstance> = {}): FleetInstance => ({ id, cloud: 'azure', ...extra });

/** Two tagged servers (dual-stack, a second NIC) and a Uniform scale set member with a public IP. */
export const armFleet = (): Fleet => ({
  credentials: { azure: { tenant_id: TENANT, client_id: CLIENT, client_secret: 'sim-arm-test-secret', subscription_id: SUB } },
  instances: [
    vm('srv1', { tags: { consul: 'server' }, private_ipv4: '10.0.0.1', public_ipv4: '192.0.2.1', private_ipv6: 'fd00::1' }),
    vm('srv2', { tags: { consul: 'server' }, private_ipv4: '10.0.0.2', extra_nics: [{ private_ipv4: '10.0.1.2' }] }),
    vm('u0', { resource_group: 'rg-sets', scale_set: 'uni', tags: { consul: 'server' }, private_ipv4: '10.1.0.4', public_ipv4: '192.0.2.4' }),
  ],
});

/** `GET <sim>/subscriptions/<SUB><pathAndQuery>` as `appid`, whatever the status. */
export async function armGet(http: HttpClient, simUrl: string, pathAndQuery: string, appid = CLIENT): Promise<{ status: number; body: unknown }> {
  const authorization = `Bearer ${issueToken({ aud: simUrl, tid: TENANT, appid }).token}`;
  const res = await http.request(`${simUrl}/subscriptions/${SUB}${pathAndQuery}`, { headers: { authorization }, okStatus: () => true });
  return { status: res.status, body: res.json() };
}

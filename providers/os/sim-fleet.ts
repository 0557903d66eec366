/**
 * What the OpenStack simulator adds to the fleet file: the Keystone user, project, application
 * credential and token lifetime, and the demo servers. A server's metadata is the instance's `tags`.
 */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const osFleet: FleetModuleSpec = {
  summary:
    'Nova servers: `region` picks the compute endpoint (default `RegionOne`), `state` `running` is `ACTIVE` (`stopped` `SHUTOFF`), `tags` are server metadata, `private_ipv4`/`private_ipv6` fixed addresses on network `private`, `public_ipv4` a floating one, `public_ipv6` fixed on `public`, `extra_nics` on `net-N`.',
  credentials: {
    user_name: { help: 'The Keystone user (password method).', required: true },
    password: { help: "The user's password.", required: true },
    user_id: { help: 'The user id. @default derived from the name' },
    domain_name: { help: 'The domain of user and project. @default Default' },
    domain_id: { help: 'The domain id. @default default' },
    project_name: { help: 'The project every server is in. @default demo' },
    project_id: { help: 'The project id. @default derived from the name' },
    application_credential_id: { help: 'An application credential id (with its secret).' },
    application_credential_name: { help: 'The application credential name.' },
    application_credential_secret: { help: 'The application credential secret.' },
    token_ttl_s: { help: 'Token lifetime in seconds (`0`: expired when issued, to test renewal). @default 3600' },
  },
  demo: {
    credentials: {
      os: {
        user_name: 'discover',
        password: 'simulator-openstack-password-not-real',
        project_name: 'infra',
        application_credential_id: '21dced0fd20347869b93710d2b98aae0',
        application_credential_name: 'autojoin',
        application_credential_secret: 'simulator-app-credential-secret-not-real',
      },
    },
    instances: [
      { id: 'os-consul-1', cloud: 'os', name: 'consul-os-1', tags: { consul: 'server' }, private_ipv4: '10.10.0.11', public_ipv4: '203.0.113.71' },
      { id: 'os-consul-2', cloud: 'os', name: 'consul-os-2', tags: { consul: 'server' }, private_ipv4: '10.10.0.12', private_ipv6: '2001:db8:7::12' },
      { id: 'os-consul-3', cloud: 'os', name: 'consul-os-3', tags: { consul: 'server' }, private_ipv4: '10.10.0.13', state: 'stopped' },
      { id: 'os-web-1', cloud: 'os', name: 'web-os-1', tags: { consul: 'client' }, private_ipv4: '10.10.1.11' },
    ],
  },
  bench: (i) => ({ id: `os-${i}`, cloud: 'os', name: `os-${i}`, tags: { 'nomad-role': 'server' }, private_ipv4: benchAddress(18, i) }),
};

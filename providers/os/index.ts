/**
 * `provider=os`: OpenStack servers (Nova) whose metadata carries `tag_key=tag_value`, with every
 * fixed address, after Keystone v3 authentication (password, token or application credential).
 */
import { defineProvider } from '../../src/kit/index.js';

export default defineProvider({
  name: 'os',
  summary: 'OpenStack Nova servers by metadata (every fixed IPv4 and IPv6), Keystone v3 password, token or application credential.',
  args: {
    auth_url: {
      type: 'url',
      required: true,
      env: ['OS_AUTH_URL'],
      help: 'The endpoint of OS identity (Keystone, e.g. `https://keystone.example.com:5000/v3`).',
    },
    project_id: {
      type: 'string',
      env: ['OS_PROJECT_ID', 'OS_TENANT_ID'],
      help: 'The id of the project (tenant id). Default, when `project_name` is absent too: the project of this server, from the metadata service.',
    },
    project_name: {
      type: 'string',
      env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
      help: 'The name of the project (tenant name); needs `domain_id` or `domain_name`.',
    },
    tag_key: { type: 'string', help: 'The server metadata key to filter on; every ACTIVE server when absent.' },
    tag_value: { type: 'string', help: 'The value `tag_key` must have (a missing key reads as empty).' },
    user_name: { type: 'string', env: ['OS_USERNAME'], help: 'The user used to authenticate (with `domain_id` or `domain_name`).' },
    user_id: { type: 'string', env: ['OS_USER_ID'], help: 'The id of the user, instead of `user_name` (needs no domain).' },
    password: { type: 'string', secret: true, env: ['OS_PASSWORD'], help: 'The password of the provided user.' },
    token: { type: 'string', secret: true, env: ['OS_AUTH_TOKEN'], help: 'The token to use (Keystone `token` method), instead of a password.' },
    application_credential_id: { type: 'string', env: ['OS_APPLICATION_CREDENTIAL_ID'], help: 'The id of an application credential (its project is its own).' },
    application_credential_name: {
      type: 'string',
      env: ['OS_APPLICATION_CREDENTIAL_NAME'],
      help: 'The name of an application credential, with `user_name` (and a domain) or `user_id`.',
    },
    application_credential_secret: {
      type: 'string',
      secret: true,
      env: ['OS_APPLICATION_CREDENTIAL_SECRET'],
      help: 'The secret of the application credential.',
    },
    insecure: {
      type: 'string',
      env: ['OS_INSECURE'],
      help: "Sets if the api certificate shouldn't be check. Any value means true (as go-discover: even `insecure=false`); said in the log.",
    },
    region: { type: 'string', default: 'RegionOne', env: ['OS_REGION_NAME'], help: 'The region whose compute endpoint is used (catalog `region_id`).' },
    interface: {
      type: 'enum',
      values: ['public', 'internal', 'admin'],
      default: 'public',
      env: ['OS_INTERFACE'],
      help: 'Which catalog interface of the compute endpoint to use.',
    },
    domain_id: {
      type: 'string',
      env: ['OS_DOMAIN_ID', 'OS_USER_DOMAIN_ID', 'OS_PROJECT_DOMAIN_ID'],
      help: 'The domain of `user_name` and `project_name`, by id.',
    },
    domain_name: {
      type: 'string',
      env: ['OS_DOMAIN_NAME', 'OS_USER_DOMAIN_NAME', 'OS_PROJECT_DOMAIN_NAME'],
      help: 'The domain of `user_name` and `project_name`, by name (e.g. `Default`).',
    },
    metadata_url: {
      type: 'url',
      help: 'The OpenStack metadata service asked for `project_id` when neither `project_id` nor `project_name` is given. Default: http://169.254.169.254.',
    },
  },
  notes: [
    'Plain REST through the shared HTTP client: there is no official, maintained OpenStack SDK for JavaScript (pkgcloud is ' +
      'unmaintained, openstack-wrapper is unofficial), and two calls (Keystone, then Nova) need no more.',
    'Authentication: an application credential when `application_credential_secret` is set (by id, or by name with the user), else the ' +
      '`token` method when `token` is set, else the password of `user_name` (with `domain_id`/`domain_name`) or `user_id`. Password and ' +
      'token are scoped to `project_id`, or `project_name` in the domain. `POST {auth_url}/v3/auth/tokens` (`/v3` is added when `auth_url` lacks it); ' +
      'the token is the `X-Subject-Token` header.',
    "The compute endpoint is the catalog's `compute` service for `region` and `interface`. Servers come from " +
      '`GET /servers/detail?status=ACTIVE&limit=1000`, following `servers_links` next to the last page. A server matches when its ' +
      '**metadata** has `tag_key` = `tag_value` (as go-discover; Nova tags are not read); every `fixed` address (v4 and v6) is returned, floating ones are not.',
    'A token refused by Nova mid-walk (expired) is renewed once; a second refusal, or a refused password, token or application ' +
      'credential, is an authentication error saying which credential was refused, never its value, and is not retried.',
    'Project: `project_id`, else `project_name` in the domain, else, as go-discover, the `project_id` of ' +
      '`GET {metadata_url}/openstack/latest/meta_data.json` (the server autojoin runs on; `metadata_url` defaults to http://169.254.169.254). ' +
      'Unlike go-discover the lookup has a timeout and retries, its status is checked, and a failure says to give `project_id`. It goes ' +
      'through the shared HTTP stack, so on a server behind a proxy put 169.254.169.254 in NO_PROXY. Application credentials carry their ' +
      'own project and need no lookup.',
  ],
  examples: [
    'provider=os auth_url=https://keystone.example.com:5000/v3 tag_key=role tag_value=nomad-server application_credential_id=21dced0fd20347869b93710d2b98aae0 application_credential_secret=xxx',
    'provider=os auth_url=https://keystone.example.com:5000/v3 user_name=discover domain_name=Default password=xxx project_name=infra tag_key=consul tag_value=server',
  ],
  validate(args) {
    const problems: Array<{ key: string; message: string }> = [];
    const appCred = args.application_credential_secret !== undefined;
    const withDomain = args.domain_id !== undefined || args.domain_name !== undefined;
    if (appCred) {
      if (args.application_credential_id === undefined && args.application_credential_name === undefined) {
        problems.push({
          key: 'application_credential_secret',
          message: 'application_credential_secret needs application_credential_id or application_credential_name',
        });
      } else if (args.application_credential_id === undefined && args.user_id === undefined && (args.user_name === undefined || !withDomain)) {
        problems.push({ key: 'application_credential_name', message: 'application_credential_name needs user_id, or user_name with domain_id or domain_name' });
      }
      return problems;
    }
    if (args.token === undefined) {
      if (args.password === undefined) {
        return [
          {
            key: 'password',
            message: 'give password (with user_name or user_id), token, or application_credential_secret: no credential to authenticate with',
          },
        ];
      }
      if (args.user_id === undefined && args.user_name === undefined) problems.push({ key: 'user_name', message: 'password needs user_name or user_id' });
      else if (args.user_id === undefined && !withDomain)
        problems.push({ key: 'domain_name', message: 'user_name needs domain_id or domain_name (e.g. domain_name=Default)' });
    }
    if (args.project_id === undefined && args.project_name !== undefined && !withDomain) {
      problems.push({ key: 'project_name', message: 'project_name needs domain_id or domain_name (e.g. domain_name=Default)' });
    }
    return problems;
  },
  async discover(args, ctx) {
    const { listServers } = await import('./client.js');
    const { serverTargets } = await import('./extract.js');
    const insecure = args.insecure !== undefined && args.insecure !== '';
    if (insecure) ctx.log.warn(`discover-os: insecure: the certificates of ${new URL(args.auth_url).host} and the compute endpoint are not verified`);
    const credential =
      args.application_credential_secret !== undefined
        ? {
            method: 'application_credential' as const,
            id: args.application_credential_id,
            name: args.application_credential_name,
            secret: args.application_credential_secret,
            userName: args.user_name,
            userId: args.user_id,
          }
        : args.token !== undefined
          ? { method: 'token' as const, token: args.token }
          : { method: 'password' as const, userName: args.user_name, userId: args.user_id, password: args.password as string };
    let projectId = args.project_id;
    if (credential.method !== 'application_credential' && projectId === undefined && args.project_name === undefined) {
      const { DEFAULT_METADATA_URL, metadataProjectId } = await import('./metadata.js');
      projectId = await metadataProjectId(ctx, args.metadata_url ?? DEFAULT_METADATA_URL);
    }
    const pages = await listServers(
      ctx,
      {
        authUrl: args.auth_url,
        credential,
        scope: { projectId, projectName: args.project_name, domainId: args.domain_id, domainName: args.domain_name },
        region: args.region,
        iface: args.interface,
        insecure,
      },
      (servers) => ({ count: servers.length, targets: serverTargets(servers, args.tag_key, args.tag_value) }),
    );
    const targets = pages.flatMap((page) => page.targets);
    const servers = pages.reduce((sum, page) => sum + page.count, 0);
    ctx.log.debug(`discover-os: ${targets.length} fixed address(es) from ${servers} ACTIVE server(s)`);
    return targets;
  },
});

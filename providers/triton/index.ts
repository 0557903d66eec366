/**
 * `provider=triton`: machines with a tag in a Triton (Joyent SmartDataCenter) account, through
 * CloudAPI `ListMachines`, signed with HTTP Signature by an ssh-agent key or a key file. Plain
 * HTTP through the shared client; no SDK.
 */
import { defineProvider } from '../../src/kit/index.js';

/** Options of {@link createTritonProvider}. */
export interface TritonProviderOptions {
  /** The clock that stamps the `date` header (tests skew it). @default Date.now */
  now?: () => number;
}

export function createTritonProvider(options: TritonProviderOptions = {}) {
  return defineProvider({
    name: 'triton',
    summary: 'Triton CloudAPI: running machines with a tag, every page of ListMachines.',
    args: {
      account: { type: 'string', required: true, env: ['TRITON_ACCOUNT', 'SDC_ACCOUNT'], help: 'The Triton account name.' },
      key_id: {
        type: 'string',
        required: true,
        env: ['TRITON_KEY_ID', 'SDC_KEY_ID'],
        help: 'The Triton KeyID: the MD5 fingerprint of the SSH key (`a1:b2:...`, or `MD5:`/`SHA256:` as `ssh-keygen -l` prints it).',
      },
      url: { type: 'url', required: true, env: ['TRITON_URL', 'SDC_URL'], help: 'The Triton URL (CloudAPI), e.g. `https://us-east-1.api.joyent.com`.' },
      tag_key: { type: 'string', help: 'The tag key to filter on (`tag.<key>=<value>`, with tag_value).' },
      tag_value: { type: 'string', help: 'The tag value to filter on (with tag_key).' },
      key_file: {
        type: 'string',
        env: ['TRITON_KEY_FILE'],
        help: 'A private key file (PEM, or unencrypted OpenSSH) to sign with instead of ssh-agent. Not in go-discover.',
      },
      user: {
        type: 'string',
        env: ['TRITON_USER', 'SDC_USER'],
        help: 'An RBAC sub-user of the account whose key signs (`keyId=/<account>/users/<user>/keys/...`). Not in go-discover.',
      },
    },
    rules: [{ together: ['tag_key', 'tag_value'] }],
    notes: [
      'Plain HTTPS through the shared client, rather than a Triton SDK (there is no maintained Node one; `triton` the CLI is an application). ' +
        'The HTTP Signature is made here over the `date` header: by the ssh-agent at `SSH_AUTH_SOCK` holding the key `key_id` names, as ' +
        'go-discover (the two agent requests are written by hand in agent.ts, no npm package keeps to just that), or from `key_file`.',
      'RSA keys sign `rsa-sha256` (the agent is asked for SHA-256), Ed25519 keys `ed25519-sha512`. An encrypted key file is refused: load it into the agent.',
      'Lists `state=running` machines with `tag.<tag_key>=<tag_value>`, every page (`limit` 1000, the maximum, `offset`, until the ' +
        "`x-resource-count` header's total; after page 1, which carries it, up to 4 pages at a time, each signed on its own); each gives its `primaryIp`, and a machine without one is skipped and counted in the `-v` log.",
      'A refused key or signature (401 `InvalidCredentials`), a refused account (403 `NotAuthorized`) or a `date` too far from the ' +
        "server's clock fail at once, naming the credential; 429 and 5xx are retried.",
    ],
    examples: [
      'provider=triton account=testaccount url=https://us-sw-1.api.joyentcloud.com key_id=40:9d:d3:f9:0b:86:62:48:f4:2e:a5:8e:43:00:2a:9b tag_key=consul-role tag_value=server',
      'provider=triton account=ops url=https://cloudapi.dc1.example.com key_id=SHA256:abc... key_file=/etc/autojoin/triton_id_rsa tag_key=role tag_value=nomad-server',
    ],
    async discover(args, ctx) {
      const { listAll } = await import('./client.js');
      return listAll(args, ctx, options.now ?? Date.now);
    },
  });
}

export default createTritonProvider();

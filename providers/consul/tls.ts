/**
 * Consul's TLS settings, as its API client reads them (`api/api.go` `DefaultConfig`,
 * `SetupTLSConfig`): `CONSUL_CACERT`, `CONSUL_CLIENT_CERT` + `CONSUL_CLIENT_KEY`,
 * `CONSUL_TLS_SERVER_NAME`, `CONSUL_HTTP_SSL_VERIFY`. The files are read at each lookup, so a
 * rotated certificate is picked up by the next retry-join attempt.
 */
import { readFile } from 'node:fs/promises';
import { ProviderArgsError, type RequestTlsOptions } from '../../src/kit/index.js';

/** The arguments this module reads (file paths, not contents). */
export interface ConsulTlsArgs {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  tls_server_name?: string;
  verify_ssl: boolean;
}

/** Whether any TLS argument changes what Node would do by itself. */
export function hasTlsSettings(args: ConsulTlsArgs): boolean {
  return Boolean(args.ca_file || args.cert_file || args.key_file || args.tls_server_name) || !args.verify_ssl;
}

/**
 * The request TLS options for these arguments.
 * @throws ProviderArgsError naming the argument whose file cannot be read (the path, never the content)
 */
export async function consulTls(args: ConsulTlsArgs): Promise<RequestTlsOptions | undefined> {
  if (!hasTlsSettings(args)) return undefined;
  const problems: Array<{ key: string; message: string }> = [];
  const read = async (key: 'ca_file' | 'cert_file' | 'key_file'): Promise<string | undefined> => {
    const path = args[key];
    if (!path) return undefined;
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push({ key, message: `${key}: cannot read ${JSON.stringify(path)} (${code})` });
      return undefined;
    }
  };
  const [ca, cert, key] = [await read('ca_file'), await read('cert_file'), await read('key_file')];
  if (problems.length > 0) throw new ProviderArgsError('consul', problems);
  const tls: RequestTlsOptions = {};
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (args.tls_server_name) tls.servername = args.tls_server_name;
  // Consul's InsecureSkipVerify: any server certificate is accepted.
  if (!args.verify_ssl) tls.rejectUnauthorized = false;
  return tls;
}

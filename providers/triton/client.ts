/**
 * The CloudAPI `ListMachines` calls: one signed GET per page through `ctx.http`, every page.
 */
import {
  apiCall,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  parseRetryAfter,
  printableLine,
  type Target,
} from '../../src/kit/index.js';
import { machinesUrl, machineTargets, malformedPage, type TritonMachine } from './extract.js';
import { agentSigner, type DateSigner, fileSigner, SignerError } from './signer.js';

const OPERATION = 'ListMachines';
/** CloudAPI's maximum (and default) `limit`. */
export const PAGE_LIMIT = 1000;

export interface TritonArgs {
  account: string;
  key_id: string;
  url: string;
  tag_key?: string;
  tag_value?: string;
  key_file?: string;
  user?: string;
}

async function signer(args: TritonArgs, ctx: ProviderContext): Promise<DateSigner> {
  try {
    if (args.key_file) return await fileSigner(args.key_file, args.key_id, args.account, args.user);
    const socket = ctx.env.SSH_AUTH_SOCK;
    if (!socket) throw new SignerError('no key to sign with: SSH_AUTH_SOCK is not set (start ssh-agent and ssh-add the key) and no key_file is given');
    return await agentSigner(socket, args.key_id, args.account, args.user, ctx.signal);
  } catch (error) {
    if (!(error instanceof Error) || error.name === 'AbortError') throw error;
    throw new ProviderError('triton', `error creating the request signer: ${error.message}`, { operation: 'Sign', cause: error });
  }
}

export async function listAll(args: TritonArgs, ctx: ProviderContext, now: () => number): Promise<Target[]> {
  const sign = await signer(args, ctx);
  const tag = args.tag_key !== undefined && args.tag_value !== undefined ? { key: args.tag_key, value: args.tag_value } : undefined;
  const targets: Target[] = [];
  let skipped = 0;
  for (let offset = 0; ; ) {
    const url = machinesUrl(args.url, args.account, tag, PAGE_LIMIT, offset);
    const { machines, total, limit } = await apiCall(ctx, { provider: 'triton', operation: OPERATION, toError }, () => get(ctx, url, args, sign, now));
    const found = machineTargets(machines);
    targets.push(...found.targets);
    skipped += found.skipped.length;
    offset += machines.length;
    ctx.log.debug(
      `discover-triton: ListMachines: ${machines.length} machine(s) at offset ${offset - machines.length}${total === undefined ? '' : ` of ${total}`}`,
    );
    if (machines.length === 0 || machines.length < limit || (total !== undefined && offset >= total)) break;
  }
  if (skipped > 0) ctx.log.debug(`discover-triton: ${skipped} machine(s) skipped: no primaryIp`);
  return targets;
}

async function get(
  ctx: ProviderContext,
  url: URL,
  args: TritonArgs,
  sign: DateSigner,
  now: () => number,
): Promise<{ machines: TritonMachine[]; total: number | undefined; limit: number }> {
  const date = new Date(now()).toUTCString();
  let authorization: string;
  try {
    authorization = await sign.authorization(date, ctx.signal);
  } catch (error) {
    throw new ProviderError('triton', `the key could not sign: ${(error as Error).message}`, { operation: 'Sign', cause: error });
  }
  const headers = { date, authorization, accept: 'application/json', 'accept-version': '~8||~9' };
  const response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true });
  if (response.status !== 200) {
    let body: { code?: unknown; message?: unknown } = {};
    try {
      body = JSON.parse(response.text()) as typeof body;
    } catch {
      // Not restify's JSON: the status speaks.
    }
    const code = typeof body.code === 'string' ? body.code : undefined;
    const message = printableLine(typeof body.message === 'string' ? body.message : response.text().trim(), 200);
    const reason =
      response.status === 401
        ? `the key ${sign.fingerprint} (key_id) was refused for account ${args.account}${args.user ? ` user ${args.user}` : ''}: ${message}`
        : response.status === 403
          ? `account ${args.account} was refused: ${message}`
          : message || `HTTP ${response.status}`;
    throw new ProviderError('triton', reason, {
      operation: OPERATION,
      status: response.status,
      cloudCode: code,
      throttled: response.status === 429 || code === 'RequestThrottled',
      retryAfterMs: parseRetryAfter(response.headers['retry-after'] as string | undefined, Date.now()),
    });
  }
  const parsed = response.json<unknown>();
  const problem = malformedPage(parsed);
  if (problem) throw new MalformedResponseError(`discover-triton: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
  const count = Number(response.headers['x-resource-count']);
  const queryLimit = Number(response.headers['x-query-limit']);
  return {
    machines: parsed as TritonMachine[],
    total: Number.isInteger(count) ? count : undefined,
    limit: Number.isInteger(queryLimit) && queryLimit > 0 ? queryLimit : PAGE_LIMIT,
  };
}

function toError(error: unknown): unknown {
  if (error instanceof NetworkError) return new ProviderError('triton', error.message, { operation: OPERATION, cause: error });
  if (error instanceof HttpStatusError) return new ProviderError('triton', error.message, { operation: OPERATION, status: error.status, cause: error });
  return error;
}

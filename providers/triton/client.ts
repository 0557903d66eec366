/**
 * The CloudAPI `ListMachines` calls: one signed GET per page through `ctx.http`, every page (after
 * the first, a few at a time), each page retried on its own; a failure of any page fails the call.
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
  readNumberedPages,
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

/** One `ListMachines` answer: its machines and what its headers state. */
interface MachinePage {
  machines: TritonMachine[];
  /** `x-resource-count`: the machines matching, across every page. */
  total: number | undefined;
  /** `x-query-limit`: the page size the server served. */
  limit: number;
}

/**
 * Every running machine with the tag, every page; their targets in page order. Page 1's
 * `x-resource-count` plans the rest (at the offsets its length sets, as a server may serve fewer
 * than `limit`), read a few at a time (the kit's `readNumberedPages`), each request signed on its
 * own; each page is reduced to its targets as it arrives. Without the count, page after page until
 * a short one.
 */
export async function listAll(args: TritonArgs, ctx: ProviderContext, now: () => number): Promise<Target[]> {
  const sign = await signer(args, ctx);
  const tag = args.tag_key !== undefined && args.tag_value !== undefined ? { key: args.tag_key, value: args.tag_value } : undefined;
  // Machines a page holds: the limit asked, or fewer when page 1 shows the server serves fewer.
  let stride = PAGE_LIMIT;
  const pages = await readNumberedPages<MachinePage, { targets: Target[]; skipped: number }>({
    signal: ctx.signal,
    what: `discover-triton: ${OPERATION}`,
    async read(page, signal) {
      const offset = (page - 1) * stride;
      const url = machinesUrl(args.url, args.account, tag, PAGE_LIMIT, offset);
      const pageCtx = { ...ctx, signal };
      const answer = await apiCall(pageCtx, { provider: 'triton', operation: OPERATION, toError }, () => get(pageCtx, url, args, sign, now));
      if (answer.machines.length > 0 || page === 1) return answer;
      // An empty page: the list ended before it (it shrank), unless the count says otherwise.
      if (answer.total !== undefined && answer.total > offset) {
        throw new MalformedResponseError(
          `discover-triton: ${OPERATION}: x-resource-count says ${answer.total} but the pages ended after ${offset}`,
          `${url.origin}${url.pathname}`,
        );
      }
      return undefined;
    },
    pageCount: (first) => {
      if (first.machines.length > 0) stride = first.machines.length;
      if (first.total === undefined || first.machines.length === 0 || first.total <= first.machines.length) return undefined;
      return Math.ceil(first.total / stride);
    },
    next: (answer, page) => {
      if (answer.machines.length === 0) return undefined;
      if (answer.total === undefined) return answer.machines.length < answer.limit ? undefined : page + 1;
      return page * stride < answer.total ? page + 1 : undefined;
    },
    reduce: (answer, page) => {
      ctx.log.debug(
        `discover-triton: ListMachines page ${page}: ${answer.machines.length} machine(s)${answer.total === undefined ? '' : ` of ${answer.total}`}`,
      );
      const found = machineTargets(answer.machines);
      return { targets: found.targets, skipped: found.skipped.length };
    },
  });
  const skipped = pages.reduce((sum, page) => sum + page.skipped, 0);
  if (skipped > 0) ctx.log.debug(`discover-triton: ${skipped} machine(s) skipped: no primaryIp`);
  return pages.flatMap((page) => page.targets);
}

async function get(ctx: ProviderContext, url: URL, args: TritonArgs, sign: DateSigner, now: () => number): Promise<MachinePage> {
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

/**
 * One request through the simulator: the control endpoint (loopback only), or the first API that
 * claims it, counted, with the fault in force applied in the API's own wire format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHost } from '../address.js';
import { handleControl } from './control.js';
import { type FaultDecision, corruptBody, truncatedBody } from './faults.js';
import type { SimState } from './state.js';
import type { SimApi, SimRequest, SimResponse } from './types.js';

const NO_FAULT: FaultDecision = { latencyMs: 0, action: { kind: 'pass' } };

/** Requests larger than this are refused: no cloud call the providers make comes close. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Serves requests of one listener; errors a module throws become a 500 `sim_internal` answer. */
export function requestHandler(state: SimState, scheme: 'http' | 'https', host: string, closing: AbortSignal) {
  return (req: IncomingMessage, res: ServerResponse) => {
    serve(state, scheme, host, closing, req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, { error: 'sim_internal', message: err instanceof Error ? err.message : String(err) });
      } else {
        res.destroy();
      }
    });
  };
}

async function serve(state: SimState, scheme: 'http' | 'https', host: string, closing: AbortSignal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) return sendJson(res, 413, { error: 'sim_body_too_large' });
  const port = (req.socket.localPort ?? 0).toString();
  const simReq: SimRequest = {
    method: req.method ?? 'GET',
    url: new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? `${host}:${port}`}`),
    headers: req.headers,
    body,
    scheme,
  };
  if (scheme === 'http' && simReq.url.pathname.startsWith('/_sim/')) return control(state, req, res, simReq);

  const api = state.apis.find((a) => a.match(simReq));
  if (!api) return sendJson(res, 404, { error: 'sim_no_api', message: `no simulated API serves ${simReq.method} ${simReq.url.pathname}` });
  state.count(api.name);
  const decision = api.faultable?.(simReq) === false ? NO_FAULT : state.faults.decide(api.name);
  if (decision.latencyMs) {
    await delay(decision.latencyMs, closing);
    // close() cut the wait short: the connection is gone, answer nothing.
    if (closing.aborted) return void res.destroy();
  }
  await answer(state, api, decision.action, simReq, req, res);
}

/** `/_sim/...`: a module's own control routes first, then the core's. */
async function control(state: SimState, req: IncomingMessage, res: ServerResponse, simReq: SimRequest): Promise<void> {
  if (!isLoopbackHost(req.socket.remoteAddress ?? '')) return sendJson(res, 403, { error: 'sim_control_loopback_only' });
  for (const api of state.apis) {
    const own = await api.control?.(simReq, state.ctx);
    if (own) return writeResponse(res, own);
  }
  writeResponse(res, handleControl(simReq, state));
}

/** The API's real answer, or the fault's rendering of it. */
async function answer(
  state: SimState,
  api: SimApi,
  action: FaultDecision['action'],
  simReq: SimRequest,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  switch (action.kind) {
    case 'pass':
      return writeResponse(res, await api.handle(simReq, state.ctx));
    case 'reset':
      return void req.socket.destroy();
    case 'error': {
      const error = api.errorResponse(action.error, simReq, state.ctx);
      return writeResponse(res, action.status ? { ...error, status: action.status } : error);
    }
    case 'malformed': {
      const real = await api.handle(simReq, state.ctx);
      return writeResponse(res, { ...real, status: 200, body: corruptBody(toBuffer(real.body)) });
    }
    case 'truncated': {
      const real = await api.handle(simReq, state.ctx);
      const full = toBuffer(real.body);
      res.writeHead(real.status, headersFor(real, full.length));
      res.write(truncatedBody(full), () => res.destroy());
      return;
    }
  }
}

/** The whole request body, or undefined past {@link MAX_BODY_BYTES}. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function toBuffer(body: SimResponse['body']): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function writeResponse(res: ServerResponse, response: SimResponse): void {
  if (res.destroyed) return;
  const body = toBuffer(response.body);
  res.writeHead(response.status, headersFor(response, body.length));
  res.end(body);
}

/** The module's headers with Content-Length set by the sim (a module's own value may be stale). */
function headersFor(response: SimResponse, length: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers ?? {})) {
    if (key.toLowerCase() !== 'content-length') headers[key] = value;
  }
  headers['content-length'] = String(length);
  return headers;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  writeResponse(res, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveDelay) => {
    if (signal.aborted) return resolveDelay();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveDelay();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

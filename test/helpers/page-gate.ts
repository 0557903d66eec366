/**
 * A gate in front of the simulator that shows whether a list's pages are read concurrently: a
 * front (front.ts) whose `hold` hook holds the page requests it is told to watch (pages after the
 * first) until `hold` of them wait at once, then lets them all go and holds no more. A reader that
 * asks one page after another never gets past the gate (the call's timeout ends it); a concurrent
 * one does, and the gate reports the most page requests it saw in flight at once. Events, not wall time.
 */
import type { ExecutionContext } from 'ava';
import { type FrontRequest, startFront } from './front.js';

export interface PageGateOptions {
  /** Whether a request is a watched page request (e.g. a list page after the first). */
  watch(method: string, path: string, body: string): boolean;
  /** How many watched requests must wait at once before the gate opens. */
  hold: number;
}

export interface PageGate {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The most watched requests in flight at once (arrived, not yet answered). */
  maxInFlight(): number;
  /** Whether `hold` watched requests waited at once and were let go. */
  opened(): boolean;
  /** Every request's path (and body, for a POST), in arrival order. */
  requests(): FrontRequest[];
}

export async function startPageGate(t: ExecutionContext, target: string, options: PageGateOptions): Promise<PageGate> {
  let inFlight = 0;
  let maxInFlight = 0;
  let open = false;
  const held: Array<() => void> = [];
  const front = await startFront(t, target, {
    hold(request, release, closed) {
      if (!options.watch(request.method, request.path, request.body)) return release();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      void closed.then(() => inFlight--);
      if (open) return release();
      held.push(release);
      if (held.length >= options.hold) {
        open = true;
        for (const go of held.splice(0)) go();
      }
    },
  });
  return { url: front.url, maxInFlight: () => maxInFlight, opened: () => open, requests: front.requests };
}

/** What {@link checkPagesInFlight} runs and expects. */
export interface PagesInFlightCheck {
  /** A request's page: its page number or offset (-1 for a request that is not a page). */
  pageOf(request: FrontRequest): number;
  /** Whether the gate holds the requests of this page (the pages after the first). */
  held(page: number): boolean;
  /** The lookup, at the gate's URL. */
  lookup(url: string): Promise<string[]>;
  /** What the lookup must return, in this order (the pages' order). */
  addresses: string[];
  /** The page of every request, sorted: each page read once. */
  pages: number[];
}

/**
 * The check of a list read `inFlight` pages at a time, never more: the lookup through a gate that
 * holds the pages after the first until `inFlight` of them wait at once returns `addresses` in
 * order, the gate opened, the most held requests in flight at once were `inFlight`, and each page
 * was asked for once (`pages`).
 */
export async function checkPagesInFlight(t: ExecutionContext, target: string, inFlight: number, check: PagesInFlightCheck): Promise<PageGate> {
  const gate = await startPageGate(t, target, { watch: (method, path, body) => check.held(check.pageOf({ method, path, body })), hold: inFlight });
  t.deepEqual(await check.lookup(gate.url), check.addresses);
  t.true(gate.opened(), `${inFlight} page requests waited at once`);
  t.is(gate.maxInFlight(), inFlight, `at most ${inFlight} page requests in flight`);
  t.deepEqual(
    gate
      .requests()
      .map(check.pageOf)
      .sort((a, b) => a - b),
    check.pages,
    'each page read once',
  );
  return gate;
}

/**
 * Numbered pages read a few at a time: for list APIs whose first page states how many pages (or
 * items) there are, pages 2..N need not wait for one another. Read one after another, a 200-page
 * list costs 200 round trips of wall time; read `concurrency` at a time it costs about a quarter.
 */
import { setMaxListeners } from 'node:events';
import { MalformedResponseError, ProviderError } from '../errors.js';

/**
 * The default number of page requests in flight at once. Four cuts a long list's wall time about
 * fourfold while staying far below every per-token burst limit the paged clouds document (a few
 * hundred requests a minute); more would mostly queue behind the API's own throttling and spend
 * its rate-limit budget faster for little gain.
 */
export const DEFAULT_PAGE_CONCURRENCY = 4;

/** What {@link readNumberedPages} asks of a provider. */
export interface NumberedPagesSpec<P, T> {
  /**
   * Reads and checks page `number` (1-based), one retried call (`apiCall`/`getJson`) under
   * `signal` rather than `ctx.signal`, so a failed page stops the others. Returns `undefined` when
   * the API answers that the list ends before this page (it shrank while it was read).
   */
  read(number: number, signal: AbortSignal): Promise<P | undefined>;
  /** The number of pages the first page states (from a page count or an item total); undefined: unknown. */
  pageCount(first: P): number | undefined;
  /** The page that follows `page` when it says one does, else undefined; must be above `number` (or throw). */
  next(page: P, number: number): number | undefined;
  /** One page as it arrives -> what outlives it (its targets). */
  reduce(page: P, number: number): T;
  /** The caller's signal (`ctx.signal`). */
  signal: AbortSignal;
  /** Page requests in flight at once after the first. @default DEFAULT_PAGE_CONCURRENCY */
  concurrency?: number;
  /** Names the list in the error for a `next` that does not move forward, e.g. `discover-acme: ListServers`. */
  what?: string;
  /** The list's URL (no credentials) for that error. */
  url?: string;
}

/**
 * Every page of a numbered list, reduced, **in page order**. Page 1 is read first; the page count it
 * states plans pages 2..N, read with at most `concurrency` requests in flight, each reduced as it
 * arrives. When the last planned page says more follow (the list grew while it was read), the rest
 * is read one page after another to the real end, as a sequential reader would. Retries stay per
 * request (the kit's `apiCall`). A page still throttled when its attempts are spent slows the list
 * down instead of ending it: no new page starts beside the ones in flight, and that page is read
 * once more, alone, after them, as a reader of one page at a time would have paced itself. Any
 * other failure, or a page throttled again, fails the whole list with that page's own error, and the
 * requests still in flight are aborted; never a partial list.
 * @example
 *   const pages = await readNumberedPages({
 *     signal: ctx.signal,
 *     read: (n, signal) => getJson({ ...ctx, signal }, { provider: 'acme', operation: 'ListServers', url: pageUrl(n), errorFor }),
 *     pageCount: (first) => first.meta.last_page,
 *     next: (page) => page.meta.next_page ?? undefined,
 *     reduce: (page) => page.servers.map(toTarget),
 *   });
 */
export async function readNumberedPages<P, T>(spec: NumberedPagesSpec<P, T>): Promise<T[]> {
  const concurrency = Math.max(1, Math.floor(spec.concurrency ?? DEFAULT_PAGE_CONCURRENCY));
  const stop = new AbortController();
  const signal = AbortSignal.any([spec.signal, stop.signal]);
  // Each request in flight listens on the signal a few times (the retry, its wait, the socket).
  setMaxListeners(concurrency * 4 + 10, signal);

  const first = await spec.read(1, signal);
  if (first === undefined) return [];
  const reduced: T[] = [spec.reduce(first, 1)];
  const stated = spec.pageCount(first);
  const planned = stated !== undefined && Number.isFinite(stated) && stated > 1 ? Math.floor(stated) : 1;
  // The last page known to be part of the list: lowered when a page says the list ends before it.
  let end = planned;
  let following = planned === 1 ? spec.next(first, 1) : undefined;

  if (planned > 1) {
    let nextNumber = 2;
    let failure: { error: unknown } | undefined;
    // Pages throttled through all their attempts, to be read again one at a time.
    const throttled: number[] = [];
    const keep = (number: number, page: P | undefined) => {
      if (page === undefined) {
        end = Math.min(end, number - 1);
        return;
      }
      if (number > end) return;
      reduced[number - 1] = spec.reduce(page, number);
      if (number === planned) following = spec.next(page, number);
    };
    const worker = async () => {
      while (failure === undefined && throttled.length === 0 && nextNumber <= end) {
        const number = nextNumber++;
        try {
          const page = await spec.read(number, signal);
          if (failure !== undefined) return;
          keep(number, page);
        } catch (error) {
          if (failure !== undefined) return;
          if (error instanceof ProviderError && error.throttled && !signal.aborted) {
            throttled.push(number);
            return;
          }
          failure = { error };
          stop.abort(error);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, planned - 1) }, worker));
    if (failure !== undefined) throw failure.error;
    if (throttled.length > 0) {
      // Slowed down: the throttled pages again, then the ones never started, one at a time.
      const rest = [...throttled.sort((a, b) => a - b)];
      for (let number = nextNumber; number <= end; number++) rest.push(number);
      for (const number of rest) if (number <= end) keep(number, await spec.read(number, signal));
    }
    if (end < planned) {
      // The list shrank: pages past its end are not part of it.
      reduced.length = end;
      return reduced;
    }
  }

  // The list grew while it was read: on to its real end, one page after another.
  for (let current = planned; following !== undefined; ) {
    if (!(following > current)) {
      throw new MalformedResponseError(`${spec.what ?? 'paged list'}: page ${current} names page ${following} as the next`, spec.url ?? '');
    }
    const number: number = following;
    const page = await spec.read(number, signal);
    if (page === undefined) break;
    reduced.push(spec.reduce(page, number));
    following = spec.next(page, number);
    current = number;
  }
  return reduced;
}

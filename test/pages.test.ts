// readNumberedPages with a fake page reader whose pages the test answers one by one: order,
// the bound on requests in flight, failures, aborts, a list that grows or shrinks while read.
import test from 'ava';
import { AbortError, MalformedResponseError, ProviderError } from '../src/errors.js';
import { DEFAULT_PAGE_CONCURRENCY, type NumberedPagesSpec, readNumberedPages } from '../src/kit/index.js';
import { within } from './helpers/wait.js';

interface FakePage {
  items: string[];
  pages: number;
  next?: number;
}

interface Pending {
  number: number;
  signal: AbortSignal;
  answer(page: FakePage | undefined): void;
  fail(error: unknown): void;
}

/** A page reader whose requests wait until the test answers them; it records what was in flight. */
function fakeReader() {
  const pending: Pending[] = [];
  const asked: number[] = [];
  const signals = new Map<number, AbortSignal>();
  let inFlight = 0;
  let maxInFlight = 0;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const read = (number: number, signal: AbortSignal) =>
    new Promise<FakePage | undefined>((resolve, reject) => {
      asked.push(number);
      signals.set(number, signal);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let settled = false;
      const done = () => {
        if (settled) return false;
        settled = true;
        inFlight--;
        const index = pending.findIndex((p) => p.number === number);
        if (index !== -1) pending.splice(index, 1);
        return true;
      };
      // As the kit's apiCall does: an abort rejects the request at once.
      signal.addEventListener(
        'abort',
        () => {
          if (done()) reject(new AbortError('retried call', { cause: signal.reason }));
        },
        { once: true },
      );
      pending.push({
        number,
        signal,
        answer: (page) => {
          if (done()) resolve(page);
        },
        fail: (error) => {
          if (done()) reject(error);
        },
      });
      wake();
    });
  /** Resolves once `count` requests are waiting for an answer. */
  const waitPending = (count: number) =>
    within(
      (async () => {
        while (pending.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
        return [...pending];
      })(),
      `${count} page requests waiting at once`,
    );
  const take = (number: number) =>
    within(
      (async () => {
        for (;;) {
          const found = pending.find((p) => p.number === number);
          if (found) return found;
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
      })(),
      `a request for page ${number}`,
    );
  return { read, asked, signals, pending, waitPending, take, maxInFlight: () => maxInFlight, inFlight: () => inFlight };
}

const page = (number: number, pages: number, next?: number): FakePage => ({ items: [`item-${number}`], pages, ...(next ? { next } : {}) });

function spec(reader: ReturnType<typeof fakeReader>, over: Partial<NumberedPagesSpec<FakePage, string[]>> = {}): NumberedPagesSpec<FakePage, string[]> {
  return {
    read: reader.read,
    pageCount: (first) => first.pages,
    next: (p) => p.next,
    reduce: (p) => p.items,
    signal: new AbortController().signal,
    ...over,
  };
}

test('page 1 first, then at most 4 in flight; pages answered out of order come back in page order', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader));
  (await reader.take(1)).answer(page(1, 10));
  t.is(DEFAULT_PAGE_CONCURRENCY, 4);
  // Answer the highest waiting page each time: every answer frees one slot for the next page.
  for (let answered = 0; answered < 9; answered++) {
    const waiting = await reader.waitPending(Math.min(4, 9 - answered));
    t.true(waiting.length <= 4, `in flight: ${waiting.map((p) => p.number).join(',')}`);
    const last = waiting.reduce((a, b) => (b.number > a.number ? b : a));
    last.answer(page(last.number, 10));
  }
  t.deepEqual(
    (await list).flat(),
    Array.from({ length: 10 }, (_, i) => `item-${i + 1}`),
  );
  t.is(reader.maxInFlight(), 4);
  t.deepEqual(
    [...reader.asked].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'each page read once',
  );
  t.is(reader.asked[0], 1);
});

test('concurrency is a bound: 2 means never more than 2 in flight, and pages 2 and 3 wait for page 1', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader, { concurrency: 2 }));
  const first = await reader.take(1);
  t.deepEqual(reader.asked, [1], 'nothing else is asked before page 1 says how many pages there are');
  first.answer(page(1, 6));
  for (let answered = 0; answered < 5; answered++) {
    const waiting = await reader.waitPending(Math.min(2, 5 - answered));
    (waiting[0] as Pending).answer(page((waiting[0] as Pending).number, 6));
  }
  t.is((await list).length, 6);
  t.is(reader.maxInFlight(), 2);
});

test('a page count of 1 reads once', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader));
  (await reader.take(1)).answer(page(1, 1));
  t.deepEqual(await list, [['item-1']]);
  t.deepEqual(reader.asked, [1]);
});

test('a failing page fails the whole list with its own error and aborts the requests in flight', async (t) => {
  const reader = fakeReader();
  const caller = new AbortController();
  const list = readNumberedPages(spec(reader, { signal: caller.signal }));
  (await reader.take(1)).answer(page(1, 8));
  const waiting = await reader.waitPending(4);
  const refused = new ProviderError('acme', 'HTTP 500', { operation: 'ListServers', status: 500 });
  (waiting[1] as Pending).fail(refused);
  const error = await t.throwsAsync(list);
  t.is(error, refused, 'the page\u2019s own typed error, not an AggregateError or an AbortError');
  for (const other of [waiting[0], waiting[2], waiting[3]] as Pending[]) t.true(reader.signals.get(other.number)?.aborted, `page ${other.number} aborted`);
  t.is(reader.inFlight(), 0);
  t.deepEqual(
    [...reader.asked].sort((a, b) => a - b),
    [1, 2, 3, 4, 5],
    'no page asked after the failure',
  );
  t.false(caller.signal.aborted, "the caller's own signal is left alone");
});

test('a page still throttled after its attempts slows the list: nothing new starts, it is read again alone, then the rest one at a time', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader));
  (await reader.take(1)).answer(page(1, 8));
  const waiting = await reader.waitPending(4);
  const throttled = new ProviderError('acme', '429 slow down', { operation: 'ListServers', status: 429, throttled: true });
  (waiting.find((p) => p.number === 3) as Pending).fail(throttled);
  for (const p of waiting.filter((w) => w.number !== 3)) {
    t.false(reader.signals.get(p.number)?.aborted, `page ${p.number} goes on`);
    p.answer(page(p.number, 8));
  }
  for (const number of [3, 6, 7, 8]) {
    const again = await reader.take(number);
    t.is(reader.pending.length, 1, `page ${number} is the only request in flight`);
    again.answer(page(number, 8));
  }
  t.deepEqual(
    (await list).flat(),
    Array.from({ length: 8 }, (_, i) => `item-${i + 1}`),
  );
  t.deepEqual(reader.asked, [1, 2, 3, 4, 5, 3, 6, 7, 8], 'no page started after the throttled one failed until it was read again');
});

test('a page throttled again when read alone fails the list with its error', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader));
  (await reader.take(1)).answer(page(1, 3));
  const waiting = await reader.waitPending(2);
  const throttled = new ProviderError('acme', '429 slow down', { operation: 'ListServers', status: 429, throttled: true });
  (waiting[0] as Pending).fail(throttled);
  (waiting[1] as Pending).answer(page((waiting[1] as Pending).number, 3));
  (await reader.take((waiting[0] as Pending).number)).fail(throttled);
  t.is(await t.throwsAsync(list), throttled);
});

test("the caller's abort stops every request in flight", async (t) => {
  const reader = fakeReader();
  const caller = new AbortController();
  const list = readNumberedPages(spec(reader, { signal: caller.signal }));
  (await reader.take(1)).answer(page(1, 5));
  await reader.waitPending(4);
  caller.abort();
  await t.throwsAsync(list, { instanceOf: AbortError });
  t.is(reader.inFlight(), 0);
});

test('a list that grew while read: the last planned page names a next page, read on one at a time to the real end', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader));
  (await reader.take(1)).answer(page(1, 3));
  const waiting = await reader.waitPending(2);
  for (const p of waiting) p.answer(page(p.number, 4, p.number === 3 ? 4 : undefined));
  (await reader.take(4)).answer(page(4, 5, 5));
  const fifth = await reader.take(5);
  t.is(reader.pending.length, 1, 'the tail is read one page after another');
  fifth.answer(page(5, 5));
  t.deepEqual((await list).flat(), ['item-1', 'item-2', 'item-3', 'item-4', 'item-5']);
  t.deepEqual(reader.asked.slice(3), [4, 5]);
});

test('a single page naming a next page is followed; a next page that does not move forward is an error', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader, { pageCount: () => undefined }));
  (await reader.take(1)).answer(page(1, 0, 2));
  (await reader.take(2)).answer(page(2, 0, 2));
  await t.throwsAsync(list, { instanceOf: MalformedResponseError, message: /page 2 names page 2 as the next/ });
});

test('a list that shrank while read: pages past its end are dropped, never read twice', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(spec(reader));
  (await reader.take(1)).answer(page(1, 5));
  const waiting = await reader.waitPending(4);
  // Page 5 was read before the list shrank; page 4, read after, says the list ends at page 3.
  (waiting.find((p) => p.number === 5) as Pending).answer(page(5, 5));
  for (const p of waiting) p.answer(p.number === 4 ? undefined : page(p.number, 3));
  t.deepEqual(await list, [['item-1'], ['item-2'], ['item-3']]);
});

test('a reducer that throws fails the list like a failing page', async (t) => {
  const reader = fakeReader();
  const list = readNumberedPages(
    spec(reader, {
      reduce: (p) => {
        if (p.items[0] === 'item-3') throw new MalformedResponseError('acme: page 3 is bad', 'http://127.0.0.1/x');
        return p.items;
      },
    }),
  );
  (await reader.take(1)).answer(page(1, 4));
  const waiting = await reader.waitPending(3);
  (waiting.find((p) => p.number === 3) as Pending).answer(page(3, 4));
  await t.throwsAsync(list, { instanceOf: MalformedResponseError, message: 'acme: page 3 is bad' });
  t.is(reader.inFlight(), 0);
});

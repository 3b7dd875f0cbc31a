import { afterEach, describe, expect, it } from 'vitest';
import { createBudget, type Budget } from './budget.js';
import { TaskFeed, type FeedSource } from './feed.js';

let budgets: Budget[] = [];
afterEach(() => {
  for (const b of budgets) b.dispose();
  budgets = [];
});

function budget(maxMs = 60_000, signal?: AbortSignal): Budget {
  const b = createBudget({ maxMs, requestTimeoutMs: 1_000, ...(signal ? { signal } : {}) });
  budgets.push(b);
  return b;
}

/** A fake store: `due` and `startable` lists that claims take from the front, with a log of calls. */
function fakeSource(due: number[], startable: number[] = []) {
  const calls: string[] = [];
  const source: FeedSource<number> = {
    claimDue: async (limit) => {
      calls.push(`due:${limit}`);
      return due.splice(0, limit);
    },
    claimStartable: async (limit) => {
      calls.push(`startable:${limit}`);
      return startable.splice(0, limit);
    },
  };
  return { source, calls, due, startable };
}

async function drain(feed: TaskFeed<number>): Promise<number[]> {
  const got: number[] = [];
  for (let t = await feed.next(); t !== undefined; t = await feed.next()) {
    got.push(t);
    feed.stepDone();
  }
  return got;
}

describe('task feed', () => {
  it('claims due work first and fills the rest of the batch with startable work', async () => {
    const { source, calls } = fakeSource([1, 2], [10, 11, 12, 13]);
    const feed = new TaskFeed(source, { budget: budget(), batchSize: 4, concurrency: 1, linger: false, now: () => new Date() });
    expect(await feed.next()).toBe(1);
    expect(calls.slice(0, 2)).toEqual(['due:4', 'startable:2']);
    feed.stepDone();
    expect(await drain(feed)).toEqual([2, 10, 11, 12, 13]);
    expect(await feed.close()).toEqual([]);
  });

  it('claims no startable work once a paid start would end after the hard stop', async () => {
    const { source, calls } = fakeSource([1], [10]);
    // A 1 s request timeout in a 1 s budget: never time to start.
    const b = budget(1_000);
    const feed = new TaskFeed(source, { budget: b, batchSize: 4, concurrency: 1, linger: false, now: () => new Date() });
    expect(await drain(feed)).toEqual([1]);
    expect(calls.every((c) => c.startsWith('due:'))).toBe(true);
  });

  it('without claimStartable (generation off) asks only for due work', async () => {
    const calls: number[] = [];
    const feed = new TaskFeed<number>({ claimDue: async (l) => (calls.push(l), []) }, { budget: budget(), batchSize: 3, concurrency: 1, linger: false, now: () => new Date() });
    expect(await feed.next()).toBeUndefined();
    expect(calls).toEqual([3]);
  });

  it('claims again after a recorded step, which may have made work due', async () => {
    const { source, due } = fakeSource([1]);
    const feed = new TaskFeed(source, { budget: budget(), batchSize: 4, concurrency: 2, linger: false, now: () => new Date() });
    const first = await feed.next();
    expect(first).toBe(1);
    // A second worker finds nothing and waits for the first, busy with task 1.
    const second = feed.next();
    await new Promise((r) => setTimeout(r, 20));
    // The first's step made task 2 due (a fresh operation is polled at once), then was recorded.
    due.push(2);
    feed.stepDone();
    expect(await second).toBe(2);
    feed.stepDone();
    expect(await feed.next()).toBeUndefined();
  });

  it('a waiting worker gives up when the others finish and nothing came due', async () => {
    const { source } = fakeSource([1]);
    const feed = new TaskFeed(source, { budget: budget(), batchSize: 4, concurrency: 2, linger: false, now: () => new Date(), minSleepMs: 10_000 });
    await feed.next();
    const second = feed.next();
    const began = Date.now();
    feed.stepDone();
    expect(await second).toBeUndefined();
    // Woken by the recorded step, not by the 10 s sleep.
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it('lingers until the next task is due, then claims it', async () => {
    const due: number[] = [];
    let nextAsked = 0;
    const feed = new TaskFeed<number>(
      {
        claimDue: async () => due.splice(0),
        nextDueAt: async () => {
          nextAsked++;
          if (nextAsked > 1) return undefined;
          setTimeout(() => due.push(7), 50);
          return new Date(Date.now() + 100);
        },
      },
      { budget: budget(), batchSize: 4, concurrency: 1, linger: true, now: () => new Date(), minSleepMs: 10 },
    );
    expect(await feed.next()).toBe(7);
    feed.stepDone();
    expect(await feed.next()).toBeUndefined();
    expect(nextAsked).toBe(2);
  });

  it('does not linger for work due after the claim deadline', async () => {
    let claims = 0;
    const feed = new TaskFeed<number>(
      { claimDue: async () => (claims++, []), nextDueAt: async () => new Date(Date.now() + 60_000) },
      { budget: budget(10_000), batchSize: 4, concurrency: 1, linger: true, now: () => new Date() },
    );
    expect(await feed.next()).toBeUndefined();
    expect(claims).toBe(1);
  });

  it('hands out nothing once aborted and returns the unclaimed rest on close', async () => {
    const caller = new AbortController();
    const { source } = fakeSource([1, 2, 3]);
    const feed = new TaskFeed(source, { budget: budget(60_000, caller.signal), batchSize: 3, concurrency: 1, linger: false, now: () => new Date() });
    expect(await feed.next()).toBe(1);
    caller.abort();
    expect(await feed.next()).toBeUndefined();
    expect(await feed.close()).toEqual([2, 3]);
  });

  it('tasks added by the caller are handed out before any claim', async () => {
    const { source, calls } = fakeSource([]);
    const feed = new TaskFeed(source, { budget: budget(), batchSize: 2, concurrency: 4, linger: false, now: () => new Date() });
    feed.add([5, 6]);
    expect(await feed.next()).toBe(5);
    feed.stepDone();
    expect(await feed.next()).toBe(6);
    feed.stepDone();
    expect(await feed.next()).toBeUndefined();
    expect(calls.length).toBeGreaterThan(0);
  });
});

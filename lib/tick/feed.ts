/**
 * Hands tasks to a tick's workers: a queue filled by claims issued ahead of need, and a wait for
 * the moment more work may be due. The claims are injected (`FeedSource`), so the feed runs
 * against fakes in a unit test and against `claimDue`/`claimStartable` in a tick.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Budget } from './budget.js';

export interface FeedSource<T> {
  /** Leases up to `limit` tasks that are due a look (their operation exists, or they need none). */
  claimDue(limit: number): Promise<T[]>;
  /**
   * Leases up to `limit` tasks that would open a paid operation; absent when none may be started
   * (generation disabled). The feed asks only while the budget allows a paid start.
   */
  claimStartable?(limit: number): Promise<T[]>;
  /** When the next unleased task comes due, for lingering; absent means never linger. */
  nextDueAt?(includeStartable: boolean): Promise<Date | undefined>;
}

export interface FeedOptions {
  budget: Budget;
  /** Most tasks held in the queue at once (TICK_BATCH_SIZE). */
  batchSize: number;
  /** Workers sharing the feed: a refill starts once the queue holds fewer than this. */
  concurrency: number;
  /** Keep waiting for work that comes due within the budget (TICK_LINGER). */
  linger: boolean;
  now: () => Date;
  /**
   * Longest a worker with nothing to do sleeps while others work (it wakes sooner when one of them
   * records a step), and the shortest sleep while lingering: a tick never spins on the database.
   */
  minSleepMs?: number;
}

export const MIN_LINGER_SLEEP_MS = 200;

export class TaskFeed<T> {
  private readonly queue: T[] = [];
  private busy = 0;
  /** Workers waiting for others; each recorded step wakes them, as it may have made work due. */
  private readonly waiting = new Set<() => void>();
  /** Steps whose outcome has been written, and that count when the claim in flight was issued. */
  private recordedSteps = 0;
  private refillBasis = 0;
  private refilling: Promise<number> | undefined;
  /** Whether the last startable claim filled its room: if not, lingering need not count startable work. */
  private startableRoom = true;
  private readonly minSleepMs: number;

  constructor(
    private readonly source: FeedSource<T>,
    private readonly o: FeedOptions,
  ) {
    this.minSleepMs = o.minSleepMs ?? MIN_LINGER_SLEEP_MS;
  }

  /** Queues tasks already leased elsewhere (a caller that claimed them itself). */
  add(tasks: readonly T[]): void {
    this.queue.push(...tasks);
  }

  /**
   * The next task for a worker, or undefined when the worker should stop (budget spent, aborted,
   * nothing due within reach). Every task handed out must be followed by one `stepDone()`.
   */
  async next(): Promise<T | undefined> {
    const { budget } = this.o;
    while (!budget.signal.aborted) {
      let task = this.queue.shift();
      if (task === undefined) {
        if (!budget.mayClaim()) return undefined;
        const seen = this.recordedSteps;
        await this.startRefill(true);
        task = this.queue.shift();
        if (task === undefined) {
          // A step recorded while that claim ran may have made work due the claim could not see.
          if (this.recordedSteps > seen) continue;
          if (await this.idleWait()) continue;
          return undefined;
        }
      }
      // Claim the next batch while this one is still being worked, so no worker waits on a claim.
      if (this.queue.length < this.o.concurrency && !this.refilling && budget.mayClaim()) {
        this.startRefill(false).catch(() => undefined);
      }
      this.busy++;
      return task;
    }
    return undefined;
  }

  /** A handed-out task's outcome has been written (or given up on): it may have made work due. */
  stepDone(): void {
    this.busy--;
    this.recordedSteps++;
    for (const wake of [...this.waiting]) wake();
  }

  /**
   * Waits for a claim still in flight and returns every task leased but not handed out, for the
   * caller to give back rather than leave them sitting out their lease.
   */
  async close(): Promise<T[]> {
    while (this.refilling) await this.refilling.catch(() => 0);
    return this.queue.splice(0);
  }

  private async refill(): Promise<number> {
    const room = this.o.batchSize - this.queue.length;
    if (room <= 0) return this.queue.length;
    const due = await this.source.claimDue(room);
    this.queue.push(...due);
    // Starting a paid operation needs time for its request to finish before the hard stop;
    // otherwise the provider might create it while this run can no longer record its name.
    const startRoom = room - due.length;
    if (this.source.claimStartable && this.o.budget.mayStartPaid() && startRoom > 0) {
      const startable = await this.source.claimStartable(startRoom);
      this.startableRoom = startable.length === startRoom;
      this.queue.push(...startable);
    }
    return this.queue.length;
  }

  /**
   * Claims more, sharing the claim already in flight. A worker that found nothing and waited for
   * others asks for a `fresh` one: a claim issued before their steps were recorded cannot see the
   * work those steps made due (a fresh operation is polled at once), so it queues another after it.
   */
  private startRefill(fresh: boolean): Promise<number> {
    if (this.refilling && (!fresh || this.refillBasis >= this.recordedSteps)) return this.refilling;
    const previous = this.refilling?.catch(() => 0);
    this.refillBasis = this.recordedSteps;
    const current: Promise<number> = (previous ? previous.then(() => this.refill()) : this.refill()).finally(() => {
      if (this.refilling === current) this.refilling = undefined;
    });
    this.refilling = current;
    return current;
  }

  private async idleWait(): Promise<boolean> {
    const { budget } = this.o;
    const remaining = budget.claimUntil - Date.now();
    if (remaining <= 0 || budget.signal.aborted) return false;
    if (this.busy > 0) {
      // Others are working and may make more work due (a fresh operation is polled at once). Wake
      // when one of them records its step rather than after a fixed sleep: when the last one
      // finishes, the run ends then, not up to minSleepMs later.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiting.delete(done);
          budget.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(this.minSleepMs, remaining));
        this.waiting.add(done);
        budget.signal.addEventListener('abort', done, { once: true });
      });
      return true;
    }
    if (!this.o.linger || !this.source.nextDueAt) return false;
    const next = await this.source.nextDueAt(this.source.claimStartable !== undefined && this.startableRoom);
    if (!next) return false;
    const wait = Math.max(this.minSleepMs, next.getTime() - this.o.now().getTime());
    if (wait > remaining) return false;
    await sleep(wait, undefined, { signal: budget.signal }).catch(() => {});
    this.startableRoom = true;
    return !budget.signal.aborted;
  }
}

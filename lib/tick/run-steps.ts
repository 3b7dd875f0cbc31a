/**
 * The tick's rules, usable outside the tick: `runSteps` drives workers over a feed under a budget;
 * `stepTasks` does it for tasks a caller already leased; `startNow` claims startable tasks through
 * the same claim as the tick (same lease, same MAX_IN_FLIGHT cap) and starts them at once, for a
 * handler that wants an operation begun before its response (a new job) or a task looked at now
 * (a provider's callback).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { coerceError } from '../errors.js';
import { log } from '../log.js';
import type { Services } from '../services.js';
import { releaseLeases } from '../tasks/apply.js';
import { claimStartable } from '../tasks/claim.js';
import { PROVIDER_KINDS } from '../tasks/registry.js';
import type { TaskRow } from '../tasks/types.js';
import { createBudget, type Budget } from './budget.js';
import { TaskFeed } from './feed.js';
import { emptyCounts, MAX_OUTCOME_BATCH, outcomeRecorder, stepTask, type Advance, type StepCounts } from './step.js';

export interface StepRunOptions {
  budget: Budget;
  /** Lease holder the tasks were claimed under. */
  tickId: string;
  now: () => Date;
  random?: () => number;
  /** Workers at once; defaults to TICK_CONCURRENCY. */
  concurrency?: number;
  /** Counts to add to (runTick shares one with its expiry); a fresh one by default. */
  counts?: StepCounts;
  /** advanceTask unless injected (the claim + complete benchmark completes each task at once). */
  advance?: Advance;
}

/**
 * Steps tasks from the feed with bounded concurrency until it runs dry or the budget ends, and
 * waits for every outcome write to land. Leftover leases are the caller's to give back
 * (`feed.close()`), since the caller may share the feed with others.
 */
export async function runSteps(services: Services, feed: TaskFeed<TaskRow>, o: StepRunOptions): Promise<StepCounts> {
  const concurrency = o.concurrency ?? services.config.TICK_CONCURRENCY;
  const counts = o.counts ?? emptyCounts();
  const recorder = outcomeRecorder(services, o.tickId, o.now, o.random);
  const ctx = { services, tickId: o.tickId, budget: o.budget, now: o.now, counts, recorder, ...(o.advance ? { advance: o.advance } : {}) };
  // A worker moves on while its outcome waits to be written, up to what one batch can carry: the
  // tasks behind those outcomes are leased already, and writing them together is the point.
  const maxUnwritten = Math.max(concurrency, Math.min(services.config.TICK_BATCH_SIZE, MAX_OUTCOME_BATCH));
  // Requests in flight listen on this signal (the stream pipeline, the sleeps, each SDK call through
  // a per-call signal of its own): a few per worker at peak, not a leak; the limit has room to spare.
  setMaxListeners(concurrency * 32 + 16, o.budget.signal);
  /** Outcome writes still committing; the run ends only after every one lands. */
  const recording = new Set<Promise<void>>();

  async function worker(): Promise<void> {
    for (let task = await feed.next(); task; task = await feed.next()) {
      const failed = (err: unknown) => log('task.error', { tickId: o.tickId, taskId: task?.id, error: coerceError(err).message });
      let step: { recorded: Promise<void> } | undefined;
      try {
        step = await stepTask(task, ctx);
      } catch (err) {
        failed(err);
      }
      // The worker waits for the step, not for its write; unwritten outcomes stay within one batch.
      const recorded: Promise<void> = (step?.recorded ?? Promise.resolve()).catch(failed).finally(() => {
        recording.delete(recorded);
        feed.stepDone();
      });
      recording.add(recorded);
      if (recording.size >= maxUnwritten) await Promise.race(recording);
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await Promise.allSettled([...recording]);
  }
  return counts;
}

/** Gives back what the feed leased but no worker took; counts them as released. */
export async function releaseLeftovers(services: Services, feed: TaskFeed<TaskRow>, tickId: string, counts: StepCounts): Promise<void> {
  const left = await feed.close();
  if (left.length === 0) return;
  counts.released += left.length;
  await releaseLeases(services.db, tickId, left.map((t) => t.id));
}

export interface RunNowOptions {
  /** Time allowed, in milliseconds; the same budget rules as a tick (hard stop, may-start-paid). */
  maxDurationMs: number;
  signal?: AbortSignal;
  now?: () => Date;
  random?: () => number;
  /** Lease holder; a fresh id by default. */
  tickId?: string;
}

export interface RunNowResult extends StepCounts {
  tickId: string;
}

/**
 * Steps tasks the caller already leased under `tickId` (e.g. `claimDue` for the one task a provider
 * callback names) once each, under a budget; what the budget leaves undone is given back.
 */
export async function stepTasks(services: Services, tasks: readonly TaskRow[], o: RunNowOptions & { tickId: string }): Promise<RunNowResult> {
  const now = o.now ?? (() => new Date());
  const budget = createBudget({ maxMs: o.maxDurationMs, requestTimeoutMs: services.config.REQUEST_TIMEOUT_MS, ...(o.signal ? { signal: o.signal } : {}) });
  const feed = new TaskFeed<TaskRow>({ claimDue: async () => [] }, { budget, batchSize: tasks.length, concurrency: services.config.TICK_CONCURRENCY, linger: false, now });
  feed.add(tasks);
  const counts = emptyCounts();
  try {
    await runSteps(services, feed, { budget, tickId: o.tickId, now, counts, ...(o.random ? { random: o.random } : {}) });
  } finally {
    await releaseLeftovers(services, feed, o.tickId, counts);
    budget.dispose();
  }
  return { tickId: o.tickId, ...counts };
}

/**
 * Claims pending provider tasks through the tick's own claim (`claimStartable`: lease, MAX_IN_FLIGHT
 * cap, its selection order) and starts their operations now, under the tick's rules: no start
 * without time for the answer, nothing when VIDEO_GENERATION_ENABLED is false. It only starts:
 * the fresh operations are polled by the tick, as ever.
 */
export async function startNow(services: Services, o: RunNowOptions): Promise<RunNowResult> {
  const { config, db } = services;
  const now = o.now ?? (() => new Date());
  const tickId = o.tickId ?? randomUUID();
  const counts = emptyCounts();
  if (!config.VIDEO_GENERATION_ENABLED) return { tickId, ...counts };
  const budget = createBudget({ maxMs: o.maxDurationMs, requestTimeoutMs: config.REQUEST_TIMEOUT_MS, ...(o.signal ? { signal: o.signal } : {}) });
  const claim = (limit: number) => ({ tickId, now: now(), leaseSeconds: config.LEASE_SECONDS, limit });
  const feed = new TaskFeed<TaskRow>(
    { claimDue: async () => [], claimStartable: (limit) => claimStartable(db, PROVIDER_KINDS, config.MAX_IN_FLIGHT, claim(limit), config.inFlightCaps) },
    { budget, batchSize: config.TICK_BATCH_SIZE, concurrency: config.TICK_CONCURRENCY, linger: false, now },
  );
  try {
    await runSteps(services, feed, { budget, tickId, now, counts, ...(o.random ? { random: o.random } : {}) });
  } finally {
    await releaseLeftovers(services, feed, tickId, counts);
    budget.dispose();
  }
  return { tickId, ...counts };
}

/**
 * One poller tick: what `GET /api/video/poll` runs each minute. It fails overdue work, claims due
 * tasks under a lease, advances each by one step with bounded concurrency, and records every
 * outcome in its own transaction. It stops claiming well before the function's maxDuration and
 * gives back what it did not get to, so a tick killed or cut short loses nothing.
 *
 * The parts: `budget.ts` (when to stop), `feed.ts` (which task next), `step.ts` (one task, one
 * outcome), `run-steps.ts` (workers over a feed; also `startNow`/`stepTasks` for use outside a tick),
 * `tick-runs.ts` (the row each tick leaves for the operator metrics).
 */
import { randomUUID } from 'node:crypto';
import { log } from '../log.js';
import { sweepWorkDirs } from '../media/files.js';
import type { Services } from '../services.js';
import { claimDue, claimStartable, nextDueAt } from '../tasks/claim.js';
import { expireOverdue } from '../tasks/expire.js';
import { PROVIDER_KINDS } from '../tasks/registry.js';
import type { TaskRow } from '../tasks/types.js';
import { deliverWebhooks } from './deliver-webhooks.js';
import { createBudget } from './budget.js';
import { TaskFeed, type FeedSource } from './feed.js';
import { releaseLeftovers, runSteps } from './run-steps.js';
import { emptyCounts } from './step.js';
import { recordTickRun } from './tick-runs.js';

export interface TickOptions {
  /** Aborts the tick (a shutdown); work in flight is abandoned and its leases given back. */
  signal?: AbortSignal;
  now?: () => Date;
  random?: () => number;
  /** Overrides TICK_MAX_DURATION_SECONDS, in milliseconds. */
  maxDurationMs?: number;
  /** Overrides TICK_LINGER: keep re-polling work that comes due within the budget. */
  linger?: boolean;
  tickId?: string;
}

export interface TickResult {
  tickId: string;
  created: number;
  polled: number;
  completed: number;
  failed: number;
  uploaded: number;
  retried: number;
  expired: number;
  released: number;
  lost: number;
  generationEnabled: boolean;
  message?: string;
  stoppedBecause: 'idle' | 'budget' | 'aborted';
  durationMs: number;
}

/** Render and variation folders untouched this long are left over from work that ended elsewhere. */
const WORK_DIR_MAX_AGE_MS = 60 * 60 * 1000;

/** The tick's claims: due work always, startable work only while generation is enabled. */
function tickSource(services: Services, tickId: string, now: () => Date): FeedSource<TaskRow> {
  const { config, db } = services;
  const claim = (limit: number) => ({ tickId, now: now(), leaseSeconds: config.LEASE_SECONDS, limit });
  return {
    claimDue: (limit) => claimDue(db, PROVIDER_KINDS, claim(limit)),
    ...(config.VIDEO_GENERATION_ENABLED ? { claimStartable: (limit: number) => claimStartable(db, PROVIDER_KINDS, config.MAX_IN_FLIGHT, claim(limit), config.inFlightCaps) } : {}),
    nextDueAt: (includeStartable) => nextDueAt(db, now(), PROVIDER_KINDS, includeStartable),
  };
}

export async function runTick(services: Services, options: TickOptions = {}): Promise<TickResult> {
  const { config } = services;
  const now = options.now ?? (() => new Date());
  const tickId = options.tickId ?? randomUUID();
  const maxMs = options.maxDurationMs ?? config.TICK_MAX_DURATION_SECONDS * 1000;
  const generationEnabled = config.VIDEO_GENERATION_ENABLED;
  const budget = createBudget({ maxMs, requestTimeoutMs: config.REQUEST_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) });
  const feed = new TaskFeed(tickSource(services, tickId, now), {
    budget,
    batchSize: config.TICK_BATCH_SIZE,
    concurrency: config.TICK_CONCURRENCY,
    linger: options.linger ?? config.TICK_LINGER,
    now,
  });
  const counts = emptyCounts();

  try {
    const [expired, swept] = await Promise.all([
      expireOverdue(services.db, now()),
      // Older than any tick can run, so no step still uses it (see sweepWorkDirs).
      sweepWorkDirs({ olderThanMs: Math.max(WORK_DIR_MAX_AGE_MS, 2 * maxMs) }),
    ]);
    counts.expired = expired;
    if (swept > 0) log('tick.workdirs_swept', { tickId, removed: swept });
    // Due webhooks go out beside the workers, never in their way: bounded, and it never throws.
    await Promise.all([
      runSteps(services, feed, { budget, tickId, now, counts, ...(options.random ? { random: options.random } : {}) }),
      deliverWebhooks(services, { tickId, now, deadline: budget.hardStopAt, signal: budget.signal }),
    ]);
  } finally {
    // A claim a worker started in the background may still be running: what it leases is given
    // back here, rather than sitting out LEASE_SECONDS.
    await releaseLeftovers(services, feed, tickId, counts);
    budget.dispose();
  }
  const stoppedBecause = options.signal?.aborted ? 'aborted' : budget.spent() ? 'budget' : 'idle';
  const result: TickResult = {
    tickId,
    created: counts.created,
    polled: counts.polled,
    completed: counts.completed,
    failed: counts.failed,
    uploaded: counts.uploaded,
    retried: counts.retried,
    expired: counts.expired,
    released: counts.released,
    lost: counts.lost,
    generationEnabled,
    ...(generationEnabled ? {} : { message: 'VIDEO_GENERATION_ENABLED is false: no new Veo operations were started' }),
    stoppedBecause,
    durationMs: Date.now() - budget.startedAt,
  };
  log('tick.done', { ...result });
  // Stamped with the tick's clock, like every other write of the tick. Never throws.
  await recordTickRun(services.db, result, now());
  return result;
}

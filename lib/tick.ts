/**
 * One poller tick: what `GET /api/video/poll` runs each minute. It fails overdue work, claims due
 * tasks under a lease, advances each by one step with bounded concurrency, and records every
 * outcome in its own transaction. It stops claiming well before the function's maxDuration and
 * gives back what it did not get to, so a tick killed or cut short loses nothing.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, coerceError, isRetryable } from './errors.js';
import { log } from './log.js';
import { sweepWorkDirs } from './media/files.js';
import type { Services } from './services.js';
import { applyOutcome, releaseLeases, type Applied } from './tasks/apply.js';
import { claimDue, claimStartable, nextDueAt } from './tasks/claim.js';
import { expireOverdue } from './tasks/expire.js';
import { PROVIDER_KINDS, TASK_KINDS } from './tasks/registry.js';
import { TooLateToStart, type TaskOutcome, type TaskRow } from './tasks/types.js';
import { deliverWebhooks } from './webhooks/deliver.js';

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
/** Time kept back at the end of maxDuration for writing outcomes and releasing leases. */
const WRAP_UP_MS = 5_000;
/**
 * Longest a worker with nothing to do sleeps while others work (it wakes sooner when one of them
 * records a step), and the shortest sleep while lingering: a tick never spins on the database.
 */
const MIN_LINGER_SLEEP_MS = 200;

function outcomeOf(thrown: unknown, signal: AbortSignal): TaskOutcome | 'abandoned' {
  if (signal.aborted || thrown instanceof TooLateToStart) return 'abandoned';
  const err = coerceError(thrown);
  const code = err instanceof AppError ? err.code : 'provider_error';
  if (isRetryable(thrown)) return { type: 'retry', code, message: err.message };
  return { type: 'failed', code, message: err.message };
}

export async function runTick(services: Services, options: TickOptions = {}): Promise<TickResult> {
  const { config, db } = services;
  const now = options.now ?? (() => new Date());
  const tickId = options.tickId ?? randomUUID();
  const startedAt = Date.now();
  const maxMs = options.maxDurationMs ?? config.TICK_MAX_DURATION_SECONDS * 1000;
  const hardStopAt = startedAt + Math.max(maxMs - WRAP_UP_MS, maxMs * 0.8);
  const claimUntil = startedAt + maxMs * 0.75;
  const linger = options.linger ?? config.TICK_LINGER;
  const generationEnabled = config.VIDEO_GENERATION_ENABLED;

  const stop = new AbortController();
  const hardStop = setTimeout(() => stop.abort(new Error('tick budget spent')), hardStopAt - startedAt);
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // Requests in flight listen on this signal (the stream pipeline, the sleeps, each SDK call through
  // a per-call signal of its own): a few per worker at peak, not a leak; the limit has room to spare.
  setMaxListeners(config.TICK_CONCURRENCY * 32 + 16, signal);

  const counts: Record<Applied | 'uploaded' | 'released' | 'expired', number> = {
    created: 0, polled: 0, completed: 0, failed: 0, retried: 0, lost: 0, uploaded: 0, released: 0, expired: 0,
  };
  const queue: TaskRow[] = [];
  /** Outcome writes still committing (see `work`); the tick ends only after every one lands. */
  const recording = new Set<Promise<void>>();
  let busy = 0;
  /** Workers waiting for others; each recorded step wakes them, as it may have made work due. */
  const waiting = new Set<() => void>();
  /** Steps whose outcome has been written, and that count when the claim in flight was issued. */
  let recordedSteps = 0;
  let refillBasis = 0;
  let refilling: Promise<number> | undefined;
  let startableRoom = true;
  /** A paid request started now is answered (REQUEST_TIMEOUT_MS at most) before the hard stop. */
  const mayStartPaid = () => !signal.aborted && hardStopAt - Date.now() > config.REQUEST_TIMEOUT_MS;
  const claimOptions = (limit: number) => ({ tickId, now: now(), leaseSeconds: config.LEASE_SECONDS, limit });

  async function refill(): Promise<number> {
    const room = config.TICK_BATCH_SIZE - queue.length;
    if (room <= 0) return queue.length;
    const due = await claimDue(db, PROVIDER_KINDS, claimOptions(room));
    queue.push(...due);
    // Starting a paid operation needs time for its request to finish before the hard stop;
    // otherwise Veo might create it while this tick can no longer record its name.
    const canStart = generationEnabled && mayStartPaid();
    if (canStart && room - due.length > 0) {
      const startable = await claimStartable(db, PROVIDER_KINDS, config.MAX_IN_FLIGHT, claimOptions(room - due.length));
      startableRoom = startable.length === room - due.length;
      queue.push(...startable);
    }
    return queue.length;
  }

  /**
   * Claims more, sharing the claim already in flight. A worker that found nothing and waited for
   * others asks for a `fresh` one: a claim issued before their steps were recorded cannot see the
   * work those steps made due (a fresh operation is polled at once), so it queues another after it.
   */
  function startRefill(fresh: boolean): Promise<number> {
    if (refilling && (!fresh || refillBasis >= recordedSteps)) return refilling;
    const previous = refilling?.catch(() => 0);
    refillBasis = recordedSteps;
    const current: Promise<number> = (previous ? previous.then(() => refill()) : refill()).finally(() => {
      if (refilling === current) refilling = undefined;
    });
    refilling = current;
    return current;
  }

  /**
   * Advances one task and returns the write of its outcome still running: the worker moves on to
   * its next task while the transaction commits, so database time does not queue behind the
   * provider's latency (the lease keeps the task from being claimed again until it lands).
   */
  async function work(task: TaskRow): Promise<{ recorded: Promise<void> }> {
    const began = Date.now();
    const stepBegan = now();
    const kind = TASK_KINDS.get(task.kind);
    let outcome: TaskOutcome | 'abandoned';
    if (!kind) outcome = { type: 'failed', code: 'unknown_kind', message: `No module handles task kind ${task.kind}` };
    else if (kind.usesProvider && task.status === 'pending' && !mayStartPaid()) {
      // Too late to open a paid operation: its answer might arrive after this tick is gone.
      outcome = 'abandoned';
    } else {
      try {
        outcome = await kind.advance(task, { services, signal, now: now(), mayStartPaid });
      } catch (thrown) {
        outcome = outcomeOf(thrown, signal);
      }
      // A step cut short by the abort is not the provider's fault: it must not use up an attempt.
      if (signal.aborted && outcome !== 'abandoned' && (outcome.type === 'retry' || outcome.type === 'failed')) outcome = 'abandoned';
    }
    const fields = { tickId, jobId: task.job_id, taskId: task.id, scene: task.position + 1, kind: task.kind, attempt: task.attempts + 1, durationMs: Date.now() - began };
    if (outcome === 'abandoned') {
      const recorded = releaseLeases(db, tickId, [task.id]).then(() => {
        counts.released++;
        log('task.released', fields);
      });
      return { recorded };
    }
    const final = outcome;
    const recorded = applyWithRetry(task, final, stepBegan).then((applied) => {
      counts[applied]++;
      if (applied === 'completed' && final.type === 'completed') counts.uploaded++;
      log(`task.${applied}`, { ...fields, ...('code' in final ? { code: final.code, error: final.message } : {}) });
    });
    return { recorded };
  }

  async function applyWithRetry(task: TaskRow, outcome: TaskOutcome, began: Date): Promise<Applied> {
    // A lost write of a fresh operation name would cost a second paid operation: try hard.
    for (let attempt = 1; ; attempt++) {
      try {
        return await applyOutcome(db, task, outcome, { tickId, now: now(), began, config, ...(options.random ? { random: options.random } : {}) });
      } catch (err) {
        if (attempt >= 3) throw err;
        await sleep(100 * attempt);
      }
    }
  }

  async function idleWait(): Promise<boolean> {
    const remaining = claimUntil - Date.now();
    if (remaining <= 0 || signal.aborted) return false;
    if (busy > 0) {
      // Others are working and may make more work due (a fresh operation is polled at once). Wake
      // when one of them records its step rather than after a fixed sleep: when the last one
      // finishes, the tick ends then, not up to MIN_LINGER_SLEEP_MS later.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(MIN_LINGER_SLEEP_MS, remaining));
        waiting.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
      return true;
    }
    if (!linger) return false;
    const next = await nextDueAt(db, now(), PROVIDER_KINDS, generationEnabled && startableRoom);
    if (!next) return false;
    const wait = Math.max(MIN_LINGER_SLEEP_MS, next.getTime() - now().getTime());
    if (wait > remaining) return false;
    await sleep(wait, undefined, { signal }).catch(() => {});
    startableRoom = true;
    return !signal.aborted;
  }

  async function worker(): Promise<void> {
    while (!signal.aborted) {
      let task = queue.shift();
      if (!task) {
        if (Date.now() >= claimUntil) return;
        const seen = recordedSteps;
        await startRefill(true);
        task = queue.shift();
        if (!task) {
          // A step recorded while that claim ran may have made work due the claim could not see.
          if (recordedSteps > seen) continue;
          if (await idleWait()) continue;
          return;
        }
      }
      // Claim the next batch while this one is still being worked, so no worker waits on a claim.
      if (queue.length < config.TICK_CONCURRENCY && !refilling && Date.now() < claimUntil) {
        startRefill(false).catch(() => undefined);
      }
      busy++;
      const failed = (err: unknown) => log('task.error', { tickId, taskId: task.id, error: coerceError(err).message });
      let step: { recorded: Promise<void> } | undefined;
      try {
        step = await work(task);
      } catch (err) {
        failed(err);
      }
      // The worker waits for the step, not for its write; writes never pile up beyond the workers.
      const recorded: Promise<void> = (step?.recorded ?? Promise.resolve()).catch(failed).finally(() => {
        busy--;
        recordedSteps++;
        recording.delete(recorded);
        for (const wake of [...waiting]) wake();
      });
      recording.add(recorded);
      if (recording.size >= config.TICK_CONCURRENCY) await Promise.race(recording);
    }
  }

  try {
    const [expired, swept] = await Promise.all([
      expireOverdue(db, now()),
      // Older than any tick can run, so no step still uses it (see sweepWorkDirs).
      sweepWorkDirs({ olderThanMs: Math.max(WORK_DIR_MAX_AGE_MS, 2 * maxMs) }),
    ]);
    counts.expired = expired;
    if (swept > 0) log('tick.workdirs_swept', { tickId, removed: swept });
    // Due webhooks go out beside the workers, never in their way: bounded, and it never throws.
    await Promise.all([...Array.from({ length: config.TICK_CONCURRENCY }, worker), deliverWebhooks(services, { tickId, now, deadline: hardStopAt, signal })]);
  } finally {
    await Promise.allSettled([...recording]);
    // A claim a worker started in the background may still be running: what it leases lands in
    // the queue and is given back below, rather than sitting out LEASE_SECONDS.
    while (refilling) await refilling.catch(() => 0);
    clearTimeout(hardStop);
    if (queue.length > 0) {
      counts.released += queue.length;
      await releaseLeases(db, tickId, queue.splice(0).map((t) => t.id));
    }
  }
  const stoppedBecause = options.signal?.aborted ? 'aborted' : stop.signal.aborted || Date.now() >= claimUntil ? 'budget' : 'idle';
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
    durationMs: Date.now() - startedAt,
  };
  log('tick.done', { ...result });
  return result;
}

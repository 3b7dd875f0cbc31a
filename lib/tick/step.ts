/**
 * One step of one task: advance it through its kind's module, turn what happened into an outcome,
 * and record that outcome (or give the task back untouched) under the run's lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS } from '../errors.js';
import { log } from '../log.js';
import type { Services } from '../services.js';
import { applyOutcome, applyOutcomes, releaseLeases, type Applied, type OutcomeToApply } from '../tasks/apply.js';
import { TASK_KINDS } from '../tasks/registry.js';
import { OUTCOMES, outcomeOfError } from '../tasks/outcome.js';
import type { TaskOutcome, TaskRow } from '../tasks/types.js';
import type { Budget } from './budget.js';
import { OutcomeRecorder } from './recorder.js';

export type StepCounts = Record<Applied | 'uploaded' | 'released' | 'expired', number>;

export function emptyCounts(): StepCounts {
  return { created: 0, polled: 0, completed: 0, failed: 0, retried: 0, lost: 0, uploaded: 0, released: 0, expired: 0 };
}

/** Advances one task to its outcome; advanceTask in a tick, a stand-in where only the writes are measured. */
export type Advance = (task: TaskRow, ctx: StepContext) => Promise<TaskOutcome>;

export interface StepContext {
  services: Services;
  /** The lease holder: every write is fenced by it. */
  tickId: string;
  budget: Budget;
  now: () => Date;
  counts: StepCounts;
  /** Writes outcomes: a fresh operation alone and at once, plain ones grouped (see recorder.ts). */
  recorder: OutcomeRecorder;
  /** advanceTask unless injected. */
  advance?: Advance;
}

/** Most plain outcomes one transaction writes; a step's run never holds more unwritten (run-steps.ts). */
export const MAX_OUTCOME_BATCH = 100;

/** The recorder a run's steps share, writing through applyOutcome/applyOutcomes under its lease. */
export function outcomeRecorder(services: Services, tickId: string, now: () => Date, random?: () => number): OutcomeRecorder {
  const { config, db } = services;
  const options = () => ({ tickId, now: now(), config, ...(random ? { random } : {}) });
  // Plain outcomes go in batches, one transaction at a time; a fresh operation name bypasses the
  // queue (recorder.ts) and waits at most for the one batch transaction holding its job's lock,
  // which holds it for its own few round trips (apply.ts), never across a provider call.
  return new OutcomeRecorder({
    one: (item) => applyWithRetry(() => applyOutcome(db, item.task, item.outcome, { ...options(), began: item.began })),
    many: (items) => applyOutcomes(db, items, options()),
  }, MAX_OUTCOME_BATCH, 1);
}

/** A lost write of a fresh operation name would cost a second paid operation: try hard. */
async function applyWithRetry<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(100 * attempt);
    }
  }
}

/** What advancing the task produced; a thrown error becomes an outcome through outcomeOfError. */
export async function advanceTask(task: TaskRow, ctx: StepContext): Promise<TaskOutcome> {
  const { budget } = ctx;
  const kind = TASK_KINDS.get(task.kind);
  if (!kind) return OUTCOMES.failed(ERRORS.UnknownKind(task.kind));
  if (kind.usesProvider && task.status === 'pending' && !budget.mayStartPaid()) return OUTCOMES.tooLateToStart();
  let outcome: TaskOutcome;
  try {
    outcome = await kind.advance(task, { services: ctx.services, signal: budget.signal, now: ctx.now(), mayStartPaid: budget.mayStartPaid });
  } catch (thrown) {
    return outcomeOfError(thrown, { signal: budget.signal });
  }
  // A step cut short by the abort is not the provider's fault: it must not use up an attempt.
  if (budget.signal.aborted && (outcome.type === 'retry' || outcome.type === 'failed')) return OUTCOMES.cutShort();
  return outcome;
}

/**
 * Advances one task and returns the write of its outcome still running: the worker moves on to
 * its next task while the transaction commits, so database time does not queue behind the
 * provider's latency (the lease keeps the task from being claimed again until it lands).
 */
export async function stepTask(task: TaskRow, ctx: StepContext): Promise<{ recorded: Promise<void> }> {
  const { counts } = ctx;
  const began = Date.now();
  const stepBegan = ctx.now();
  const outcome = await (ctx.advance ?? advanceTask)(task, ctx);
  const fields = { tickId: ctx.tickId, jobId: task.job_id, taskId: task.id, scene: task.position + 1, kind: task.kind, attempt: task.attempts + 1, durationMs: Date.now() - began };
  if (outcome.type === 'released') {
    const recorded = releaseLeases(ctx.services.db, ctx.tickId, [task.id]).then(() => {
      counts.released++;
      log('task.released', { ...fields, reason: outcome.reason });
    });
    return { recorded };
  }
  const item: OutcomeToApply = { task, outcome, began: stepBegan };
  const recorded = ctx.recorder.record(item).then((applied) => {
    counts[applied]++;
    if (applied === 'completed' && outcome.type === 'completed') counts.uploaded++;
    log(`task.${applied}`, { ...fields, ...('code' in outcome ? { code: outcome.code, error: outcome.message } : {}) });
  });
  return { recorded };
}

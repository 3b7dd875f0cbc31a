/**
 * One step of one task: advance it through its kind's module, turn what happened into an outcome,
 * and record that outcome (or give the task back untouched) under the run's lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, coerceError, isRetryable } from '../errors.js';
import { log } from '../log.js';
import type { Services } from '../services.js';
import { applyOutcome, releaseLeases, type Applied } from '../tasks/apply.js';
import { TASK_KINDS } from '../tasks/registry.js';
import { TooLateToStart, type TaskOutcome, type TaskRow } from '../tasks/types.js';
import type { Budget } from './budget.js';

export type StepCounts = Record<Applied | 'uploaded' | 'released' | 'expired', number>;

export function emptyCounts(): StepCounts {
  return { created: 0, polled: 0, completed: 0, failed: 0, retried: 0, lost: 0, uploaded: 0, released: 0, expired: 0 };
}

export interface StepContext {
  services: Services;
  /** The lease holder: every write is fenced by it. */
  tickId: string;
  budget: Budget;
  now: () => Date;
  random?: () => number;
  counts: StepCounts;
}

function outcomeOf(thrown: unknown, signal: AbortSignal): TaskOutcome | 'abandoned' {
  if (signal.aborted || thrown instanceof TooLateToStart) return 'abandoned';
  const err = coerceError(thrown);
  const code = err instanceof AppError ? err.code : 'provider_error';
  if (isRetryable(thrown)) return { type: 'retry', code, message: err.message };
  return { type: 'failed', code, message: err.message };
}

/** What advancing the task produced; 'abandoned' gives it back without using up an attempt. */
export async function advanceTask(task: TaskRow, ctx: StepContext): Promise<TaskOutcome | 'abandoned'> {
  const { budget } = ctx;
  const kind = TASK_KINDS.get(task.kind);
  if (!kind) return { type: 'failed', code: 'unknown_kind', message: `No module handles task kind ${task.kind}` };
  // Too late to open a paid operation: its answer might arrive after this run is gone.
  if (kind.usesProvider && task.status === 'pending' && !budget.mayStartPaid()) return 'abandoned';
  let outcome: TaskOutcome | 'abandoned';
  try {
    outcome = await kind.advance(task, { services: ctx.services, signal: budget.signal, now: ctx.now(), mayStartPaid: budget.mayStartPaid });
  } catch (thrown) {
    outcome = outcomeOf(thrown, budget.signal);
  }
  // A step cut short by the abort is not the provider's fault: it must not use up an attempt.
  if (budget.signal.aborted && outcome !== 'abandoned' && (outcome.type === 'retry' || outcome.type === 'failed')) return 'abandoned';
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
  const outcome = await advanceTask(task, ctx);
  const fields = { tickId: ctx.tickId, jobId: task.job_id, taskId: task.id, scene: task.position + 1, kind: task.kind, attempt: task.attempts + 1, durationMs: Date.now() - began };
  if (outcome === 'abandoned') {
    const recorded = releaseLeases(ctx.services.db, ctx.tickId, [task.id]).then(() => {
      counts.released++;
      log('task.released', fields);
    });
    return { recorded };
  }
  const recorded = recordOutcome(task, outcome, stepBegan, ctx).then((applied) => {
    counts[applied]++;
    if (applied === 'completed' && outcome.type === 'completed') counts.uploaded++;
    log(`task.${applied}`, { ...fields, ...('code' in outcome ? { code: outcome.code, error: outcome.message } : {}) });
  });
  return { recorded };
}

async function recordOutcome(task: TaskRow, outcome: TaskOutcome, began: Date, ctx: StepContext): Promise<Applied> {
  const { config, db } = ctx.services;
  // A lost write of a fresh operation name would cost a second paid operation: try hard.
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOutcome(db, task, outcome, { tickId: ctx.tickId, now: ctx.now(), began, config, ...(ctx.random ? { random: ctx.random } : {}) });
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(100 * attempt);
    }
  }
}

/**
 * What a step's outcome makes of its task row: the columns to set and how the tick counts it.
 * Pure, so the rules (backoff, giving up after MAX_ATTEMPTS, when a task began) are tested without
 * a database; apply_video_task_outcomes (supabase/migrations/20261205001700_apply_task_outcomes.sql)
 * sets exactly the columns a patch names, under the lease, and clears the lease itself.
 */
import { addMinutes } from 'date-fns';
import type { Config } from '../config.js';
import { STATUS } from '../states.js';
import { nextCheckAt } from './backoff.js';
import type { RecordedOutcome, TaskRow } from './types.js';

/** What happened, for the tick's counts. `lost` means the lease was gone and nothing was written. */
export type Applied = 'created' | 'polled' | 'completed' | 'failed' | 'retried' | 'lost';

/**
 * The columns an outcome sets; any column not named keeps its value. `poll` adds one to `polls`
 * (whatever the row holds), `started_at` is kept once set (it records when the task first began).
 * Dates travel as ISO strings inside the function's jsonb argument.
 */
export interface TaskColumns {
  status?: string;
  provider?: string;
  operation_name?: string;
  attempts?: number;
  polls?: number;
  poll?: true;
  next_check_at?: string;
  deadline_at?: string;
  output?: Record<string, unknown>;
  error?: string | null;
  error_code?: string | null;
  completed_at?: string;
  started_at?: string;
}

export interface TaskPatch {
  applied: Exclude<Applied, 'lost'>;
  set: TaskColumns;
  /**
   * Something the job shows from its tasks moved, so its job is derived and written again. A poll
   * that found the operation still running moves nothing: its job row stays untouched, and its
   * Realtime subscribers quiet.
   */
  moves: boolean;
}

export interface PatchOptions {
  now: Date;
  /** When the step began: a task done in one step (a still, a cut) starts then. Defaults to `now`. */
  began?: Date;
  config: Pick<Config, 'POLL_MIN_SECONDS' | 'POLL_MAX_SECONDS' | 'MAX_ATTEMPTS' | 'TASK_DEADLINE_MINUTES'>;
  random?: () => number;
}

export function taskPatch(task: Pick<TaskRow, 'polls' | 'attempts'>, outcome: RecordedOutcome, { now, config, random, began = now }: PatchOptions): TaskPatch {
  const backoff = { minSeconds: config.POLL_MIN_SECONDS, maxSeconds: config.POLL_MAX_SECONDS, ...(random ? { random } : {}) };
  const at = now.toISOString();
  switch (outcome.type) {
    case 'started':
      // Look again at once (an operation can finish in seconds), then back off.
      return {
        applied: 'created',
        moves: true,
        set: {
          status: STATUS.processing,
          provider: outcome.provider,
          operation_name: outcome.operationName,
          attempts: 0,
          polls: 0,
          next_check_at: at,
          started_at: at,
          deadline_at: addMinutes(now, config.TASK_DEADLINE_MINUTES).toISOString(),
        },
      };
    case 'waiting':
      return { applied: 'polled', moves: false, set: { poll: true, attempts: 0, next_check_at: nextCheckAt(now, task.polls, backoff).toISOString() } };
    case 'completed':
      return {
        applied: 'completed',
        moves: true,
        set: { status: STATUS.completed, output: outcome.output, error: null, error_code: null, completed_at: at, started_at: began.toISOString() },
      };
    case 'failed':
      return {
        applied: 'failed',
        moves: true,
        set: { status: STATUS.failed, error_code: outcome.code, error: outcome.message, completed_at: at, started_at: began.toISOString() },
      };
    case 'retry': {
      const attempts = task.attempts + 1;
      if (attempts >= config.MAX_ATTEMPTS) {
        return {
          applied: 'failed',
          moves: true,
          set: {
            status: STATUS.failed,
            attempts,
            error_code: outcome.code,
            error: `Gave up after ${attempts} attempts: ${outcome.message}`,
            completed_at: at,
            started_at: began.toISOString(),
          },
        };
      }
      // The task's error is shown with its job, so the job is written again as before.
      return {
        applied: 'retried',
        moves: true,
        set: { attempts, error_code: outcome.code, error: outcome.message, next_check_at: nextCheckAt(now, task.attempts, backoff).toISOString(), started_at: began.toISOString() },
      };
    }
  }
}

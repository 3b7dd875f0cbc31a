/**
 * Applies what a task kind reported to the database, in one transaction with the job's
 * bookkeeping. Every write is fenced by the lease: a tick that lost its lease (it ran past it,
 * or the job was canceled) changes nothing.
 */
import { addMinutes } from 'date-fns';
import type { Config } from '../config.js';
import { withTransaction, type Db } from '../db/pool.js';
import { lockJob, syncJob } from '../jobs/sync.js';
import { nextCheckAt } from './backoff.js';
import type { RecordedOutcome, TaskRow } from './types.js';

/** What happened, for the tick's counts. `lost` means the lease was gone and nothing was written. */
export type Applied = 'created' | 'polled' | 'completed' | 'failed' | 'retried' | 'lost';

interface ApplyOptions {
  tickId: string;
  now: Date;
  /** When the step began: a task done in one step (a still, a cut) starts then. Defaults to `now`. */
  began?: Date;
  config: Config;
  random?: () => number;
}

function patchFor(task: TaskRow, outcome: RecordedOutcome, { now, config, random, began = now }: ApplyOptions) {
  const backoff = { minSeconds: config.POLL_MIN_SECONDS, maxSeconds: config.POLL_MAX_SECONDS, ...(random ? { random } : {}) };
  switch (outcome.type) {
    case 'started':
      // Look again at once (an operation can finish in seconds), then back off.
      return {
        applied: 'created' as const,
        sql: `status = 'processing', provider = $3, operation_name = $4, attempts = 0, polls = 0,
              next_check_at = $5, started_at = coalesce(started_at, $5), deadline_at = $6`,
        values: [outcome.provider, outcome.operationName, now, addMinutes(now, config.TASK_DEADLINE_MINUTES)],
      };
    case 'waiting':
      return {
        applied: 'polled' as const,
        sql: `polls = polls + 1, attempts = 0, next_check_at = $3`,
        values: [nextCheckAt(now, task.polls, backoff)],
      };
    case 'completed':
      return {
        applied: 'completed' as const,
        sql: `status = 'completed', output = $3, error = null, error_code = null, completed_at = $4, started_at = coalesce(started_at, $5)`,
        values: [JSON.stringify(outcome.output), now, began],
      };
    case 'failed':
      return {
        applied: 'failed' as const,
        sql: `status = 'failed', error_code = $3, error = $4, completed_at = $5, started_at = coalesce(started_at, $6)`,
        values: [outcome.code, outcome.message, now, began],
      };
    case 'retry': {
      const attempts = task.attempts + 1;
      if (attempts >= config.MAX_ATTEMPTS) {
        return {
          applied: 'failed' as const,
          sql: `status = 'failed', attempts = $3, error_code = $4, error = $5, completed_at = $6, started_at = coalesce(started_at, $7)`,
          values: [attempts, outcome.code, `Gave up after ${attempts} attempts: ${outcome.message}`, now, began],
        };
      }
      return {
        applied: 'retried' as const,
        sql: `attempts = $3, error_code = $4, error = $5, next_check_at = $6, started_at = coalesce(started_at, $7)`,
        values: [attempts, outcome.code, outcome.message, nextCheckAt(now, task.attempts, backoff), began],
      };
    }
  }
}

export async function applyOutcome(db: Db, task: TaskRow, outcome: RecordedOutcome, options: ApplyOptions): Promise<Applied> {
  const patch = patchFor(task, outcome, options);
  return withTransaction(db, async (client) => {
    // Job before task, always: the same order as cancel, so the two never deadlock.
    const job = await lockJob(client, task.job_id);
    const { rowCount } = await client.query(
      `update video_tasks
          set ${patch.sql}, locked_until = null, locked_by = null, transfer_started = false
        where id = $1 and locked_by = $2 and status in ('pending', 'processing')`,
      [task.id, options.tickId, ...patch.values],
    );
    if (rowCount === 0) return 'lost';
    // Still running: no task's status or output moved, so nothing the job derives from its tasks
    // can have changed. Skipping the sync keeps the job row (and its Realtime subscribers) quiet.
    if (outcome.type === 'waiting') return patch.applied;
    // The job row is unchanged since it was locked above: syncJob need not read it again.
    await syncJob(client, task.job_id, options.now, job);
    return patch.applied;
  });
}

/**
 * Gives back leases a tick holds but will not work on (its time ran out). Jobs before tasks, as
 * everywhere else (cancel, deadlines, applyOutcome): the tasks can span several jobs, locked in
 * id order, so a release never deadlocks with a cancel of one of them.
 */
export async function releaseLeases(db: Db, tickId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await withTransaction(db, async (client) => {
    await client.query(
      `select 1 from video_jobs where id in (select job_id from video_tasks where id = any($1)) order by id for update`,
      [ids],
    );
    await client.query(`update video_tasks set locked_until = null, locked_by = null where id = any($1) and locked_by = $2`, [ids, tickId]);
  });
}

/**
 * Applies what a task kind reported to the database, in one transaction with the job's
 * bookkeeping. Every write is fenced by the lease: a tick that lost its lease (it ran past it,
 * or the job was canceled) changes nothing.
 */
import { addMinutes } from 'date-fns';
import type { Config } from '../config.js';
import { withTransaction, type Db, type DbClient } from '../db/pool.js';
import type { Status } from '../states.js';
import { lockJob, syncJob, syncJobs } from '../jobs/sync.js';
import { nextCheckAt } from './backoff.js';
import type { RecordedOutcome, TaskRow } from './types.js';
import { ACTIVE_IN_SQL } from '../states.js';

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

type Patch = ReturnType<typeof patchFor>;

/**
 * The two outcomes nearly every step ends in (a poll that found the operation running, a stored
 * video), each kind written for the whole batch in one statement: the same columns as patchFor
 * sets, under the same lease fence. Returns, per outcome type it handled, the ids it wrote.
 */
async function writeCommonSetwise(client: DbClient, items: readonly OutcomeToApply[], options: Omit<ApplyOptions, 'began'>): Promise<Map<string, Set<string>>> {
  const written = new Map<string, Set<string>>();
  const { now, tickId } = options;
  const completed = items.filter((i) => i.outcome.type === 'completed');
  if (completed.length > 0) {
    const { rows } = await client.query<{ id: string }>(
      `update video_tasks t
          set status = 'completed', output = v.output, error = null, error_code = null, completed_at = $3,
              started_at = coalesce(t.started_at, v.began), locked_until = null, locked_by = null, transfer_started = false
         from unnest($1::uuid[], $2::jsonb[], $4::timestamptz[]) as v(id, output, began)
        where t.id = v.id and t.locked_by = $5 and t.status in ${ACTIVE_IN_SQL}
        returning t.id`,
      [completed.map((i) => i.task.id), completed.map((i) => JSON.stringify((i.outcome as { output: unknown }).output)), now, completed.map((i) => i.began), tickId],
    );
    written.set('completed', new Set(rows.map((r) => r.id)));
  }
  const waiting = items.filter((i) => i.outcome.type === 'waiting');
  if (waiting.length > 0) {
    const next = waiting.map((i) => patchFor(i.task, i.outcome, { ...options, began: i.began }).values[0]);
    const { rows } = await client.query<{ id: string }>(
      `update video_tasks t
          set polls = t.polls + 1, attempts = 0, next_check_at = v.next, locked_until = null, locked_by = null, transfer_started = false
         from unnest($1::uuid[], $2::timestamptz[]) as v(id, next)
        where t.id = v.id and t.locked_by = $3 and t.status in ${ACTIVE_IN_SQL}
        returning t.id`,
      [waiting.map((i) => i.task.id), next, tickId],
    );
    written.set('waiting', new Set(rows.map((r) => r.id)));
  }
  return written;
}

/** The task's write, fenced by the lease; false when the lease was gone and nothing changed. */
async function writeTask(client: DbClient, task: TaskRow, patch: Patch, tickId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `update video_tasks
        set ${patch.sql}, locked_until = null, locked_by = null, transfer_started = false
      where id = $1 and locked_by = $2 and status in ${ACTIVE_IN_SQL}`,
    [task.id, tickId, ...patch.values],
  );
  return rowCount !== 0;
}

export async function applyOutcome(db: Db, task: TaskRow, outcome: RecordedOutcome, options: ApplyOptions): Promise<Applied> {
  const patch = patchFor(task, outcome, options);
  return withTransaction(db, async (client) => {
    // Job before task, always: the same order as cancel, so the two never deadlock.
    const job = await lockJob(client, task.job_id);
    if (!(await writeTask(client, task, patch, options.tickId))) return 'lost';
    // Still running: no task's status or output moved, so nothing the job derives from its tasks
    // can have changed. Skipping the sync keeps the job row (and its Realtime subscribers) quiet.
    if (outcome.type === 'waiting') return patch.applied;
    // The job row is unchanged since it was locked above: syncJob need not read it again.
    await syncJob(client, task.job_id, options.now, job);
    return patch.applied;
  });
}

export interface OutcomeToApply {
  task: TaskRow;
  outcome: RecordedOutcome;
  /** When the task's step began. */
  began: Date;
}

/**
 * Several tasks' outcomes in one transaction: their jobs locked once each (in id order, as
 * releaseLeases and cancel do), every task written under its lease, each job synced once. One
 * commit instead of one per task is what bounds a tick's write rate, and the jobs are derived
 * set-wise (one read of their tasks, one write of them all). Not for a fresh operation
 * name (`started`): that commits alone and at once, since waiting widens the window in which a
 * crash makes the provider bill twice. Results are in the order given.
 */
export async function applyOutcomes(db: Db, items: readonly OutcomeToApply[], options: Omit<ApplyOptions, 'began'>): Promise<Applied[]> {
  if (items.some((i) => i.outcome.type === 'started')) throw new Error('applyOutcomes: a started outcome commits alone (applyOutcome)');
  return withTransaction(db, async (client) => {
    const jobIds = [...new Set(items.map((i) => i.task.job_id))].sort();
    const { rows } = await client.query<{ id: string; status: Status; escalation_id: string; kind: string }>(
      `select id, status, escalation_id, kind from video_jobs where id = any($1::uuid[]) order by id for update`,
      [jobIds],
    );
    const jobs = new Map(rows.map((r) => [r.id, r]));
    const written = await writeCommonSetwise(client, items, options);
    const applied: Applied[] = [];
    const moved = new Set<string>();
    for (const { task, outcome, began } of items) {
      const patch = patchFor(task, outcome, { ...options, began });
      const ok = written.has(outcome.type) ? written.get(outcome.type)!.has(task.id) : await writeTask(client, task, patch, options.tickId);
      if (!ok) {
        applied.push('lost');
        continue;
      }
      applied.push(patch.applied);
      if (outcome.type !== 'waiting') moved.add(task.job_id);
    }
    const movedJobs = new Map([...moved].sort().flatMap((id) => (jobs.has(id) ? [[id, jobs.get(id)!] as const] : [])));
    await syncJobs(client, movedJobs, options.now);
    return applied;
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

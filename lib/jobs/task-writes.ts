/**
 * Every statement that changes video_tasks rows, one verb each (graphile-worker's layout), except
 * taking leases: the claims are SQL functions in supabase/migrations, called from
 * lib/tasks/claim.ts. tests/task-writes.test.ts holds every other module to that.
 *
 * A step's writes are fenced (`FENCED`): they land only while the step's run still holds the
 * task's lease and the task is still active, so a run that lost its lease (it ran past it, or the
 * job was canceled) changes nothing, and the caller learns so from the result. States are spelled
 * from lib/states.ts, never as loose strings.
 */
import type { Db, DbClient, Queryable } from '../db/pool.js';
import { ACTIVE_IN_SQL, ACTIVE_STATUSES, sqlState as sql, STATUS, type Status } from '../states.js';

/** The lease fence on a task row `t`: $1 its id, $2 the run holding the lease. */
const FENCED = `t.id = $1 and t.locked_by = $2 and t.status in ${ACTIVE_IN_SQL}`;

/** Written with every outcome: the lease is given back and the transfer mark cleared. */
const RELEASE = `locked_until = null, locked_by = null, transfer_started = false`;

async function fenced(client: Queryable, set: string, taskId: string, tickId: string, values: unknown[]): Promise<boolean> {
  const { rowCount } = await client.query(`update video_tasks t set ${set}, ${RELEASE} where ${FENCED}`, [taskId, tickId, ...values]);
  return rowCount !== 0;
}

// ---- Planning and retrying --------------------------------------------------------------------

/** A job's planned tasks, at positions 0, 1, … in the order given; `unit` is what the kind works on. */
export async function insertTasks(
  client: DbClient,
  jobId: string,
  tasks: ReadonlyArray<{ kind: string; input: unknown; provider: string | null; unit: number | null }>,
): Promise<void> {
  await client.query(
    `insert into video_tasks (job_id, position, kind, input, provider, unit)
     select $1, ord - 1, kind, input, provider, unit
       from unnest($2::text[], $3::jsonb[], $4::text[], $5::int[]) with ordinality as u(kind, input, provider, unit, ord)`,
    [jobId, tasks.map((t) => t.kind), tasks.map((t) => JSON.stringify(t.input)), tasks.map((t) => t.provider), tasks.map((t) => t.unit)],
  );
}

/**
 * Puts the job's failed tasks back to pending as if never run, with every task of `rerunKinds`
 * that waits on one of them, directly or through another; returns the ids requeued.
 */
export async function requeueFailed(client: DbClient, jobId: string, now: Date, rerunKinds: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `with recursive rerun(id, position) as (
       select id, position from video_tasks where job_id = $1 and status = ${sql(STATUS.failed)}
       union
       select t.id, t.position
         from video_tasks t join rerun r on t.input->'waitsFor' @> to_jsonb(r.position)
        where t.job_id = $1 and t.kind = any($3)
     )
     update video_tasks
        set status = ${sql(STATUS.pending)}, operation_name = null, attempts = 0, polls = 0,
            next_check_at = $2, locked_until = null, locked_by = null, output = null,
            error_code = null, error = null, deadline_at = null, started_at = null, completed_at = null,
            transfer_started = false, restarts = 0
      where id in (select id from rerun) and status <> ${sql(STATUS.pending)}
      returning id`,
    [jobId, now, rerunKinds],
  );
  return rows.map((r) => r.id);
}

/** Gives tasks another provider and the inputs it makes them from (a clip length it offers). */
export async function moveToProvider(client: DbClient, provider: string, tasks: ReadonlyArray<{ id: string; input: unknown }>): Promise<void> {
  await client.query(
    `update video_tasks t set provider = $3, input = u.input::jsonb
       from unnest($1::uuid[], $2::text[]) as u(id, input) where t.id = u.id`,
    [tasks.map((t) => t.id), tasks.map((t) => JSON.stringify(t.input)), provider],
  );
}

// ---- A step's outcome, one task (the caller holds its job's lock) --------------------------------

/** A provider operation now exists: look again at once, then back off, until the deadline. */
export function recordStarted(client: DbClient, taskId: string, tickId: string, o: { provider: string; operationName: string; now: Date; deadlineAt: Date }): Promise<boolean> {
  return fenced(
    client,
    `status = ${sql(STATUS.processing)}, provider = $3, operation_name = $4, attempts = 0, polls = 0,
     next_check_at = $5, started_at = coalesce(started_at, $5), deadline_at = $6`,
    taskId, tickId, [o.provider, o.operationName, o.now, o.deadlineAt],
  );
}

/** Still running: one more poll, the next look at `nextCheckAt`. */
export function recordPoll(client: DbClient, taskId: string, tickId: string, nextCheckAt: Date): Promise<boolean> {
  return fenced(client, `polls = polls + 1, attempts = 0, next_check_at = $3`, taskId, tickId, [nextCheckAt]);
}

export function recordCompleted(client: DbClient, taskId: string, tickId: string, o: { output: unknown; now: Date; began: Date }): Promise<boolean> {
  return fenced(
    client,
    `status = ${sql(STATUS.completed)}, output = $3, error = null, error_code = null, completed_at = $4, started_at = coalesce(started_at, $5)`,
    taskId, tickId, [JSON.stringify(o.output), o.now, o.began],
  );
}

/** Final failure; `attempts` when it ended by using up the last one. */
export function recordFailed(client: DbClient, taskId: string, tickId: string, o: { code: string; message: string; now: Date; began: Date; attempts?: number }): Promise<boolean> {
  return fenced(
    client,
    `status = ${sql(STATUS.failed)}, attempts = coalesce($7, attempts), error_code = $3, error = $4, completed_at = $5, started_at = coalesce(started_at, $6)`,
    taskId, tickId, [o.code, o.message, o.now, o.began, o.attempts ?? null],
  );
}

/** A transient failure: the attempt is counted and the task looked at again at `nextCheckAt`. */
export function recordRetry(client: DbClient, taskId: string, tickId: string, o: { attempts: number; code: string; message: string; nextCheckAt: Date; began: Date }): Promise<boolean> {
  return fenced(
    client,
    `attempts = $3, error_code = $4, error = $5, next_check_at = $6, started_at = coalesce(started_at, $7)`,
    taskId, tickId, [o.attempts, o.code, o.message, o.nextCheckAt, o.began],
  );
}

/**
 * The provider failed the operation on its side: forget it and queue the task to start a new one
 * at `nextCheckAt`, or, once it has had `maxRestarts` new ones, fail it with the same reason. One
 * statement decides and writes, so the count cannot be read stale. Returns what it wrote, or
 * undefined when the lease was gone.
 */
export async function recordRestart(
  client: DbClient,
  taskId: string,
  tickId: string,
  o: { maxRestarts: number; code: string; message: string; nextCheckAt: Date; now: Date; began: Date },
): Promise<'restarted' | 'failed' | undefined> {
  const again = `t.restarts < $3`;
  const { rows } = await client.query<{ status: string }>(
    `update video_tasks t
        set restarts = t.restarts + (case when ${again} then 1 else 0 end),
            status = case when ${again} then ${sql(STATUS.pending)} else ${sql(STATUS.failed)} end,
            operation_name = case when ${again} then null else t.operation_name end,
            polls = case when ${again} then 0 else t.polls end,
            attempts = case when ${again} then 0 else t.attempts end,
            deadline_at = case when ${again} then null else t.deadline_at end,
            next_check_at = $6,
            error_code = $4,
            error = case when ${again} then $5 else 'Gave up after ' || (t.restarts + 1) || ' generations: ' || $5 end,
            completed_at = case when ${again} then null else $7::timestamptz end,
            started_at = coalesce(t.started_at, $8),
            ${RELEASE}
      where ${FENCED}
      returning t.status`,
    [taskId, tickId, o.maxRestarts, o.code, o.message, o.nextCheckAt, o.now, o.began],
  );
  const status = rows[0]?.status;
  return status === undefined ? undefined : status === STATUS.failed ? 'failed' : 'restarted';
}

// ---- A batch's outcomes, set-wise (the caller holds all their jobs' locks) -----------------------

/** recordCompleted for many tasks in one statement; returns the ids written (the rest lost their lease). */
export async function recordCompletedMany(client: DbClient, tickId: string, now: Date, items: ReadonlyArray<{ id: string; output: unknown; began: Date }>): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>(
    `update video_tasks t
        set status = ${sql(STATUS.completed)}, output = v.output, error = null, error_code = null, completed_at = $3,
            started_at = coalesce(t.started_at, v.began), ${RELEASE}
       from unnest($1::uuid[], $2::jsonb[], $4::timestamptz[]) as v(id, output, began)
      where t.id = v.id and t.locked_by = $5 and t.status in ${ACTIVE_IN_SQL}
      returning t.id`,
    [items.map((i) => i.id), items.map((i) => JSON.stringify(i.output)), now, items.map((i) => i.began), tickId],
  );
  return new Set(rows.map((r) => r.id));
}

/** recordPoll for many tasks in one statement; returns the ids written. */
export async function recordPollsMany(client: DbClient, tickId: string, items: ReadonlyArray<{ id: string; nextCheckAt: Date }>): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>(
    `update video_tasks t
        set polls = t.polls + 1, attempts = 0, next_check_at = v.next, ${RELEASE}
       from unnest($1::uuid[], $2::timestamptz[]) as v(id, next)
      where t.id = v.id and t.locked_by = $3 and t.status in ${ACTIVE_IN_SQL}
      returning t.id`,
    [items.map((i) => i.id), items.map((i) => i.nextCheckAt), tickId],
  );
  return new Set(rows.map((r) => r.id));
}

// ---- While a step runs -------------------------------------------------------------------------

/**
 * Marks a scene's transfer into Storage as begun, under the lease, and answers in the same round
 * trip whether its job may still store anything and whether an earlier attempt began the transfer
 * and never recorded how it ended (`cutOff`). No row comes back when a cancel committed first.
 */
export async function markTransferBegun(db: Queryable, taskId: string, tickId: string): Promise<{ jobStatus: Status; cutOff: boolean } | undefined> {
  const { rows } = await db.query<{ status: Status; cut_off: boolean }>(
    `update video_tasks t set transfer_started = true
       from video_jobs j, (select transfer_started from video_tasks where id = $1) prior
      where ${FENCED} and j.id = t.job_id
     returning j.status, prior.transfer_started as cut_off`,
    [taskId, tickId],
  );
  const row = rows[0];
  return row && { jobStatus: row.status, cutOff: row.cut_off };
}

/** Merges `patch` (a running step's progress) into the task's output, under the lease. */
export async function writeProgress(db: Queryable, taskId: string, lockedBy: string | null, patch: Record<string, unknown>): Promise<void> {
  await db.query(`update video_tasks t set output = coalesce(t.output, '{}'::jsonb) || $3::jsonb where ${FENCED}`, [taskId, lockedBy, JSON.stringify(patch)]);
}

// ---- Leases given back -------------------------------------------------------------------------

/**
 * Gives back leases a run holds but will not work on (its time ran out). Jobs before tasks, as
 * everywhere else (cancel, deadlines, outcomes): the tasks can span several jobs, locked in id
 * order, so a release never deadlocks with a cancel of one of them.
 */
export async function releaseLeases(client: DbClient, tickId: string, ids: readonly string[]): Promise<void> {
  await client.query(
    `select 1 from video_jobs where id in (select job_id from video_tasks where id = any($1)) order by id for update`,
    [ids],
  );
  await client.query(`update video_tasks set locked_until = null, locked_by = null where id = any($1) and locked_by = $2`, [ids, tickId]);
}

/** Every lease on an active task, whoever holds it: only for a database no live process shares. */
export async function releaseEveryLease(db: Db): Promise<number> {
  const { rowCount } = await db.query(
    `update video_tasks set locked_until = null, locked_by = null where locked_by is not null and status in ${ACTIVE_IN_SQL}`,
  );
  return rowCount ?? 0;
}

// ---- Whole jobs' tasks (the caller holds the job's lock) ----------------------------------------

/** Every unfinished task of the job becomes canceled; returns how many. */
export async function cancelTasksOf(client: DbClient, jobId: string, now: Date): Promise<number> {
  const { rowCount } = await client.query(
    `update video_tasks
        set status = ${sql(STATUS.canceled)}, completed_at = $2, locked_until = null, locked_by = null
      where job_id = $1 and status = any($3)`,
    [jobId, now, ACTIVE_STATUSES],
  );
  return rowCount ?? 0;
}

/**
 * An active task past its own deadline (from when it started) or its job's, and not held by a live
 * run: `t` the task, `j` its job, $1 now.
 */
export const LATE_TASK_SQL = `t.status in ${ACTIVE_IN_SQL}
  and (t.locked_until is null or t.locked_until < $1)
  and (t.deadline_at < $1 or j.deadline_at < $1)`;

/** Fails the job's late tasks as timed out, saying which deadline passed; returns how many. */
export async function expireLateTasksOf(client: DbClient, jobId: string, now: Date): Promise<number> {
  const { rowCount } = await client.query(
    `update video_tasks t
        set status = ${sql(STATUS.failed)}, error_code = 'timed_out', completed_at = $1,
            locked_until = null, locked_by = null,
            error = case when t.deadline_at < $1 then 'Timed out: the video was not ready before the scene deadline'
                         else 'Timed out: the job ran past its deadline' end
       from video_jobs j
      where j.id = t.job_id and t.job_id = $2 and ${LATE_TASK_SQL}`,
    [now, jobId],
  );
  return rowCount ?? 0;
}

/**
 * Tasks that wait for others (`waitsFor`) are woken the moment the last of those is final,
 * instead of at their next backoff: a render starts as soon as the last scene is stored. One
 * already backing off after an error of its own (attempts > 0) keeps its backoff.
 */
export async function wakeDependents(client: DbClient, jobIds: readonly string[], now: Date): Promise<void> {
  await client.query(
    `update video_tasks w set next_check_at = $2
      where w.job_id = any($1::uuid[]) and w.status = ${sql(STATUS.pending)} and w.attempts = 0 and w.next_check_at > $2 and w.input ? 'waitsFor'
        and not exists (
          select 1 from video_tasks d
           where d.job_id = w.job_id and d.status in ${ACTIVE_IN_SQL}
             and d.position in (select (jsonb_array_elements_text(w.input -> 'waitsFor'))::int))`,
    [jobIds, now],
  );
}

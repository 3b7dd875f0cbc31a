/**
 * Writes what jobs are, as derived from their tasks (lib/jobs/derive.ts), onto the job rows and
 * their escalations. Called inside the transaction that changed a task, after the job row is
 * locked, so two ticks finishing the last two scenes at once cannot both miss that the job is done.
 */
import type { DbClient } from '../db/pool.js';
import { enqueueWebhooks } from '../webhooks/enqueue.js';
import { wakeDependents } from './task-writes.js';
import { deriveJob, type DerivedJob, type TaskSummary } from './derive.js';
import { isFinal, sqlState, STATUS, type Status } from '../states.js';

export interface LockedJob {
  status: Status;
  escalation_id: string;
  kind: string;
}

/** Locks the job row; every task write of a job happens under this lock. */
export async function lockJob(client: DbClient, jobId: string): Promise<LockedJob | undefined> {
  return (await lockJobs(client, [jobId])).get(jobId);
}

/**
 * Locks several job rows in id order (as every multi-job writer does, so two never deadlock);
 * returns those that exist.
 */
export async function lockJobs(client: DbClient, jobIds: readonly string[]): Promise<Map<string, LockedJob>> {
  const { rows } = await client.query<LockedJob & { id: string }>(
    `select id, status, escalation_id, kind from video_jobs where id = any($1::uuid[]) order by id for update`,
    [jobIds],
  );
  return new Map(rows.map(({ id, ...job }) => [id, job]));
}

/**
 * Writes the derived jobs and their escalations in one statement. Only the escalation's current
 * job speaks for it, so an older job finishing late stays quiet; and a step that leaves the job as
 * it was (a scene done, others still running) rewrites nothing on the escalation.
 */
async function writeJobs(client: DbClient, jobs: ReadonlyArray<{ id: string; escalationId: string; derived: DerivedJob }>, now: Date, taskChanged: boolean): Promise<void> {
  const col = <T>(pick: (j: (typeof jobs)[number]) => T) => jobs.map(pick);
  await client.query(
    `with v as (
       select * from unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[])
         as v(id, status, final, error, video_path, video_url, poster_path, poster_url, escalation_id)
     ), job as (
       update video_jobs j
          set status = v.status,
              started_at = case when v.status <> ${sqlState(STATUS.pending)} then coalesce(j.started_at, $10) else j.started_at end,
              completed_at = case when v.final then coalesce(j.completed_at, $10) else null end,
              error = v.error,
              video_path = v.video_path,
              video_url = v.video_url,
              poster_path = v.poster_path,
              poster_url = v.poster_url
         from v
        where j.id = v.id
          and ($11
               or (j.status, j.error, j.video_path, j.video_url, j.poster_path, j.poster_url)
                  is distinct from (v.status, v.error, v.video_path, v.video_url, v.poster_path, v.poster_url)
               or (v.status <> ${sqlState(STATUS.pending)} and j.started_at is null)
               or (v.final and j.completed_at is null)
               or (not v.final and j.completed_at is not null))
     )
     update escalations e set video_generation_status = v.status, video_url = v.video_url, poster_url = v.poster_url
       from v
      where e.id = v.escalation_id and e.video_job_id = v.id
        and (e.video_generation_status, e.video_url, e.poster_url) is distinct from (v.status, v.video_url, v.poster_url)`,
    [
      col((j) => j.id),
      col((j) => j.derived.status),
      col((j) => j.derived.final),
      col((j) => j.derived.error),
      col((j) => j.derived.result.videoPath),
      col((j) => j.derived.result.videoUrl),
      col((j) => j.derived.result.posterPath),
      col((j) => j.derived.result.posterUrl),
      col((j) => j.escalationId),
      now,
      taskChanged,
    ],
  );
}

/**
 * Recomputes jobs from their tasks after a task of each moved, with their rows locked by the
 * caller (`locked`, from lockJob or a set-wise lock in id order); returns each job's status
 * afterwards. One read of all their tasks and one write of all the jobs and escalations, whatever
 * their number: a batch of outcomes costs two round trips here, not two per job. Canceled jobs
 * stay as they are.
 *
 * A job row is written only when what a dashboard shows changes: one of its own columns, or,
 * with `taskChanged` (the default), a task's status or output, which moves the job's progress.
 * Every write fires `updated_at` and a Realtime event per subscriber, which is metered; a poll
 * that finds an operation still running does not sync at all.
 */
export async function syncJobs(
  client: DbClient,
  locked: ReadonlyMap<string, LockedJob>,
  now: Date,
  { taskChanged = true }: { taskChanged?: boolean } = {},
): Promise<Map<string, Status>> {
  const statuses = new Map<string, Status>();
  const live = [...locked].filter(([, job]) => job.status !== STATUS.canceled);
  for (const [id, job] of locked) if (job.status === STATUS.canceled) statuses.set(id, job.status);
  if (live.length === 0) return statuses;
  const { rows } = await client.query<TaskSummary & { job_id: string }>(
    `select job_id, position, kind, status, unit, error, input, output from video_tasks where job_id = any($1::uuid[]) order by job_id, position`,
    [live.map(([id]) => id)],
  );
  const tasksOf = new Map<string, TaskSummary[]>();
  for (const row of rows) {
    const list = tasksOf.get(row.job_id) ?? [];
    list.push(row);
    tasksOf.set(row.job_id, list);
  }
  const derived = live.map(([id, job]) => ({ id, job, escalationId: job.escalation_id, derived: deriveJob(job.kind, tasksOf.get(id) ?? []) }));
  const waking = derived.filter((d) => d.derived.mayWake).map((d) => d.id);
  if (waking.length > 0) await wakeDependents(client, waking, now);
  await writeJobs(client, derived, now, taskChanged);
  for (const { id, derived: d } of derived) statuses.set(id, d.status);
  // Exactly once per move into a terminal state, in this transaction: the job's webhook, if any.
  const ended = derived.filter(({ job, derived: d }) => d.final && !isFinal(job.status)).map(({ id, derived: d }) => ({ jobId: id, status: d.status }));
  await enqueueWebhooks(client, ended, now);
  return statuses;
}

/** syncJobs for one job, locking it first unless the caller passes the row lockJob gave it. */
export async function syncJob(client: DbClient, jobId: string, now: Date, locked?: LockedJob, options: { taskChanged?: boolean } = {}): Promise<Status> {
  const job = locked ?? (await lockJob(client, jobId));
  if (!job) return STATUS.failed;
  const statuses = await syncJobs(client, new Map([[jobId, job]]), now, options);
  return statuses.get(jobId)!;
}

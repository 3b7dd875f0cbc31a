/**
 * Derives a job's status from its tasks and mirrors it onto the escalation. Called inside the
 * transaction that changed a task, after the job row is locked, so two ticks finishing the last
 * two scenes at once cannot both miss that the job is done.
 */
import type { DbClient } from '../db/pool.ts';
import { STATUS, type Status } from './states.ts';

interface TaskSummary {
  position: number;
  status: Status;
  error: string | null;
  output: { url?: string; objectPath?: string } | null;
}

/** Locks the job row; every task write of a job happens under this lock. */
export async function lockJob(client: DbClient, jobId: string): Promise<{ status: Status; escalation_id: string } | undefined> {
  const { rows } = await client.query<{ status: Status; escalation_id: string }>(
    `select status, escalation_id from video_jobs where id = $1 for update`,
    [jobId],
  );
  return rows[0];
}

function failureSummary(tasks: TaskSummary[]): string | null {
  const failed = tasks.filter((t) => t.status === STATUS.failed);
  if (failed.length === 0) return null;
  return failed.map((t) => `Scene ${t.position + 1}: ${t.error ?? 'failed'}`).join('; ');
}

/** Recomputes the job from its tasks; returns the job's status afterwards. */
export async function syncJob(client: DbClient, jobId: string, now: Date): Promise<Status> {
  const job = await lockJob(client, jobId);
  if (!job) return STATUS.failed;
  if (job.status === STATUS.canceled) return job.status;
  const { rows: tasks } = await client.query<TaskSummary>(
    `select position, status, error, output from video_tasks where job_id = $1 order by position`,
    [jobId],
  );
  const active = tasks.some((t) => t.status === STATUS.pending || t.status === STATUS.processing);
  const touched = tasks.some((t) => t.status !== STATUS.pending);
  const firstDone = tasks.find((t) => t.status === STATUS.completed);
  let status: Status;
  if (active) status = touched ? STATUS.processing : STATUS.pending;
  else status = firstDone ? STATUS.completed : STATUS.failed;
  const final = !active;
  await client.query(
    `update video_jobs
        set status = $2,
            started_at = case when $2 <> 'pending' then coalesce(started_at, $3) else started_at end,
            completed_at = case when $4 then coalesce(completed_at, $3) else null end,
            error = $5,
            video_path = $6,
            video_url = $7
      where id = $1`,
    [jobId, status, now, final, failureSummary(tasks), final ? (firstDone?.output?.objectPath ?? null) : null, final ? (firstDone?.output?.url ?? null) : null],
  );
  // Only the escalation's current job speaks for it; an older job finishing late stays quiet.
  await client.query(
    `update escalations set video_generation_status = $2, video_url = $3
      where id = $1 and video_job_id = $4`,
    [job.escalation_id, status, final ? (firstDone?.output?.url ?? null) : null, jobId],
  );
  return status;
}

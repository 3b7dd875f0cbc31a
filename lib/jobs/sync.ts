/**
 * Derives a job's status from its tasks and mirrors it onto the escalation. Called inside the
 * transaction that changed a task, after the job row is locked, so two ticks finishing the last
 * two scenes at once cannot both miss that the job is done.
 */
import type { DbClient } from '../db/pool.js';
import { enqueueWebhook } from '../webhooks/enqueue.js';
import { taskLabel, unitKindOf } from './progress.js';
import { JOB_KIND, STATUS, TASK_KIND, isFinal, type Status } from './states.js';

interface TaskSummary {
  position: number;
  kind: string;
  status: Status;
  error: string | null;
  input: { scene?: number; index?: number; purpose?: string };
  output: { url?: string; objectPath?: string; posterPath?: string; posterUrl?: string } | null;
}

/** Locks the job row; every task write of a job happens under this lock. */
export async function lockJob(client: DbClient, jobId: string): Promise<{ status: Status; escalation_id: string; kind: string } | undefined> {
  const { rows } = await client.query<{ status: Status; escalation_id: string; kind: string }>(
    `select status, escalation_id, kind from video_jobs where id = $1 for update`,
    [jobId],
  );
  return rows[0];
}

function failureSummary(tasks: TaskSummary[]): string | null {
  const failed = tasks.filter((t) => t.status === STATUS.failed);
  if (failed.length === 0) return null;
  return failed.map((t) => `${taskLabel(t.kind, t.input.scene ?? t.input.index ?? t.position, t.input.purpose)}: ${t.error ?? 'failed'}`).join('; ');
}

interface Result {
  videoPath: string | null;
  videoUrl: string | null;
  posterPath: string | null;
  posterUrl: string | null;
}

/**
 * What a finished job delivers. A video job: its final cut and poster, or (the render failed)
 * its first scene. An image job: its first still, as the poster. Variations: the first one.
 */
const NO_RESULT: Result = { videoPath: null, videoUrl: null, posterPath: null, posterUrl: null };

function resultOf(jobKind: string, tasks: TaskSummary[]): Result {
  const done = (kind: string) => tasks.find((t) => t.kind === kind && t.status === STATUS.completed && t.output?.objectPath);
  if (jobKind === JOB_KIND.image) {
    const still = done(TASK_KIND.imagenStill);
    return still ? { ...NO_RESULT, posterPath: still.output!.objectPath!, posterUrl: still.output!.url ?? null } : NO_RESULT;
  }
  const cut = jobKind === JOB_KIND.video ? done(TASK_KIND.render) : undefined;
  const video = cut ?? done(unitKindOf(jobKind));
  if (!video) return NO_RESULT;
  return {
    videoPath: video.output!.objectPath!,
    videoUrl: video.output!.url ?? null,
    posterPath: video.output!.posterPath ?? null,
    posterUrl: video.output!.posterUrl ?? null,
  };
}

/**
 * Tasks that wait for others (`waitsFor`) are woken the moment the last of those is final,
 * instead of at their next backoff: a render starts as soon as the last scene is stored. One
 * already backing off after an error of its own (attempts > 0) keeps its backoff.
 */
async function wakeDependents(client: DbClient, jobId: string, now: Date): Promise<void> {
  await client.query(
    `update video_tasks w set next_check_at = $2
      where w.job_id = $1 and w.status = 'pending' and w.attempts = 0 and w.next_check_at > $2 and w.input ? 'waitsFor'
        and not exists (
          select 1 from video_tasks d
           where d.job_id = $1 and d.status in ('pending', 'processing')
             and d.position in (select (jsonb_array_elements_text(w.input -> 'waitsFor'))::int))`,
    [jobId, now],
  );
}

/**
 * Recomputes the job from its tasks; returns the job's status afterwards. A caller that already
 * holds the job's lock passes the row lockJob gave it (`locked`), saving a second round trip.
 *
 * The job row is written only when what a dashboard shows changes: one of its own columns, or,
 * with `taskChanged` (the default), a task's status or output, which moves the job's progress.
 * Every write fires `updated_at` and a Realtime event per subscriber, which is metered.
 */
export async function syncJob(
  client: DbClient,
  jobId: string,
  now: Date,
  locked?: Awaited<ReturnType<typeof lockJob>>,
  { taskChanged = true }: { taskChanged?: boolean } = {},
): Promise<Status> {
  const job = locked ?? (await lockJob(client, jobId));
  if (!job) return STATUS.failed;
  if (job.status === STATUS.canceled) return job.status;
  const { rows: tasks } = await client.query<TaskSummary>(
    `select position, kind, status, error, input, output from video_tasks where job_id = $1 order by position`,
    [jobId],
  );
  const active = tasks.some((t) => t.status === STATUS.pending || t.status === STATUS.processing);
  const touched = tasks.some((t) => t.status !== STATUS.pending);
  const unitKind = unitKindOf(job.kind);
  const anyUnitDone = tasks.some((t) => t.kind === unitKind && t.status === STATUS.completed);
  let status: Status;
  if (active) status = touched ? STATUS.processing : STATUS.pending;
  else status = anyUnitDone ? STATUS.completed : STATUS.failed;
  const final = !active;
  const result = final ? resultOf(job.kind, tasks) : NO_RESULT;
  // Only a pending task that waits for others can be woken; most jobs have none to look for.
  if (active && tasks.some((t) => t.status === STATUS.pending && 'waitsFor' in t.input)) await wakeDependents(client, jobId, now);
  // The job and its escalation in one statement (one round trip). Only the escalation's current
  // job speaks for it, so an older job finishing late stays quiet; and a step that leaves the
  // job as it was (a scene done, others still running) rewrites nothing on the escalation.
  await client.query(
    `with job as (
       update video_jobs
          set status = $2,
              started_at = case when $2 <> 'pending' then coalesce(started_at, $3) else started_at end,
              completed_at = case when $4 then coalesce(completed_at, $3) else null end,
              error = $5,
              video_path = $6,
              video_url = $7,
              poster_path = $8,
              poster_url = $9
        where id = $1
          and ($11
               or (status, error, video_path, video_url, poster_path, poster_url) is distinct from ($2, $5, $6, $7, $8, $9)
               or ($2 <> 'pending' and started_at is null)
               or ($4 and completed_at is null)
               or (not $4 and completed_at is not null)))
     update escalations set video_generation_status = $2, video_url = $7, poster_url = $9
      where id = $10 and video_job_id = $1
        and (video_generation_status, video_url, poster_url) is distinct from ($2, $7, $9)`,
    [jobId, status, now, final, failureSummary(tasks), result.videoPath, result.videoUrl, result.posterPath, result.posterUrl, job.escalation_id, taskChanged],
  );
  // Exactly once per move into a terminal state, in this transaction: the job's webhook, if any.
  if (final && !isFinal(job.status)) await enqueueWebhook(client, jobId, status, now);
  return status;
}

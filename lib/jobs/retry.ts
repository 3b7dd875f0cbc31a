/**
 * Retries a finished job: its failed (or timed-out) tasks go back to `pending` with the provider
 * operation cleared, attempts reset and the job's deadline extended; the job and its escalation
 * become pending/processing again (syncJob derives which). One transaction under the job row
 * lock. A job with nothing failed, a job still running, or a canceled job → 409.
 */
import { addMinutes } from 'date-fns/addMinutes';
import type { Caller } from '../auth/jwt.js';
import type { Config } from '../config.js';
import { withTransaction, type Db, type DbClient } from '../db/pool.js';
import { httpError } from '../http/respond.js';
import { nearestDuration, PROVIDER_LABELS, type VideoProviderName } from '../model-limits.js';
import { assertQuota } from './quota.js';
import { clipLimitsOf } from './generate-request.js';
import { veoSceneInputSchema } from './task-inputs.js';
import { z } from 'zod';
import { lockJob, syncJob } from './sync.js';
import { moveToProvider, requeueFailed } from './task-writes.js';
import { KINDS } from '../kinds/registry.js';
import { isActive, STATUS, type Status, TASK_KIND } from '../states.js';

/**
 * Task kinds made from other tasks' outputs by local work (a final cut, its variations): they run
 * again whenever something they are made from runs again, whatever state they ended in. A Veo
 * scene is not among them: a completed scene is a paid operation and stays as it is. Each kind's
 * descriptor says which it is (`rerunsAfterRetry`, lib/kinds/).
 */
export const RERUN_AFTER_RETRY: readonly string[] = KINDS.tasks.filter((k) => k.rerunsAfterRetry).map((k) => k.kind);

/** What a retry may change: the provider its failed scenes start on again. */
export function retryRequestSchema(config: Config) {
  return z.strictObject({
    provider: z
      .enum(config.providers as [VideoProviderName, ...VideoProviderName[]], { error: `must be one of the providers configured here: ${config.providers.join(', ')}` })
      .optional()
      .meta({ description: "Start the failed scenes again on this provider (the others keep theirs). A clip length it does not make becomes its nearest one, and the scene says so." }),
  });
}

export type RetryRequest = z.infer<ReturnType<typeof retryRequestSchema>>;

/**
 * Moves requeued scenes to another provider. A length that provider does not make becomes its
 * nearest (ties to the longer clip, so narration is not cut short), and the scene keeps a note of
 * it: the professor sees why the clip is longer or shorter than asked.
 */
async function moveScenes(client: DbClient, config: Config, ids: string[], provider: VideoProviderName): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await client.query<{ id: string; input: unknown }>(
    `select id, input from video_tasks where id = any($1) and kind = $2`,
    [ids, TASK_KIND.veoScene],
  );
  const limits = clipLimitsOf(config, provider);
  const moved = rows.map((row) => {
    const input = veoSceneInputSchema.parse(row.input);
    const asked = input.requestedDurationSeconds ?? input.durationSeconds;
    const made = limits.durations.includes(asked) ? asked : nearestDuration(limits.durations, asked);
    const { durationNote: _old, requestedDurationSeconds: _asked, ...rest } = input;
    const next = made === asked
      ? { ...rest, durationSeconds: made }
      : { ...rest, durationSeconds: made, requestedDurationSeconds: asked, durationNote: `Made at ${made} s on ${PROVIDER_LABELS[provider]}, which makes ${limits.durations.join(' or ')} s clips (${limits.model}); this scene asked for ${asked} s` };
    return { id: row.id, input: next };
  });
  await moveToProvider(client, provider, moved);
}

export interface RetryResult {
  status: Status;
  requeued: number;
}

export async function retryJob(db: Db, config: Config, caller: Caller, jobId: string, now: Date, request: RetryRequest = {}): Promise<RetryResult> {
  return withTransaction(db, async (client) => {
    const job = await lockJob(client, jobId);
    if (!job) throw httpError(404, 'not_found', 'No job with this id');
    if (isActive(job.status)) {
      throw httpError(409, 'job_active', 'The job is still running; retry it once it has finished');
    }
    if (job.status === STATUS.canceled) throw httpError(409, 'job_canceled', 'A canceled job cannot be retried; start a new one');
    const { rows } = await client.query<{ owner_id: string | null; current: string | null }>(
      `select j.owner_id, e.video_job_id as current from video_jobs j join escalations e on e.id = j.escalation_id where j.id = $1`,
      [jobId],
    );
    const { owner_id: ownerId, current } = rows[0]!;
    if (current !== null && current !== jobId) {
      throw httpError(409, 'job_superseded', 'A newer job exists for this escalation; retry that one or start a new one');
    }
    await assertQuota(client, config, caller, ownerId, now, { newJob: false });
    // The failed tasks go back to the queue with every RERUN_AFTER_RETRY task that waits on one of
    // them, directly or through another (a scene → the final cut → the variations made from it); a
    // failed variation alone does not re-render the cut. The one place a retry decides what runs again.
    const requeuedIds = await requeueFailed(client, jobId, now, RERUN_AFTER_RETRY);
    const requeued = requeuedIds.length;
    if (requeued === 0) throw httpError(409, 'nothing_to_retry', 'No scene of this job failed; there is nothing to retry');
    if (request.provider) await moveScenes(client, config, requeuedIds, request.provider);
    // A retried job gets a whole new deadline, or expireOverdue would fail it again at once.
    await client.query(
      `update video_jobs set deadline_at = greatest(deadline_at, $2), completed_at = null where id = $1`,
      [jobId, addMinutes(now, config.JOB_DEADLINE_MINUTES)],
    );
    // An event of the outcome being retried that is still waiting to go out would describe a job
    // that is running again; the job announces its new ending when it has one.
    await client.query(
      `update webhook_deliveries set status = 'failed', last_error = 'superseded: the job was retried before this was delivered'
        where job_id = $1 and status = 'pending' and (locked_until is null or locked_until < $2)`,
      [jobId, now],
    );
    const status = await syncJob(client, jobId, now);
    return { status, requeued };
  });
}

/**
 * Cancels a job: the job becomes `canceled`, every unfinished task `canceled`, the escalation
 * follows, and the job's webhook (if any) is enqueued, all in one transaction under the job row
 * lock. A tick working on one of its tasks at that moment loses: applyOutcome only writes tasks
 * that are still active, and the Veo scene step asks `beginTransfer` while its download opens and
 * before anything is uploaded, so nothing more is stored. Canceling a canceled job changes nothing and succeeds.
 */
import { withTransaction, type Db, type Queryable } from '../db/pool.js';
import { httpError } from '../http/respond.js';
import { enqueueWebhook } from '../webhooks/enqueue.js';
import { lockJob } from './sync.js';
import { ACTIVE_STATUSES, STATUS, type Status } from './states.js';

export interface CancelResult {
  status: Status;
  /** Tasks this call canceled (0 when the job was already canceled). */
  canceledTasks: number;
  alreadyCanceled: boolean;
}

/**
 * The last check before a scene's video is uploaded, in one round trip: whether its job may still
 * store anything, and whether an earlier attempt began this transfer and never recorded how it
 * ended (`cutOff`: its upload may have landed). Marks the transfer as begun; applyOutcome clears it.
 */
export async function beginTransfer(db: Queryable, taskId: string, tickId: string): Promise<{ active: boolean; cutOff: boolean }> {
  // The task's own state and lease are checked too: a cancel committing while this waits for the
  // row leaves the task canceled, and then no row comes back, whatever the job row read said.
  const { rows } = await db.query<{ status: Status; cut_off: boolean }>(
    `update video_tasks t set transfer_started = true
       from video_jobs j, (select transfer_started from video_tasks where id = $1) prior
      where t.id = $1 and j.id = t.job_id and t.status in ('pending', 'processing') and t.locked_by = $2
     returning j.status, prior.transfer_started as cut_off`,
    [taskId, tickId],
  );
  const row = rows[0];
  return { active: row !== undefined && ACTIVE_STATUSES.includes(row.status), cutOff: row?.cut_off ?? false };
}

/** Whether an earlier attempt began storing this task's video and never recorded how it ended. */
export async function transferWasCutOff(db: Queryable, taskId: string): Promise<boolean> {
  const { rows } = await db.query<{ transfer_started: boolean }>(`select transfer_started from video_tasks where id = $1`, [taskId]);
  return rows[0]?.transfer_started ?? false;
}

export async function cancelJob(db: Db, jobId: string, now: Date): Promise<CancelResult> {
  return withTransaction(db, async (client) => {
    // Job before tasks, as applyOutcome does, so a cancel and a tick never deadlock.
    const job = await lockJob(client, jobId);
    if (!job) throw httpError(404, 'not_found', 'No job with this id');
    if (job.status === STATUS.canceled) return { status: job.status, canceledTasks: 0, alreadyCanceled: true };
    if (!ACTIVE_STATUSES.includes(job.status)) {
      throw httpError(409, 'job_finished', `The job already ${job.status === STATUS.completed ? 'completed' : 'failed'}; there is nothing to cancel`);
    }
    const { rowCount } = await client.query(
      `update video_tasks
          set status = 'canceled', completed_at = $2, locked_until = null, locked_by = null
        where job_id = $1 and status = any($3)`,
      [jobId, now, ACTIVE_STATUSES],
    );
    await client.query(
      `update video_jobs set status = 'canceled', completed_at = $2, error = 'Canceled by request' where id = $1`,
      [jobId, now],
    );
    // Only the escalation's current job speaks for it (as in syncJob).
    await client.query(
      `update escalations set video_generation_status = 'canceled', video_url = null, poster_url = null where id = $1 and video_job_id = $2`,
      [job.escalation_id, jobId],
    );
    await enqueueWebhook(client, jobId, STATUS.canceled, now);
    return { status: STATUS.canceled, canceledTasks: rowCount ?? 0, alreadyCanceled: false };
  });
}

/**
 * Cancels a job: the job becomes `canceled`, every unfinished task `canceled`, the escalation
 * follows, and the job's webhook (if any) is enqueued, all in one transaction under the job row
 * lock. A tick working on one of its tasks at that moment loses: applyOutcome only writes tasks
 * that are still active, and the Veo scene step asks `beginTransfer` (lib/tasks/transfer.ts) while
 * its download opens and before anything is uploaded, so nothing more is stored. Canceling a canceled job changes nothing and succeeds.
 */
import { withTransaction, type Db } from '../db/pool.js';
import { httpError } from '../http/respond.js';
import { enqueueWebhook } from '../webhooks/enqueue.js';
import { lockJob } from './sync.js';
import { cancelTasksOf } from './task-writes.js';
import { ACTIVE_STATUSES, sqlState, STATUS, type Status } from '../states.js';

export interface CancelResult {
  status: Status;
  /** Tasks this call canceled (0 when the job was already canceled). */
  canceledTasks: number;
  alreadyCanceled: boolean;
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
    const canceledTasks = await cancelTasksOf(client, jobId, now);
    await client.query(
      `update video_jobs set status = ${sqlState(STATUS.canceled)}, completed_at = $2, error = 'Canceled by request' where id = $1`,
      [jobId, now],
    );
    // Only the escalation's current job speaks for it (as in syncJob).
    await client.query(
      `update escalations set video_generation_status = ${sqlState(STATUS.canceled)}, video_url = null, poster_url = null where id = $1 and video_job_id = $2`,
      [job.escalation_id, jobId],
    );
    await enqueueWebhook(client, jobId, STATUS.canceled, now);
    return { status: STATUS.canceled, canceledTasks, alreadyCanceled: false };
  });
}

/**
 * Fails work that ran past its deadline with "timed out", so nothing is ever left stuck in
 * `processing`. A task counts as late when its own deadline (from when it started) or its job's
 * deadline has passed; a task a live tick holds is left to that tick.
 */
import { withTransaction, type Db } from '../db/pool.js';
import { lockJob, syncJob } from '../jobs/sync.js';
import { expireLateTasksOf, LATE_TASK_SQL } from '../jobs/task-writes.js';

/** Returns how many tasks it failed. */
export async function expireOverdue(db: Db, now: Date, limit = 100): Promise<number> {
  const { rows: jobs } = await db.query<{ job_id: string }>(
    `select distinct t.job_id from video_tasks t join video_jobs j on j.id = t.job_id
      where ${LATE_TASK_SQL} limit $2`,
    [now, limit],
  );
  let expired = 0;
  for (const { job_id } of jobs) {
    expired += await withTransaction(db, async (client) => {
      await lockJob(client, job_id);
      const expired = await expireLateTasksOf(client, job_id, now);
      if (expired > 0) await syncJob(client, job_id, now);
      return expired;
    });
  }
  return expired;
}

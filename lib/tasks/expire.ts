/**
 * Fails work that ran past its deadline with "timed out", so nothing is ever left stuck in
 * `processing`. A task counts as late when its own deadline (from when it started) or its job's
 * deadline has passed; a task a live tick holds is left to that tick.
 */
import { withTransaction, type Db } from '../db/pool.js';
import { lockJob, syncJob } from '../jobs/sync.js';
import { ACTIVE_IN_SQL } from '../states.js';

const LATE = `t.status in ${ACTIVE_IN_SQL}
  and (t.locked_until is null or t.locked_until < $1)
  and (t.deadline_at < $1 or j.deadline_at < $1)`;

/** Returns how many tasks it failed. */
export async function expireOverdue(db: Db, now: Date, limit = 100): Promise<number> {
  const { rows: jobs } = await db.query<{ job_id: string }>(
    `select distinct t.job_id from video_tasks t join video_jobs j on j.id = t.job_id
      where ${LATE} limit $2`,
    [now, limit],
  );
  let expired = 0;
  for (const { job_id } of jobs) {
    expired += await withTransaction(db, async (client) => {
      await lockJob(client, job_id);
      const { rowCount } = await client.query(
        `update video_tasks t
            set status = 'failed', error_code = 'timed_out', completed_at = $1,
                locked_until = null, locked_by = null,
                error = case when t.deadline_at < $1 then 'Timed out: the video was not ready before the scene deadline'
                             else 'Timed out: the job ran past its deadline' end
           from video_jobs j
          where j.id = t.job_id and t.job_id = $2 and ${LATE}`,
        [now, job_id],
      );
      if (rowCount) await syncJob(client, job_id, now);
      return rowCount ?? 0;
    });
  }
  return expired;
}

/**
 * The transfer mark on a task row: set as a scene's video starts its way into Storage, cleared
 * when its outcome is written (lib/tasks/apply.ts). It is how a step knows both that its job may
 * still store anything (a cancel wins) and that an earlier attempt's upload may have landed.
 */
import type { Queryable } from '../db/pool.js';
import { ACTIVE_IN_SQL, ACTIVE_STATUSES, type Status } from '../states.js';

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
      where t.id = $1 and j.id = t.job_id and t.status in ${ACTIVE_IN_SQL} and t.locked_by = $2
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

/**
 * The transfer mark on a task row: set as a scene's video starts its way into Storage, cleared
 * when its outcome is written (lib/tasks/apply.ts). It is how a step knows both that its job may
 * still store anything (a cancel wins) and that an earlier attempt's upload may have landed.
 */
import type { Queryable } from '../db/pool.js';
import { markTransferBegun } from '../jobs/task-writes.js';
import { ACTIVE_STATUSES } from '../states.js';

/**
 * The last check before a scene's video is uploaded, in one round trip: whether its job may still
 * store anything, and whether an earlier attempt began this transfer and never recorded how it
 * ended (`cutOff`: its upload may have landed). Marks the transfer as begun; applyOutcome clears it.
 */
export async function beginTransfer(db: Queryable, taskId: string, tickId: string): Promise<{ active: boolean; cutOff: boolean }> {
  // The task's own state and lease are checked too: a cancel committing while this waits for the
  // row leaves the task canceled, and then no row comes back, whatever the job row read said.
  const marked = await markTransferBegun(db, taskId, tickId);
  return { active: marked !== undefined && ACTIVE_STATUSES.includes(marked.jobStatus), cutOff: marked?.cutOff ?? false };
}

/** Whether an earlier attempt began storing this task's video and never recorded how it ended. */
export async function transferWasCutOff(db: Queryable, taskId: string): Promise<boolean> {
  const { rows } = await db.query<{ transfer_started: boolean }>(`select transfer_started from video_tasks where id = $1`, [taskId]);
  return rows[0]?.transfer_started ?? false;
}

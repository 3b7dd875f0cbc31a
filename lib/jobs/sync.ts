/**
 * Writes what jobs are, as derived from their tasks, onto the job rows and their escalations:
 * sync_video_jobs (supabase/migrations/20261205001700_apply_task_outcomes.sql), which applies the
 * rules of lib/jobs/derive.ts in the database (tests/derive-sql.test.ts holds the two together),
 * so the tick's commits derive their jobs in the same round trip as their task writes. Called
 * inside the transaction that changed a task; the function locks the jobs in id order first, so
 * two ticks finishing the last two scenes at once cannot both miss that the job is done.
 */
import { z } from 'zod';
import type { DbClient } from '../db/pool.js';
import { STATUS, type Status } from '../states.js';

export interface LockedJob {
  status: Status;
  escalation_id: string;
  kind: string;
}

/** Locks the job row; every task write of a job happens under this lock. */
export async function lockJob(client: DbClient, jobId: string): Promise<LockedJob | undefined> {
  const { rows } = await client.query<LockedJob>(`select status, escalation_id, kind from video_jobs where id = $1 for update`, [jobId]);
  return rows[0];
}

const syncedRows = z.array(z.object({ job_id: z.string(), status: z.enum(STATUS) }));

/**
 * Recomputes jobs from their tasks; returns each job's status afterwards (a job that does not
 * exist is left out). One round trip whatever their number. Canceled jobs stay as they are.
 *
 * A job row is written only when what a dashboard shows changes: one of its own columns, or,
 * with `taskChanged` (the default), a task's status or output, which moves the job's progress.
 * Every write fires `updated_at` and a Realtime event per subscriber, which is metered; a poll
 * that finds an operation still running does not sync at all. A job that moves into a final
 * state enqueues its webhook, exactly once, in this transaction.
 */
export async function syncJobs(client: DbClient, jobIds: readonly string[], now: Date, { taskChanged = true }: { taskChanged?: boolean } = {}): Promise<Map<string, Status>> {
  if (jobIds.length === 0) return new Map();
  const { rows } = await client.query(`select job_id, status from sync_video_jobs($1::uuid[], $2, $3)`, [jobIds, now, taskChanged]);
  return new Map(syncedRows.parse(rows).map((r) => [r.job_id, r.status]));
}

/** syncJobs for one job (locked by the caller or not: the function locks it either way). */
export async function syncJob(client: DbClient, jobId: string, now: Date, options: { taskChanged?: boolean } = {}): Promise<Status> {
  const statuses = await syncJobs(client, [jobId], now, options);
  return statuses.get(jobId) ?? STATUS.failed;
}

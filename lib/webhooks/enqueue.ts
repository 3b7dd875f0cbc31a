/**
 * Records that a job reached a terminal state and has a webhook to tell. Called inside the
 * transaction that made the job terminal (lib/jobs/sync.ts, lib/jobs/cancel.ts), under the job
 * row lock, so a delivery exists exactly when the state change committed.
 */
import type { DbClient } from '../db/pool.js';
import { STATUS, type Status } from '../states.js';

const EVENTS: Partial<Record<Status, string>> = {
  [STATUS.completed]: 'job.completed',
  [STATUS.failed]: 'job.failed',
  [STATUS.canceled]: 'job.canceled',
};

/** The event a job in `status` announces; undefined while it is not terminal. */
export function webhookEventFor(status: Status): string | undefined {
  return EVENTS[status];
}

/** Enqueues one delivery when the job has a webhookUrl and `status` is terminal; returns its id. */
export async function enqueueWebhook(client: DbClient, jobId: string, status: Status, now: Date): Promise<string | undefined> {
  const event = webhookEventFor(status);
  if (!event) return undefined;
  const { rows } = await client.query<{ id: string }>(
    `insert into webhook_deliveries (job_id, url, event, next_attempt_at)
     select id, webhook_url, $2, $3 from video_jobs where id = $1 and webhook_url is not null
     returning id`,
    [jobId, event, now],
  );
  return rows[0]?.id;
}

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
  return (await enqueueWebhooks(client, [{ jobId, status }], now))[0];
}

/**
 * enqueueWebhook for many jobs in one statement (a batch of outcomes can end dozens of jobs):
 * one delivery per job that has a webhookUrl and whose status is terminal; returns their ids.
 */
export async function enqueueWebhooks(client: DbClient, ended: ReadonlyArray<{ jobId: string; status: Status }>, now: Date): Promise<string[]> {
  const announced = ended.flatMap(({ jobId, status }) => {
    const event = webhookEventFor(status);
    return event ? [{ jobId, event }] : [];
  });
  if (announced.length === 0) return [];
  const { rows } = await client.query<{ id: string }>(
    `insert into webhook_deliveries (job_id, url, event, next_attempt_at)
     select j.id, j.webhook_url, v.event, $3
       from unnest($1::uuid[], $2::text[]) with ordinality as v(job_id, event, n)
       join video_jobs j on j.id = v.job_id
      where j.webhook_url is not null
      order by v.n
     returning id`,
    [announced.map((a) => a.jobId), announced.map((a) => a.event), now],
  );
  return rows.map((r) => r.id);
}

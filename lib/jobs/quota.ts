/**
 * Per-professor quotas on new work: QUOTA_JOBS_PER_HOUR jobs created in any rolling hour and
 * QUOTA_ACTIVE_JOBS jobs pending or processing at once. Over either → 429 with Retry-After. The
 * service role is exempt (it is the trusted backend acting for professors; MAX_IN_FLIGHT still
 * caps what all jobs together spend at Veo). A transaction-scoped advisory lock per owner makes
 * the count and the insert that follows one step, so concurrent requests cannot both squeeze in.
 */
import type { Caller } from '../auth/jwt.js';
import type { Config } from '../config.js';
import type { DbClient } from '../db/pool.js';
import { AppError } from '../errors.js';
import { ACTIVE_STATUSES } from '../states.js';

/** Seconds a client is told to wait when its active jobs are at the cap: about one tick. */
const ACTIVE_RETRY_AFTER_SECONDS = 60;
const HOUR_MS = 3_600_000;

function tooMany(message: string, retryAfterSeconds: number): AppError {
  return new AppError('quota_exceeded', message, {
    status: 429,
    retryable: true,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/**
 * Throws 429 when `ownerId` may not start one more job now. `newJob: false` (a retry) checks only
 * the active-jobs cap: a retry creates no job but makes one active again.
 */
export async function assertQuota(
  client: DbClient,
  config: Pick<Config, 'QUOTA_JOBS_PER_HOUR' | 'QUOTA_ACTIVE_JOBS'>,
  caller: Caller,
  ownerId: string | null,
  now: Date,
  options: { newJob?: boolean } = {},
): Promise<void> {
  if (caller.role === 'service_role' || !ownerId) return;
  const newJob = options.newJob ?? true;
  const perHour = newJob ? config.QUOTA_JOBS_PER_HOUR : 0;
  const active = config.QUOTA_ACTIVE_JOBS;
  if (perHour === 0 && active === 0) return;
  await client.query(`select pg_advisory_xact_lock(hashtext('video_jobs.quota'), hashtext($1))`, [ownerId]);
  const since = new Date(now.getTime() - HOUR_MS);
  const { rows } = await client.query<{ recent: number; active: number }>(
    `select count(*) filter (where created_at > $2)::int as recent,
            count(*) filter (where status = any($3))::int as active
       from video_jobs
      where owner_id = $1 and (created_at > $2 or status = any($3))`,
    [ownerId, since, ACTIVE_STATUSES],
  );
  const counts = rows[0]!;
  if (active > 0 && counts.active >= active) {
    throw tooMany(`You already have ${counts.active} video jobs in progress (limit ${active}); wait for one to finish or cancel one`, ACTIVE_RETRY_AFTER_SECONDS);
  }
  if (perHour > 0 && counts.recent >= perHour) {
    // The slot frees when the job that put the count at the limit leaves the rolling hour.
    const { rows: oldest } = await client.query<{ created_at: Date }>(
      `select created_at from video_jobs where owner_id = $1 and created_at > $2
        order by created_at offset $3 limit 1`,
      [ownerId, since, counts.recent - perHour],
    );
    const freesAt = (oldest[0]?.created_at.getTime() ?? now.getTime()) + HOUR_MS;
    throw tooMany(`You created ${counts.recent} video jobs in the last hour (limit ${perHour})`, (freesAt - now.getTime()) / 1000);
  }
}

/**
 * Reads the start queue for a set of jobs in one statement, set-wise (however many jobs a list
 * page holds): where each of their waiting scenes stands in the claim's fair order
 * (video_start_queue, supabase/migrations/20261205001300_fair_share_claim.sql), what holds the
 * slots now, and the recent median duration of each task kind. ./eta.ts turns that into
 * positions and times.
 */
import { z } from 'zod';
import type { Queryable } from '../db/pool.js';
import { standingOf, type JobTaskState, type QueueSnapshot } from './eta.js';
import { KINDS } from '../kinds/registry.js';
import { isActive, sqlState, STATUS } from '../states.js';

/** How many of a kind's latest completed tasks the median is taken over. */
export const RECENT_TASKS = 50;

const rowSchema = z.object({
  ranks: z.array(z.object({ job_id: z.string(), task_id: z.string(), ahead: z.number() })).nullable(),
  running: z.array(z.string()).nullable(),
  medians: z.array(z.object({ kind: z.string(), seconds: z.number().nullable() })).nullable(),
});

export interface QueueRead {
  snapshot: QueueSnapshot;
  /** Scenes ahead of each waiting task of the jobs asked about, by task id. */
  aheadByTask: Map<string, number>;
}

/** What the queue is measured against: the cap, and the kinds that hold a slot (PROVIDER_KINDS). */
export interface QueueOptions {
  maxInFlight: number;
  startKinds: readonly string[];
  now?: Date;
}

export async function readQueue(db: Queryable, jobIds: readonly string[], options: QueueOptions): Promise<QueueRead> {
  const now = options.now ?? new Date();
  const { rows } = await db.query(
    `select
       (select json_agg(json_build_object('job_id', q.job_id, 'task_id', q.task_id, 'ahead', q.ahead))
          from (select s.job_id, s.task_id,
                       pg_catalog.row_number() over (order by s.round, s.queue_job_created_at, s.job_id, s.position) - 1 as ahead
                  from video_start_queue($1, $2, null) s) q
         where q.job_id = any($3::uuid[])) as ranks,
       (select json_agg(coalesce(case when f.status = ${sqlState(STATUS.processing)} then f.started_at end, $1))
          from video_tasks f
         where f.kind = any($2) and (f.status = ${sqlState(STATUS.processing)} or (f.status = ${sqlState(STATUS.pending)} and f.locked_until >= $1))) as running,
       (select json_agg(json_build_object('kind', k.kind, 'seconds',
                (select percentile_cont(0.5) within group (order by extract(epoch from r.completed_at - r.started_at))
                   from (select c.completed_at, c.started_at from video_tasks c
                          where c.status = ${sqlState(STATUS.completed)} and c.kind = k.kind and c.started_at is not null
                          order by c.completed_at desc limit $5) r)))
          from unnest($4::text[]) k(kind)) as medians`,
    [now, options.startKinds, jobIds, KINDS.tasks.map((k) => k.kind), RECENT_TASKS],
  );
  const row = rowSchema.parse(rows[0]);
  const medianSeconds: Record<string, number> = {};
  for (const m of row.medians ?? []) if (m.seconds !== null) medianSeconds[m.kind] = m.seconds;
  return {
    snapshot: { now, maxInFlight: options.maxInFlight, medianSeconds, runningStartedAt: (row.running ?? []).map((s) => new Date(s)) },
    aheadByTask: new Map((row.ranks ?? []).map((r) => [r.task_id, r.ahead])),
  };
}

/** A job's task as the standing needs it. */
export interface QueuedTask {
  id: string;
  kind: string;
  status: string;
  startedAt: Date | null;
  lockedUntil: Date | null;
}

export interface JobQueueFields {
  queuePosition: number | null;
  estimatedStartAt: string | null;
  estimatedCompletedAt: string | null;
  /** Set when the job's scenes wait for a slot and none of them runs: the step to show. */
  waitingStep: string | null;
}

const NONE: JobQueueFields = { queuePosition: null, estimatedStartAt: null, estimatedCompletedAt: null, waitingStep: null };

/** The queue fields of one job from a read covering it; a finished job has none. */
export function queueFieldsOf(read: QueueRead, options: QueueOptions, jobActive: boolean, tasks: readonly QueuedTask[]): JobQueueFields {
  if (!jobActive) return NONE;
  const now = read.snapshot.now.getTime();
  const states: JobTaskState[] = tasks.map((t) => {
    const active = isActive(t.status);
    const leased = t.status === STATUS.pending && t.lockedUntil !== null && t.lockedUntil.getTime() >= now;
    return {
      kind: t.kind,
      running: t.status === STATUS.processing || leased,
      startedAt: t.status === STATUS.processing ? t.startedAt : leased ? read.snapshot.now : null,
      ahead: read.aheadByTask.get(t.id) ?? null,
      active,
      usesSlot: options.startKinds.includes(t.kind),
    };
  });
  const s = standingOf(read.snapshot, states);
  const runs = states.some((t) => t.running);
  return {
    queuePosition: s.queuePosition,
    estimatedStartAt: s.estimatedStartAt?.toISOString() ?? null,
    estimatedCompletedAt: s.estimatedCompletedAt?.toISOString() ?? null,
    waitingStep: s.waitsForRoom && !runs ? `Waiting for a free slot, ${s.queuePosition} ahead` : null,
  };
}

/**
 * Reads the start queue for a set of jobs in one statement, set-wise (however many jobs a list
 * page holds): where each of their waiting scenes stands in the claim's fair order
 * (video_start_queue, supabase/migrations/20261205001300_fair_share_claim.sql), what holds the
 * slots now, and the recent median duration of each task kind. ./eta.ts turns that into
 * positions and times.
 */
import { z } from 'zod';
import type { Queryable } from '../db/pool.js';
import { standingOf, type Hold, type JobTaskState, type QueueSnapshot } from './eta.js';
import { pausedProviderStep } from './provider-pause.js';
import { providerShortName } from '../model-limits.js';
import { KINDS } from '../kinds/registry.js';
import { isActive, sqlState, STATUS } from '../states.js';

/** How many of a kind's latest completed tasks the median is taken over. */
export const RECENT_TASKS = 50;

const rowSchema = z.object({
  ranks: z.array(z.object({ job_id: z.string(), task_id: z.string(), ahead: z.number() })).nullable(),
  running: z.array(z.object({ started_at: z.string(), provider: z.string().nullable() })).nullable(),
  medians: z.array(z.object({ kind: z.string(), seconds: z.number().nullable() })).nullable(),
  pauses: z.array(z.object({ provider: z.string(), until: z.string() })).nullable(),
  order: z.array(z.string().nullable()).nullable(),
});

export interface QueueRead {
  snapshot: QueueSnapshot;
  /** Scenes ahead of each waiting task of the jobs asked about, by task id. */
  aheadByTask: Map<string, number>;
}

/** What the queue is measured against: the caps, and the kinds that hold a slot (PROVIDER_KINDS). */
export interface QueueOptions {
  maxInFlight: number;
  startKinds: readonly string[];
  /** Providers' own caps within maxInFlight (MAX_IN_FLIGHT_VEO, MAX_IN_FLIGHT_LUMA). */
  providerCaps?: Readonly<Record<string, number | undefined>>;
  now?: Date;
}

/**
 * With no provider cap and no pause, a scene's rank is when it starts, and the ranks of the jobs
 * asked about are all that is read. With either, the provider of every waiting scene is read too
 * (one text per scene, in the order), so ./eta.ts can play the claim forward.
 */
export async function readQueue(db: Queryable, jobIds: readonly string[], options: QueueOptions): Promise<QueueRead> {
  const now = options.now ?? new Date();
  const providerCaps: Record<string, number> = {};
  for (const [provider, cap] of Object.entries(options.providerCaps ?? {})) if (cap !== undefined) providerCaps[provider] = cap;
  const { rows } = await db.query(
    `with queue as materialized (
       select s.task_ctid, s.job_id, s.task_id,
              pg_catalog.row_number() over (order by s.round, s.queue_job_created_at, s.job_id, s.position) - 1 as ahead
         from video_start_queue($1, $2, null) s),
     pauses as (select p.provider, p.paused_until from video_provider_pauses p where p.paused_until > $1)
     select
       (select json_agg(json_build_object('job_id', q.job_id, 'task_id', q.task_id, 'ahead', q.ahead))
          from queue q where q.job_id = any($3::uuid[])) as ranks,
       (select json_agg(json_build_object('started_at', coalesce(case when f.status = ${sqlState(STATUS.processing)} then f.started_at end, $1), 'provider', f.provider))
          from video_tasks f
         where f.kind = any($2) and (f.status = ${sqlState(STATUS.processing)} or (f.status = ${sqlState(STATUS.pending)} and f.locked_until >= $1))) as running,
       (select json_agg(json_build_object('kind', k.kind, 'seconds',
                (select percentile_cont(0.5) within group (order by extract(epoch from r.completed_at - r.started_at))
                   from (select c.completed_at, c.started_at from video_tasks c
                          where c.status = ${sqlState(STATUS.completed)} and c.kind = k.kind and c.started_at is not null
                          order by c.completed_at desc limit $5) r)))
          from unnest($4::text[]) k(kind)) as medians,
       (select json_agg(json_build_object('provider', p.provider, 'until', p.paused_until)) from pauses p) as pauses,
       (select json_agg(d.provider order by q.ahead)
          from queue q join video_tasks d on d.ctid = q.task_ctid
         where $6::boolean or exists (select from pauses)) as "order"`,
    [now, options.startKinds, jobIds, KINDS.tasks.map((k) => k.kind), RECENT_TASKS, Object.keys(providerCaps).length > 0],
  );
  const row = rowSchema.parse(rows[0]);
  const medianSeconds: Record<string, number> = {};
  for (const m of row.medians ?? []) if (m.seconds !== null) medianSeconds[m.kind] = m.seconds;
  const pausedUntil: Record<string, number> = {};
  for (const p of row.pauses ?? []) pausedUntil[p.provider] = Date.parse(p.until);
  const bound = Object.keys(providerCaps).length > 0 || Object.keys(pausedUntil).length > 0;
  return {
    snapshot: {
      now,
      maxInFlight: options.maxInFlight,
      medianSeconds,
      running: (row.running ?? []).map((r) => ({ startedAt: new Date(r.started_at), provider: r.provider })),
      ...(bound ? { providerCaps, pausedUntil, order: row.order ?? [] } : {}),
    },
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
    waitingStep: s.waitsForRoom && !runs && s.heldBy ? waitingStepOf(s.heldBy, s.queuePosition ?? 0) : null,
  };
}

/** What a professor is told while the job's first scene waits. */
export function waitingStepOf(hold: Hold, ahead: number): string {
  if (hold.by === 'provider_paused') return pausedProviderStep(hold.provider, hold.until);
  if (hold.by === 'provider_cap') return `Waiting for a free ${providerShortName(hold.provider)} slot, ${ahead} ahead`;
  return `Waiting for a free slot, ${ahead} ahead`;
}

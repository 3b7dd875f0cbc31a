/**
 * Reads the operator metrics in one statement, so every figure comes from the same snapshot and
 * a scrape costs one round trip. Each part is served by an index of the rows it counts, never by
 * the finished backlog: active tasks and jobs by their partial indexes, latency by the recent
 * completed tasks' index, failures by the failed tasks' one, ticks from their bounded table.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { ACTIVE_IN_SQL, sqlState, STATUS, TASK_KIND } from '../states.js';
import { PROVIDER_KINDS } from '../tasks/registry.js';
import { TICK_STOP_REASONS } from '../tick/tick-runs.js';
import { DEFAULT_TICKS, type Metrics, type TickRunView } from './schema.js';

/** Windows the Veo latency is measured over, in hours. */
const LATENCY_WINDOWS = { lastHour: 1, lastDay: 24 } as const;
const FAILURE_WINDOW_HOURS = 24;

const activeStatus = z.enum([STATUS.pending, STATUS.processing]);
// json_agg of timestamptz gives ISO text with an offset; read as dates, answered as UTC ISO.
const timestamp = z.string().transform((s) => new Date(s).toISOString());

const tickRowSchema = z.object({
  tick_id: z.string(),
  started_at: timestamp,
  finished_at: timestamp,
  duration_ms: z.number(),
  created: z.number(),
  polled: z.number(),
  completed: z.number(),
  failed: z.number(),
  uploaded: z.number(),
  retried: z.number(),
  expired: z.number(),
  released: z.number(),
  lost: z.number(),
  generation_enabled: z.boolean(),
  stopped_because: z.enum(TICK_STOP_REASONS),
});

const latencyRowSchema = z.object({ operations: z.number(), p50: z.number().nullable(), p95: z.number().nullable() });

const rowSchema = z.object({
  tasks: z.array(z.object({ kind: z.string(), status: activeStatus, count: z.number() })),
  jobs: z.array(z.object({ status: activeStatus, count: z.number() })),
  in_flight: z.array(z.object({ kind: z.string(), count: z.number() })),
  oldest_waiting_seconds: z.number().nullable(),
  latency_hour: latencyRowSchema,
  latency_day: latencyRowSchema,
  failures: z.array(z.object({ reason: z.string(), count: z.number() })),
  ticks: z.array(tickRowSchema),
  paused: z.array(z.object({ provider: z.string(), paused_until: z.string(), reason: z.string() })),
});

export interface ReadMetricsOptions {
  now?: Date;
  /** How many of the latest ticks to list. */
  ticks?: number;
}

/**
 * One window's latency, as its own subquery: the window's start is then known before the scan,
 * so the newest completed tasks are read from video_tasks_recent_completed_idx and no further.
 */
const latencySql = (hoursParam: string, name: string) => `
  (select json_build_object('operations', count(*), 'p50', percentile_cont(0.5) within group (order by d.s),
                            'p95', percentile_cont(0.95) within group (order by d.s))
     from (select extract(epoch from c.completed_at - c.started_at)::float8 as s
             from video_tasks c
            where c.status = ${sqlState(STATUS.completed)} and c.kind = $4 and c.started_at is not null
              and c.completed_at > $1 - make_interval(hours => ${hoursParam}::int)) d) as ${name}`;

const SQL = `
select
  (select coalesce(json_agg(json_build_object('kind', a.kind, 'status', a.status, 'count', a.n)), '[]'::json)
     from (select kind, status, count(*)::int as n from video_tasks
            where status in ${ACTIVE_IN_SQL} group by kind, status) a) as tasks,
  (select coalesce(json_agg(json_build_object('status', b.status, 'count', b.n)), '[]'::json)
     from (select status, count(*)::int as n from video_jobs
            where status in ${ACTIVE_IN_SQL} group by status) b) as jobs,
  -- What holds a MAX_IN_FLIGHT slot, counted as claim_startable_video_tasks counts it.
  (select coalesce(json_agg(json_build_object('kind', f.kind, 'count', f.n)), '[]'::json)
     from (select kind, count(*)::int as n from video_tasks
            where kind = any($2) and (status = ${sqlState(STATUS.processing)} or (status = ${sqlState(STATUS.pending)} and locked_until >= $1))
            group by kind) f) as in_flight,
  -- Startable as the claim sees it: pending, due, unleased. Since next_check_at, not created_at:
  -- a retried job's scenes were made long ago but have waited only since the retry.
  (select extract(epoch from $1 - min(w.next_check_at))::float8 from video_tasks w
    where w.status = ${sqlState(STATUS.pending)} and w.kind = any($2) and w.next_check_at <= $1
      and (w.locked_until is null or w.locked_until < $1)) as oldest_waiting_seconds,
  ${latencySql('$3', 'latency_hour')},
  ${latencySql('$7', 'latency_day')},
  (select coalesce(json_agg(json_build_object('reason', r.reason, 'count', r.n) order by r.n desc, r.reason), '[]'::json)
     from (select coalesce(error_code, 'unknown') as reason, count(*)::int as n from video_tasks
            where status = ${sqlState(STATUS.failed)} and completed_at > $1 - make_interval(hours => $5)
            group by 1) r) as failures,
  (select coalesce(json_agg(t order by t.id desc), '[]'::json)
     from (select * from video_tick_runs order by id desc limit $6) t) as ticks,
  (select coalesce(json_agg(json_build_object('provider', p.provider, 'paused_until', p.paused_until, 'reason', p.reason) order by p.provider), '[]'::json)
     from video_provider_pauses p where p.paused_until > $1) as paused`;

function tickView(r: z.infer<typeof tickRowSchema>): TickRunView {
  return {
    tickId: r.tick_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    created: r.created,
    polled: r.polled,
    completed: r.completed,
    failed: r.failed,
    uploaded: r.uploaded,
    retried: r.retried,
    expired: r.expired,
    released: r.released,
    lost: r.lost,
    generationEnabled: r.generation_enabled,
    stoppedBecause: r.stopped_because,
  };
}

export async function readMetrics(db: Queryable, config: Pick<Config, 'MAX_IN_FLIGHT' | 'VIDEO_GENERATION_ENABLED'>, options: ReadMetricsOptions = {}): Promise<Metrics> {
  const now = options.now ?? new Date();
  const { rows } = await db.query(SQL, [
    now,
    PROVIDER_KINDS,
    LATENCY_WINDOWS.lastHour,
    TASK_KIND.veoScene,
    FAILURE_WINDOW_HOURS,
    options.ticks ?? DEFAULT_TICKS,
    LATENCY_WINDOWS.lastDay,
  ]);
  const row = rowSchema.parse(rows[0]);

  // Every known kind appears, at zero when idle, so a dashboard's series never vanish.
  const tasks: Metrics['queue']['tasks'] = {};
  for (const kind of Object.values(TASK_KIND)) tasks[kind] = { pending: 0, processing: 0 };
  for (const t of row.tasks) (tasks[t.kind] ??= { pending: 0, processing: 0 })[t.status] = t.count;
  const jobs = { pending: 0, processing: 0 };
  for (const j of row.jobs) jobs[j.status] = j.count;

  const byKind: Record<string, number> = Object.fromEntries(PROVIDER_KINDS.map((k) => [k, 0]));
  for (const f of row.in_flight) byKind[f.kind] = f.count;

  const latency = (l: z.infer<typeof latencyRowSchema>) => ({ operations: l.operations, p50Seconds: l.p50, p95Seconds: l.p95 });
  // Keys are error codes from the database: no prototype, so no code can collide with one of its names.
  const byReason = Object.create(null) as Record<string, number>;
  for (const f of row.failures) byReason[f.reason] = f.count;

  return {
    generatedAt: now.toISOString(),
    generationEnabled: config.VIDEO_GENERATION_ENABLED,
    queue: { tasks, jobs },
    inFlight: { operations: row.in_flight.reduce((n, f) => n + f.count, 0), maxInFlight: config.MAX_IN_FLIGHT, byKind },
    oldestWaitingSeconds: row.oldest_waiting_seconds,
    veoLatency: { lastHour: latency(row.latency_hour), lastDay: latency(row.latency_day) },
    failures: { windowHours: FAILURE_WINDOW_HOURS, total: row.failures.reduce((n, f) => n + f.count, 0), byReason },
    ticks: row.ticks.map(tickView),
    pausedProviders: row.paused.map((p) => ({ provider: p.provider, pausedUntil: new Date(p.paused_until).toISOString(), reason: p.reason })),
  };
}

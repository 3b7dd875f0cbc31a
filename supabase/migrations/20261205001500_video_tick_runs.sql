-- Why: the operator metrics (GET /api/video/metrics) show the last poller ticks: when each ran,
-- how long it took, what it did and why it stopped. Logs have that too, but a metrics read must
-- not depend on a log drain. Each tick writes one row as it ends (lib/tick/tick-runs.ts), and
-- the same statement deletes what falls out of the window (the newest 1000 rows, none older than
-- two days), so the table stays a few hundred kilobytes however long the service runs.
--
-- The ticks' record is the service's own: RLS on with no policy for anon or authenticated (they
-- see nothing through the Data API), no grants to them, and not in the Realtime publication.
--
-- Failed tasks of the last day are counted by reason for the same endpoint: a partial index of
-- failed rows by completion time keeps that count off the finished backlog (completed tasks
-- already have video_tasks_recent_completed_idx for the latency percentiles).
--
-- Every statement is idempotent.

create table if not exists public.video_tick_runs (
  -- Increasing with each insert: the prune keeps the newest rows by it.
  id bigint generated always as identity primary key,
  tick_id text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  duration_ms integer not null check (duration_ms >= 0),
  created integer not null default 0,
  polled integer not null default 0,
  completed integer not null default 0,
  failed integer not null default 0,
  uploaded integer not null default 0,
  retried integer not null default 0,
  expired integer not null default 0,
  released integer not null default 0,
  lost integer not null default 0,
  generation_enabled boolean not null,
  stopped_because text not null check (stopped_because in ('idle', 'budget', 'aborted'))
);

create index if not exists video_tasks_recent_failed_idx
  on public.video_tasks (completed_at desc)
  where status = 'failed';

alter table public.video_tick_runs enable row level security;
revoke all on public.video_tick_runs from anon, authenticated;
revoke all on sequence public.video_tick_runs_id_seq from anon, authenticated;
grant all on public.video_tick_runs to service_role;
grant usage, select on sequence public.video_tick_runs_id_seq to service_role;

drop policy if exists video_tick_runs_service_role on public.video_tick_runs;
create policy video_tick_runs_service_role on public.video_tick_runs
  for all to service_role using (true) with check (true);

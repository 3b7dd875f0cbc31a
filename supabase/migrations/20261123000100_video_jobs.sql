-- Why: an escalated question, the professor's answer, and the explainer video made from it.
-- A job is an ordered list of tasks of a few kinds (a Veo scene now; stills and renders later),
-- so adding a kind means adding a task module and widening one CHECK, not a new table.
-- States mirror lib/jobs/states.ts.

create table if not exists public.escalations (
  id uuid primary key default gen_random_uuid(),
  professor_id uuid,
  question text,
  -- Null until the professor answers.
  response text,
  video_generation_status text not null default 'none'
    check (video_generation_status in ('none', 'pending', 'processing', 'completed', 'failed', 'canceled')),
  video_job_id uuid,
  video_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.video_jobs (
  id uuid primary key default gen_random_uuid(),
  escalation_id uuid not null references public.escalations (id) on delete cascade,
  owner_id uuid,
  kind text not null default 'video' check (kind in ('video')),
  status text not null default 'pending'
    check (status in ('pending', 'processing', 'completed', 'failed', 'canceled')),
  -- The validated request as received, so a retry or an audit sees exactly what was asked.
  request jsonb not null,
  storyboard jsonb not null default '[]'::jsonb,
  error text,
  video_path text,
  video_url text,
  deadline_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz
);

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'escalations_video_job_id_fkey') then
    alter table public.escalations
      add constraint escalations_video_job_id_fkey
      foreign key (video_job_id) references public.video_jobs (id) on delete set null;
  end if;
end $$;

create table if not exists public.video_tasks (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.video_jobs (id) on delete cascade,
  position integer not null check (position >= 0),
  kind text not null check (kind in ('veo_scene')),
  status text not null default 'pending'
    check (status in ('pending', 'processing', 'completed', 'failed', 'canceled')),
  input jsonb not null,
  -- Which provider made the operation, so it is always polled by the same one.
  provider text,
  operation_name text,
  -- Failed tries of the current step; reset when the step moves on.
  attempts integer not null default 0,
  polls integer not null default 0,
  next_check_at timestamptz not null default now(),
  -- The lease: a tick owns the row until locked_until; a killed tick's lease simply expires.
  locked_until timestamptz,
  locked_by text,
  output jsonb,
  error_code text,
  error text,
  -- Set when the task starts: a scene waiting for quota room is not running late.
  deadline_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz,
  unique (job_id, position)
);

-- Only active rows are ever claimed; the partial index keeps the claim flat however many
-- finished rows pile up.
create index if not exists video_tasks_due_idx
  on public.video_tasks (next_check_at)
  where status in ('pending', 'processing');

create index if not exists video_tasks_in_flight_idx
  on public.video_tasks (kind)
  where status = 'processing';

create index if not exists video_jobs_owner_created_idx
  on public.video_jobs (owner_id, created_at desc, id desc);

create index if not exists video_jobs_escalation_idx
  on public.video_jobs (escalation_id, created_at desc);

create index if not exists video_jobs_active_deadline_idx
  on public.video_jobs (deadline_at)
  where status in ('pending', 'processing');

create or replace function public.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;

drop trigger if exists escalations_touch on public.escalations;
create trigger escalations_touch before update on public.escalations
  for each row execute function public.touch_updated_at();
drop trigger if exists video_jobs_touch on public.video_jobs;
create trigger video_jobs_touch before update on public.video_jobs
  for each row execute function public.touch_updated_at();
drop trigger if exists video_tasks_touch on public.video_tasks;
create trigger video_tasks_touch before update on public.video_tasks
  for each row execute function public.touch_updated_at();

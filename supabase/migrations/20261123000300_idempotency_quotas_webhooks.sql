-- Why: the dashboard API needs three things the first schema did not have.
--  * Idempotency keys: a retried POST /api/video/generate with the same Idempotency-Key and body
--    returns the original job. The primary key (scope, key) is what makes two concurrent
--    duplicates safe: the second insert waits for the first transaction and then sees its row.
--  * Webhooks: a job may name a webhookUrl; each terminal state enqueues one delivery row in the
--    transaction that made the job terminal, and the tick delivers it with retries.
--  * Quotas count a professor's recent and active jobs; the existing (owner_id, created_at)
--    index serves the hourly count, a partial index serves the active count.
-- Nothing here is for dashboards to read: RLS is on with no policy for anon or authenticated.
-- Every statement is idempotent.

create table if not exists public.idempotency_keys (
  -- Whose key it is: the caller's user id, or 'service_role'. Keys of different callers never meet.
  scope text not null,
  key text not null,
  -- SHA-256 of the validated request, so the same key with another body is recognised (422).
  request_hash text not null,
  job_id uuid references public.video_jobs (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (scope, key)
);

create index if not exists idempotency_keys_expires_idx on public.idempotency_keys (expires_at);

alter table public.video_jobs add column if not exists webhook_url text;

create index if not exists video_jobs_owner_active_idx
  on public.video_jobs (owner_id)
  where status in ('pending', 'processing');

create table if not exists public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.video_jobs (id) on delete cascade,
  url text not null,
  -- job.completed, job.failed or job.canceled: the transition that enqueued this delivery.
  event text not null check (event in ('job.completed', 'job.failed', 'job.canceled')),
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- A lease, as on video_tasks: a tick killed mid-delivery leaves a lease that simply expires.
  locked_until timestamptz,
  locked_by text,
  last_status integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index if not exists webhook_deliveries_due_idx
  on public.webhook_deliveries (next_attempt_at)
  where status = 'pending';

create index if not exists webhook_deliveries_job_idx on public.webhook_deliveries (job_id);

drop trigger if exists webhook_deliveries_touch on public.webhook_deliveries;
create trigger webhook_deliveries_touch before update on public.webhook_deliveries
  for each row execute function public.touch_updated_at();

-- Service-side tables: RLS on, no policy for anon/authenticated (so they see nothing), and no
-- grants to them either. The service role reaches them as on Supabase (BYPASSRLS) or, on a plain
-- PostgreSQL, through the policies below.
alter table public.idempotency_keys enable row level security;
alter table public.webhook_deliveries enable row level security;
revoke all on public.idempotency_keys, public.webhook_deliveries from anon, authenticated;
grant all on public.idempotency_keys, public.webhook_deliveries to service_role;

drop policy if exists idempotency_keys_service_role on public.idempotency_keys;
create policy idempotency_keys_service_role on public.idempotency_keys
  for all to service_role using (true) with check (true);

drop policy if exists webhook_deliveries_service_role on public.webhook_deliveries;
create policy webhook_deliveries_service_role on public.webhook_deliveries
  for all to service_role using (true) with check (true);

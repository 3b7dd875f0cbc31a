-- Why: the startable claim took waiting scenes oldest first, so one professor's backlog held every
-- slot under MAX_IN_FLIGHT while another professor's one-scene job waited behind all of it. The
-- claim now takes them round-robin across professors (tenants), and within a professor by the
-- job's priority, then oldest job first, then scene order. The service role's jobs (no owner)
-- are one tenant.
--
-- A tenant's turn counts what it already has in flight: a professor holding three of four slots
-- is on its fourth turn, so when one slot frees, another professor's first scene goes before
-- that professor's next one. Without this, each claim would restart the round and the oldest
-- backlog would win every freed slot.
--
-- The claim reads only video_tasks: the tenant, the priority and the job's creation time are
-- copied onto each task when it is inserted (a trigger, so every path that adds tasks gets them),
-- and a partial index of pending rows holds them in each tenant's order. The order itself lives in
-- one function, video_start_queue, which the claim and the queue position on the job view share.
--
-- Idempotent: columns, constraints and indexes are added if missing, functions replaced, the
-- backfill touches only rows that lack the copy.

alter table public.video_jobs add column if not exists priority text not null default 'normal';
alter table public.video_jobs drop constraint if exists video_jobs_priority_check;
alter table public.video_jobs
  add constraint video_jobs_priority_check check (priority in ('high', 'normal', 'low'));

-- The nil UUID stands for "no owner" (the service role): one tenant, and a plain equality key.
alter table public.video_tasks add column if not exists queue_tenant uuid;
-- 0 high, 1 normal, 2 low: sorts the way the claim takes them.
alter table public.video_tasks add column if not exists queue_priority smallint;
alter table public.video_tasks add column if not exists queue_job_created_at timestamptz;

create or replace function public.video_tasks_copy_queue_keys() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  select coalesce(j.owner_id, '00000000-0000-0000-0000-000000000000'::uuid),
         case j.priority when 'high' then 0 when 'low' then 2 else 1 end,
         j.created_at
    into new.queue_tenant, new.queue_priority, new.queue_job_created_at
    from public.video_jobs j
   where j.id = new.job_id;
  return new;
end;
$$;

drop trigger if exists video_tasks_queue_keys on public.video_tasks;
create trigger video_tasks_queue_keys before insert on public.video_tasks
  for each row execute function public.video_tasks_copy_queue_keys();

update public.video_tasks t
   set queue_tenant = coalesce(j.owner_id, '00000000-0000-0000-0000-000000000000'::uuid),
       queue_priority = case j.priority when 'high' then 0 when 'low' then 2 else 1 end,
       queue_job_created_at = j.created_at
  from public.video_jobs j
 where j.id = t.job_id and t.queue_tenant is null;

create index if not exists video_tasks_start_queue_idx
  on public.video_tasks (queue_tenant, queue_priority, queue_job_created_at, job_id, position)
  where status = 'pending';

-- The job view's estimates use the median duration of each kind's recent tasks (lib/jobs/queue.ts):
-- the newest completed ones of a kind, found without reading the finished backlog.
create index if not exists video_tasks_recent_completed_idx
  on public.video_tasks (kind, completed_at desc)
  where status = 'completed';

-- Every pending start waiting for room, with its place in the fair order: `round` is the tenant's
-- turn (its tasks in flight, plus this task's rank among the tenant's waiting ones); ties go to
-- the older job. Order by (round, queue_job_created_at, job_id, position) to get the claim order.
-- p_per_tenant keeps only each tenant's first rows (null: all): a claim of n slots needs no more
-- than n of any tenant. The tenants are found by skipping through the index (one probe each)
-- and each tenant's rows read in its order from the same index, so a claim reads tenants × n
-- index entries, not the whole backlog.
create or replace function public.video_start_queue(p_now timestamptz, p_start_kinds text[], p_per_tenant bigint)
returns table (task_ctid tid, task_id uuid, job_id uuid, round bigint, queue_job_created_at timestamptz, "position" integer)
language sql
stable
set search_path = ''
as $$
  with recursive tenants as (
    (select t.queue_tenant from public.video_tasks t
      where t.status = 'pending' order by t.queue_tenant limit 1)
    union all
    select (select t.queue_tenant from public.video_tasks t
             where t.status = 'pending' and t.queue_tenant > r.queue_tenant
             order by t.queue_tenant limit 1)
      from tenants r where r.queue_tenant is not null),
  load as (
    select l.queue_tenant, pg_catalog.sum(l.n) as n
      from (select f.queue_tenant, 1 as n
              from public.video_tasks f
             where f.kind = any (p_start_kinds) and f.status = 'processing'
            union all
            select f.queue_tenant, 1 as n
              from public.video_tasks f
             where f.kind = any (p_start_kinds) and f.status = 'pending' and f.locked_until >= p_now) l
     group by l.queue_tenant)
  select w.ctid, w.id, w.job_id, coalesce(l.n, 0)::bigint + w.turn, w.queue_job_created_at, w.position
    from tenants r
    left join load l on l.queue_tenant = r.queue_tenant
    -- The window runs over the index order and the limit stops it: no sort, no more rows read.
    cross join lateral (
      select t.ctid, t.id, t.job_id, t.queue_job_created_at, t.position,
             pg_catalog.row_number() over (order by t.queue_priority, t.queue_job_created_at, t.job_id, t.position) as turn
        from public.video_tasks t
       where t.status = 'pending'
         and t.queue_tenant = r.queue_tenant
         and t.kind = any (p_start_kinds)
         and t.next_check_at <= p_now
         and (t.locked_until is null or t.locked_until < p_now)
       order by t.queue_priority, t.queue_job_created_at, t.job_id, t.position
       limit p_per_tenant) w
   where r.queue_tenant is not null
$$;

-- As before (20261123000700_claim_functions.sql): the room is counted and claimed under one
-- advisory lock, and rows are locked and leased in one statement, found again by ctid. The fair
-- order is computed without locks (window functions cannot lock), so the locking step checks
-- again that each chosen row is still a pending start nobody leased; a row that changed is
-- missed this time, never claimed twice.
create or replace function public.claim_startable_video_tasks(
  p_now timestamptz,
  p_tick text,
  p_lease_seconds double precision,
  p_limit integer,
  p_start_kinds text[],
  p_max_in_flight integer
)
returns table (
  id uuid, job_id uuid, "position" integer, kind text, status text, input jsonb,
  provider text, operation_name text, attempts integer, polls integer, locked_by text
)
language plpgsql
set search_path = ''
as $$
declare
  v_room integer;
begin
  if p_limit <= 0 or coalesce(pg_catalog.cardinality(p_start_kinds), 0) = 0 then
    return;
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('video_tasks.in_flight'));
  select least(p_limit, p_max_in_flight - count(*)::integer) into v_room
    from public.video_tasks f
   where f.kind = any (p_start_kinds)
     and (f.status = 'processing' or (f.status = 'pending' and f.locked_until >= p_now));
  if v_room <= 0 then
    return;
  end if;
  return query
  with chosen as (
    select q.task_ctid from public.video_start_queue(p_now, p_start_kinds, v_room) q
     order by q.round, q.queue_job_created_at, q.job_id, q.position
     limit v_room),
  due as (
    select d.ctid from public.video_tasks d
     where d.ctid = any (array(select c.task_ctid from chosen c))
       and d.status = 'pending'
       and d.kind = any (p_start_kinds)
       and (d.locked_until is null or d.locked_until < p_now)
     for update skip locked)
  update public.video_tasks t
     set locked_until = p_now + pg_catalog.make_interval(secs => p_lease_seconds), locked_by = p_tick
    from due
   where t.ctid = due.ctid
  returning t.id, t.job_id, t.position, t.kind, t.status, t.input,
            t.provider, t.operation_name, t.attempts, t.polls, t.locked_by;
end;
$$;

revoke execute on function public.video_start_queue(timestamptz, text[], bigint) from public, anon, authenticated;
revoke execute on function public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer) from public, anon, authenticated;
revoke execute on function public.video_tasks_copy_queue_keys() from public, anon, authenticated;
grant execute on function public.video_start_queue(timestamptz, text[], bigint) to service_role;
grant execute on function public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer) to service_role;

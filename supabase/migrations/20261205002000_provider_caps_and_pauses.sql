-- Why: jobs may now run on more than one provider (Veo, Luma, the stand-in), chosen per job. Each
-- paid task carries its provider from planning on (video_tasks.provider, written when the job is
-- created, moved by a retry that names another), so the startable claim can hold each provider
-- to a cap of its own within MAX_IN_FLIGHT (a Luma plan's concurrency, a Veo quota), and can skip
-- a provider that is paused: Luma refuses new generations while the account has no credits, and
-- failing every waiting scene for that would be wrong (the operator tops up; the scenes wait).
--
-- video_provider_pauses holds one row per paused provider, written by the step that met the
-- refusal; the claim treats a provider paused until a later time as having no room, and the first
-- start after the pause ends tries again (and pauses it again if the account is still empty).
-- The table is the service's own: RLS on with no policy for anon or authenticated, and not in
-- the Realtime publication.
--
-- The claim keeps the fair order (20261205001300): caps only drop rows of a full or paused
-- provider from it, so another provider's waiting scenes take the room in the same fair order.
-- With no caps and no pause it reads what it read before; with either, it reads each tenant's
-- whole waiting list, since the rows it may take can lie beyond the first few.
--
-- Idempotent: the table is created if missing, the new claim function replaces nothing (it has a
-- new argument), and the old one is dropped.

create table if not exists public.video_provider_pauses (
  provider text primary key check (provider in ('veo', 'luma', 'local')),
  paused_until timestamptz not null,
  reason text not null,
  paused_at timestamptz not null default now()
);

alter table public.video_provider_pauses enable row level security;
revoke all on public.video_provider_pauses from anon, authenticated;
grant all on public.video_provider_pauses to service_role;
drop policy if exists video_provider_pauses_service_role on public.video_provider_pauses;
create policy video_provider_pauses_service_role on public.video_provider_pauses
  for all to service_role using (true) with check (true);

drop function if exists public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer);

-- p_provider_caps: {"luma": 2, "veo": 10}, the caps set (providers absent from it share only
-- MAX_IN_FLIGHT; null: none, so a caller of the six-argument form claims as before). Rows without
-- a provider (planned before providers were chosen) are never capped.
create or replace function public.claim_startable_video_tasks(
  p_now timestamptz,
  p_tick text,
  p_lease_seconds double precision,
  p_limit integer,
  p_start_kinds text[],
  p_max_in_flight integer,
  p_provider_caps jsonb default null
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
  v_rooms jsonb;
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
  -- Each capped or paused provider's room: its cap (0 while paused) less what it has in flight.
  with caps as (
    select c.provider, pg_catalog.min(c.cap) as cap
      from (select e.key as provider, (e.value)::integer as cap
              from pg_catalog.jsonb_each_text(coalesce(p_provider_caps, '{}'::jsonb)) e
            union all
            select p.provider, 0 from public.video_provider_pauses p where p.paused_until > p_now) c
     group by c.provider),
  busy as (
    select f.provider, count(*)::integer as n
      from public.video_tasks f
     where f.kind = any (p_start_kinds)
       and f.provider in (select caps.provider from caps)
       and (f.status = 'processing' or (f.status = 'pending' and f.locked_until >= p_now))
     group by f.provider)
  select pg_catalog.jsonb_object_agg(caps.provider, greatest(0, caps.cap - coalesce(busy.n, 0)))
    into v_rooms
    from caps left join busy on busy.provider = caps.provider;

  return query
  with queue as (
    select q.task_ctid, q.round, q.queue_job_created_at, q.job_id, q.position, d.provider
      from public.video_start_queue(p_now, p_start_kinds, case when v_rooms is null then v_room end) q
      join public.video_tasks d on d.ctid = q.task_ctid),
  ranked as (
    select queue.*, pg_catalog.row_number() over (
             partition by queue.provider order by queue.round, queue.queue_job_created_at, queue.job_id, queue.position) as nth
      from queue),
  chosen as (
    select r.task_ctid from ranked r
     where v_rooms is null or r.provider is null or not (v_rooms ? r.provider)
        or r.nth <= (v_rooms ->> r.provider)::integer
     order by r.round, r.queue_job_created_at, r.job_id, r.position
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

revoke execute on function public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer, jsonb) from public, anon, authenticated;
grant execute on function public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer, jsonb) to service_role;

-- Why: the two claims run on every tick, and as statements sent as text PostgreSQL parsed and
-- planned each one anew (~0.5 ms of a 2.5 ms 100-row claim). Production reaches the database
-- through Supabase's transaction-mode pooler, which does not support named prepared statements,
-- so the client cannot cache those plans. PL/pgSQL does it on the server instead: each statement
-- in a function is prepared once per database connection and its plan reused, through any
-- pooler. claim_startable_video_tasks also turns four round trips (begin, advisory lock, claim,
-- commit) into one: the call is its own transaction and the advisory lock ends with it.
--
-- Each claim locks its rows and writes their lease in one statement, finding the locked rows again
-- by ctid rather than by primary key: a hundred probes of the primary key index, which grows with
-- every finished row, were the one part of the claim that did (~0.4 ms at 1M rows). A ctid is
-- stable while the row is locked, and the lock is held until the statement's transaction ends. If
-- a row was changed by a transaction that committed after the statement began, the lock moves to
-- the row's new version, which the update's snapshot cannot see: that row is then neither leased
-- nor returned, its lock ends with the call, and the next claim takes it. A miss, never a double
-- claim or a lease on a row nobody returned.
--
-- The result columns are the ones a step reads, in the order of taskRowSchema (lib/tasks/types.ts);
-- a test checks the two agree.
--
-- Only the service may call these. PostgREST exposes functions in `public` as RPC endpoints, so
-- execute is revoked from public, anon and authenticated. The search_path is empty and every name
-- is qualified, as Supabase's linter asks of functions (function_search_path_mutable).
-- Idempotent: create or replace, and grants that can be repeated.

-- Tasks whose provider operation already exists, or that need no provider, and are due a look.
-- Pending tasks of p_start_kinds would open a paid operation: claim_startable_video_tasks takes
-- those, under the in-flight cap.
create or replace function public.claim_due_video_tasks(
  p_now timestamptz,
  p_tick text,
  p_lease_seconds double precision,
  p_limit integer,
  p_start_kinds text[]
)
returns table (
  id uuid, job_id uuid, "position" integer, kind text, status text, input jsonb,
  provider text, operation_name text, attempts integer, polls integer, locked_by text
)
language plpgsql
set search_path = ''
as $$
begin
  return query
  with due as (
    select d.ctid from public.video_tasks d
     where d.status in ('pending', 'processing')
       and d.next_check_at <= p_now
       and (d.locked_until is null or d.locked_until < p_now)
       and (d.status = 'processing' or not (d.kind = any (p_start_kinds)))
     order by d.next_check_at
     limit p_limit
     for update skip locked)
  update public.video_tasks t
     set locked_until = p_now + pg_catalog.make_interval(secs => p_lease_seconds), locked_by = p_tick
    from due
   where t.ctid = due.ctid
  returning t.id, t.job_id, t.position, t.kind, t.status, t.input,
            t.provider, t.operation_name, t.attempts, t.polls, t.locked_by;
end;
$$;

-- Pending tasks that would open a paid provider operation, only as many as there is room for
-- under p_max_in_flight. The advisory lock makes counting the room and claiming it one step, so
-- two overlapping ticks cannot both fill the same room. Each statement of a volatile function
-- takes a fresh snapshot, so the count after the lock sees the leases of the tick that held it.
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
begin
  if p_limit <= 0 or coalesce(pg_catalog.cardinality(p_start_kinds), 0) = 0 then
    return;
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('video_tasks.in_flight'));
  return query
  with in_flight as (
    select count(*)::integer as n from public.video_tasks f
     where f.kind = any (p_start_kinds)
       and (f.status = 'processing' or (f.status = 'pending' and f.locked_until >= p_now))),
  due as (
    select d.ctid from public.video_tasks d
     where d.status = 'pending'
       and d.kind = any (p_start_kinds)
       and d.next_check_at <= p_now
       and (d.locked_until is null or d.locked_until < p_now)
     order by d.next_check_at, d.created_at, d.position
     limit greatest(0, least(p_limit, p_max_in_flight - (select n from in_flight)))
     for update skip locked)
  update public.video_tasks t
     set locked_until = p_now + pg_catalog.make_interval(secs => p_lease_seconds), locked_by = p_tick
    from due
   where t.ctid = due.ctid
  returning t.id, t.job_id, t.position, t.kind, t.status, t.input,
            t.provider, t.operation_name, t.attempts, t.polls, t.locked_by;
end;
$$;

revoke execute on function public.claim_due_video_tasks(timestamptz, text, double precision, integer, text[]) from public, anon, authenticated;
revoke execute on function public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer) from public, anon, authenticated;
grant execute on function public.claim_due_video_tasks(timestamptz, text, double precision, integer, text[]) to service_role;
grant execute on function public.claim_startable_video_tasks(timestamptz, text, double precision, integer, text[], integer) to service_role;

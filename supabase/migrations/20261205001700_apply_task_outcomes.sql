-- Why: recording step outcomes was five or six round trips per commit (begin, lock the jobs, write
-- the tasks, read the jobs' tasks, write the jobs, commit), and round trips, not the server's work,
-- bounded how fast a tick could record (BENCHMARKS.md, figure 2, claim + complete). These two
-- functions make a commit one round trip, as the claims already are (20261123000700): the call is
-- its own transaction, and its plans stay cached per connection through Supabase's transaction
-- pooler. One round trip also shortens how long a commit holds its jobs' row locks: only the
-- server's own work, never a client's network or event loop between statements.
--
-- sync_video_jobs derives jobs from their tasks and writes them: the rules of lib/jobs/derive.ts
-- (deriveJob, the reference in TypeScript, unit-tested beside it), held to it by
-- tests/derive-sql.test.ts, which compares the two over generated task sets. It locks the jobs in
-- id order (a no-op for a caller that already holds them), leaves canceled jobs alone, wakes tasks
-- whose awaited tasks have all ended, writes a job row only when something a dashboard shows
-- changes (its own columns, or with p_task_changed a task's status or output), writes the
-- escalation only when its current job's shown columns change, and enqueues a job's webhook
-- exactly once, in the transaction that moves the job into a final state.
--
-- apply_video_task_outcomes writes a batch of outcomes: jobs locked first, in id order (as cancel,
-- releaseLeases and the deadlines do, so none of them deadlock), then each task written under its
-- lease (locked_by = p_tick, still active: a tick that lost its lease, or a canceled task, changes
-- nothing), then the jobs of tasks whose status or output moved are synced. What each task's
-- columns become is decided in TypeScript (lib/tasks/task-patch.ts: backoff, attempts, messages);
-- the function only sets the columns an item names. Safe to repeat: a repeated call finds the
-- leases already cleared and writes nothing.
--
-- Only the service may call these (PostgREST exposes public functions as RPC): execute is revoked
-- from public, anon and authenticated. Empty search_path, every name qualified.
-- Idempotent: create or replace, and grants that can be repeated.

create or replace function public.sync_video_jobs(p_job_ids uuid[], p_now timestamptz, p_task_changed boolean)
returns table (job_id uuid, status text)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
begin
  -- Locked before anything is read, so two commits finishing a job's last two tasks at once
  -- cannot both miss that it ended.
  perform 1 from public.video_jobs l where l.id = any (p_job_ids) order by l.id for update;

  return query
  with locked as (
    select j.id, j.kind, j.status as before, j.escalation_id,
           case j.kind when 'image' then 'imagen_still' when 'variations' then 'variation' else 'veo_scene' end as unit_kind
      from public.video_jobs j
     where j.id = any (p_job_ids)
  ),
  summary as (
    select l.id, l.kind, l.before, l.escalation_id,
           coalesce(a.active, false) as active,
           coalesce(a.touched, false) as touched,
           coalesce(a.unit_done, false) as unit_done,
           a.error, a.may_wake, a.cut, a.unit, a.still
      from locked l
      left join lateral (
        select bool_or(t.status in ('pending', 'processing')) as active,
               bool_or(t.status <> 'pending') as touched,
               bool_or(t.kind = l.unit_kind and t.status = 'completed') as unit_done,
               bool_or(t.status = 'pending' and t.input ? 'waitsFor') as may_wake,
               string_agg(
                 case t.kind
                   when 'render' then 'Final cut'
                   when 'imagen_still' then case when t.input ->> 'purpose' = 'keyframe' then 'Keyframe ' else 'Still ' end || (t.unit + 1)
                   when 'variation' then 'Variation ' || (t.unit + 1)
                   else 'Scene ' || (t.unit + 1)
                 end || ': ' || coalesce(t.error, 'failed'),
                 '; ' order by t.position) filter (where t.status = 'failed') as error,
               (array_agg(t.output order by t.position) filter (where t.kind = 'render' and t.stored))[1] as cut,
               (array_agg(t.output order by t.position) filter (where t.kind = l.unit_kind and t.stored))[1] as unit,
               (array_agg(t.output order by t.position) filter (where t.kind = 'imagen_still' and t.stored))[1] as still
          from (
            select x.*, coalesce((x.input ->> 'scene')::integer, (x.input ->> 'index')::integer, x.position) as unit,
                   x.status = 'completed' and coalesce(x.output ->> 'objectPath', '') <> '' as stored
              from public.video_tasks x
             where x.job_id = l.id
          ) t
      ) a on true
     where l.before <> 'canceled'
  ),
  derived as (
    select s.id, s.before, s.escalation_id, s.error,
           case when s.active then case when s.touched then 'processing' else 'pending' end
                when s.unit_done then 'completed' else 'failed' end as status,
           not s.active as final,
           s.active and coalesce(s.may_wake, false) as may_wake,
           -- What an ended job delivers: an image job its first still as the poster; a video job
           -- its final cut, or without one its first stored scene; variations the first one.
           case when s.active then null when s.kind = 'image' then null
                else coalesce(case when s.kind = 'video' then s.cut end, s.unit) end as video,
           case when s.active or s.kind <> 'image' then null else s.still end as still
      from summary s
  ),
  v as (
    select d.id, d.before, d.escalation_id, d.status, d.final, d.error, d.may_wake,
           d.video ->> 'objectPath' as video_path,
           d.video ->> 'url' as video_url,
           coalesce(d.video ->> 'posterPath', d.still ->> 'objectPath') as poster_path,
           coalesce(d.video ->> 'posterUrl', d.still ->> 'url') as poster_url
      from derived d
  ),
  wake as (
    -- A task waiting for others (a render for its scenes) is due the moment the last of them
    -- ended, not at its next backoff; one backing off after an error of its own keeps it.
    update public.video_tasks w set next_check_at = p_now
     where w.job_id in (select v.id from v where v.may_wake)
       and w.status = 'pending' and w.attempts = 0 and w.next_check_at > p_now and w.input ? 'waitsFor'
       and not exists (
         select 1 from public.video_tasks d
          where d.job_id = w.job_id and d.status in ('pending', 'processing')
            and d.position in (select (pg_catalog.jsonb_array_elements_text(w.input -> 'waitsFor'))::integer))
  ),
  job as (
    update public.video_jobs j
       set status = v.status,
           started_at = case when v.status <> 'pending' then coalesce(j.started_at, p_now) else j.started_at end,
           completed_at = case when v.final then coalesce(j.completed_at, p_now) else null end,
           error = v.error,
           video_path = v.video_path,
           video_url = v.video_url,
           poster_path = v.poster_path,
           poster_url = v.poster_url
      from v
     where j.id = v.id
       and (p_task_changed
            or (j.status, j.error, j.video_path, j.video_url, j.poster_path, j.poster_url)
               is distinct from (v.status, v.error, v.video_path, v.video_url, v.poster_path, v.poster_url)
            or (v.status <> 'pending' and j.started_at is null)
            or (v.final and j.completed_at is null)
            or (not v.final and j.completed_at is not null))
  ),
  escalation as (
    -- Only the escalation's current job speaks for it: an older job ending late stays quiet.
    update public.escalations e set video_generation_status = v.status, video_url = v.video_url, poster_url = v.poster_url
      from v
     where e.id = v.escalation_id and e.video_job_id = v.id
       and (e.video_generation_status, e.video_url, e.poster_url) is distinct from (v.status, v.video_url, v.poster_url)
  ),
  hook as (
    insert into public.webhook_deliveries (job_id, url, event, next_attempt_at)
    select j.id, j.webhook_url, 'job.' || v.status, p_now
      from v join public.video_jobs j on j.id = v.id
     where v.final and v.before not in ('completed', 'failed', 'canceled') and j.webhook_url is not null
  )
  select v.id, v.status from v
  union all
  select l.id, l.before from locked l where l.before = 'canceled';
end;
$$;

create or replace function public.apply_video_task_outcomes(p_tick text, p_now timestamptz, p_items jsonb)
returns table (task_id uuid)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_written uuid[];
  v_moved uuid[];
begin
  perform 1 from public.video_jobs l
   where l.id in (select (i ->> 'job_id')::uuid from pg_catalog.jsonb_array_elements(p_items) i)
   order by l.id for update;

  with item as (
    select (i ->> 'id')::uuid as id, i -> 'set' as s, coalesce((i ->> 'moves')::boolean, true) as moves
      from pg_catalog.jsonb_array_elements(p_items) i
  ),
  written as (
    update public.video_tasks t
       set status = case when p.s ? 'status' then p.s ->> 'status' else t.status end,
           provider = case when p.s ? 'provider' then p.s ->> 'provider' else t.provider end,
           operation_name = case when p.s ? 'operation_name' then p.s ->> 'operation_name' else t.operation_name end,
           attempts = case when p.s ? 'attempts' then (p.s ->> 'attempts')::integer else t.attempts end,
           -- 'polls' sets the count; 'poll' adds one to it, whatever it is now.
           polls = case when p.s ? 'polls' then (p.s ->> 'polls')::integer
                        when coalesce((p.s ->> 'poll')::boolean, false) then t.polls + 1 else t.polls end,
           next_check_at = case when p.s ? 'next_check_at' then (p.s ->> 'next_check_at')::timestamptz else t.next_check_at end,
           deadline_at = case when p.s ? 'deadline_at' then (p.s ->> 'deadline_at')::timestamptz else t.deadline_at end,
           output = case when p.s ? 'output' then nullif(p.s -> 'output', 'null'::jsonb) else t.output end,
           error = case when p.s ? 'error' then p.s ->> 'error' else t.error end,
           error_code = case when p.s ? 'error_code' then p.s ->> 'error_code' else t.error_code end,
           completed_at = case when p.s ? 'completed_at' then (p.s ->> 'completed_at')::timestamptz else t.completed_at end,
           -- When the task first began: kept once set.
           started_at = coalesce(t.started_at, (p.s ->> 'started_at')::timestamptz),
           locked_until = null, locked_by = null, transfer_started = false
      from item p
     where t.id = p.id and t.locked_by = p_tick and t.status in ('pending', 'processing')
    returning t.id, t.job_id, p.moves
  )
  select pg_catalog.array_agg(w.id), pg_catalog.array_agg(distinct w.job_id) filter (where w.moves)
    into v_written, v_moved
    from written w;

  if v_moved is not null then
    perform 1 from public.sync_video_jobs(v_moved, p_now, true);
  end if;
  return query select pg_catalog.unnest(coalesce(v_written, '{}'::uuid[]));
end;
$$;

revoke execute on function public.sync_video_jobs(uuid[], timestamptz, boolean) from public, anon, authenticated;
revoke execute on function public.apply_video_task_outcomes(text, timestamptz, jsonb) from public, anon, authenticated;
grant execute on function public.sync_video_jobs(uuid[], timestamptz, boolean) to service_role;
grant execute on function public.apply_video_task_outcomes(text, timestamptz, jsonb) to service_role;

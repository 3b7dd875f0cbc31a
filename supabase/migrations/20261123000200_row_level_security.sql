-- Why: Supabase exposes every table in `public` through its REST and Realtime APIs to anyone
-- holding the anon key or a user's access token. Without row level security a professor's
-- dashboard could read every other professor's questions, answers and videos, or rewrite a job's
-- state. With it: a signed-in user (`authenticated`) may only SELECT their own rows; `anon` gets
-- nothing; all writes go through this service (the table owner, or `service_role`).
--
-- The same file also applies to a plain PostgreSQL (the embedded one of the tests and `npm start`),
-- so it creates what Supabase already has (the roles, `auth.uid()`) only where missing, and never
-- replaces Supabase's own. Every statement is idempotent: re-running the file changes nothing.

-- Roles are cluster-wide: several databases (parallel test files) may race to create them, so a
-- lost race (duplicate_object, or unique_violation from pg_authid) counts as "already there".
do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin noinherit', r);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end $$;

-- Supabase's auth.uid(): the `sub` of the request's JWT, as PostgREST and Realtime set it.
-- On Supabase it exists and belongs to supabase_auth_admin, so it is left alone.
do $$
begin
  if not exists (select 1 from pg_namespace where nspname = 'auth') then
    create schema auth;
    grant usage on schema auth to anon, authenticated, service_role;
  end if;
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'auth' and p.proname = 'uid'
  ) then
    create function auth.uid() returns uuid
      language sql stable
      as $fn$
        select coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $fn$;
    grant execute on function auth.uid() to anon, authenticated, service_role;
  end if;
end $$;

alter table public.escalations enable row level security;
alter table public.video_jobs enable row level security;
alter table public.video_tasks enable row level security;

-- Supabase's default privileges grant ALL on new tables to anon and authenticated; take that back
-- and give users read access only. RLS then narrows the read to their own rows.
grant usage on schema public to anon, authenticated, service_role;
revoke all on public.escalations, public.video_jobs, public.video_tasks from anon, authenticated;
grant select on public.escalations, public.video_jobs, public.video_tasks to authenticated;
grant all on public.escalations, public.video_jobs, public.video_tasks to service_role;

-- `(select auth.uid())` is evaluated once per statement rather than once per row.
drop policy if exists escalations_select_own on public.escalations;
create policy escalations_select_own on public.escalations
  for select to authenticated
  using (professor_id = (select auth.uid()));

drop policy if exists video_jobs_select_own on public.video_jobs;
create policy video_jobs_select_own on public.video_jobs
  for select to authenticated
  using (owner_id = (select auth.uid()));

drop policy if exists video_tasks_select_own on public.video_tasks;
create policy video_tasks_select_own on public.video_tasks
  for select to authenticated
  using (exists (
    select 1 from public.video_jobs j
     where j.id = video_tasks.job_id and j.owner_id = (select auth.uid())
  ));

-- On Supabase service_role has BYPASSRLS; a plain PostgreSQL role gets the same reach through
-- these policies (creating a BYPASSRLS role would need a superuser).
drop policy if exists escalations_service_role on public.escalations;
create policy escalations_service_role on public.escalations
  for all to service_role using (true) with check (true);

drop policy if exists video_jobs_service_role on public.video_jobs;
create policy video_jobs_service_role on public.video_jobs
  for all to service_role using (true) with check (true);

drop policy if exists video_tasks_service_role on public.video_tasks;
create policy video_tasks_service_role on public.video_tasks
  for all to service_role using (true) with check (true);

-- Dashboards watch job progress through Supabase Realtime, which streams only tables in the
-- supabase_realtime publication (and applies the policies above to each subscriber). A plain
-- PostgreSQL has no such publication, and a FOR ALL TABLES one already lists every table.
do $$
declare
  t text;
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    foreach t in array array['escalations', 'video_jobs', 'video_tasks'] loop
      if not exists (
        select 1 from pg_publication_tables
         where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t
      ) then
        execute format('alter publication supabase_realtime add table public.%I', t);
      end if;
    end loop;
  end if;
end $$;

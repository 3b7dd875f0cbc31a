-- Why: the URLs written on jobs and escalations are signed and expire (SIGNED_URL_TTL_SECONDS); the
-- API signs fresh ones on every read, but a dashboard that reads rows directly (supabase-js with a
-- professor's session, or Realtime) needs to sign its own. Supabase Storage signs an object for a
-- user only when a select policy on storage.objects lets that user read it. Every object this
-- service stores lives under `<jobId>/`, so a professor may read the files of their own jobs and
-- nothing else; writing stays with the service role.
--
-- Only the service's bucket (the default SUPABASE_STORAGE_BUCKET; change the name here if yours
-- differs). The job id is cast only when the first path segment has the shape of a uuid (a CASE
-- decides it first), so odd names cannot make the policy fail, and the lookup uses the primary key.
-- A plain PostgreSQL has no storage schema: there this does nothing. Where the role running the
-- migrations may not add policies to storage.objects (some hosted projects), it says so and goes
-- on: the rest of the schema does not depend on it, and the policy can be added in the dashboard.
-- Idempotent: the policy is dropped and created again.

do $$
begin
  if exists (
    select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'storage' and c.relname = 'objects'
  ) then
    drop policy if exists "explainer files: owners read their jobs' files" on storage.objects;
    create policy "explainer files: owners read their jobs' files" on storage.objects
      for select to authenticated
      using (
        bucket_id = 'explainer-videos'
        and exists (
          select 1 from public.video_jobs j
           where j.owner_id = (select auth.uid())
             and j.id = case
                          when split_part(name, '/', 1) ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                          then split_part(name, '/', 1)::uuid
                        end));
  end if;
exception when insufficient_privilege then
  raise warning 'storage.objects: not allowed to add the read policy for professors (%); add it in the dashboard', sqlerrm;
end $$;

-- Realtime streams every write to a published table, whichever columns it touches, and Supabase
-- meters the messages. video_tasks is written by the engine's bookkeeping far more often than by
-- anything a dashboard shows: each claim and lease hand-back (locked_until, locked_by) and each
-- poll of a running operation (next_check_at, polls), every few seconds per running scene and per
-- subscriber. Everything a dashboard shows about a task (its status, output, error) also rewrites
-- its job (lib/jobs/sync.ts derives the job's status and progress from its tasks), while a poll
-- that changes nothing visible writes no job row. So video_jobs alone carries every visible
-- change: subscribers re-read the job (tasks included) on its event, and video_tasks leaves the
-- publication rather than being split into a published half and an unpublished schedule table,
-- which would add a join to the claim, the engine's hottest statement.
-- A publication FOR ALL TABLES cannot drop one table; such a project keeps the task events.
do $$
begin
  if exists (
    select 1 from pg_publication_tables
     where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'video_tasks'
  ) and not exists (select 1 from pg_publication where pubname = 'supabase_realtime' and puballtables) then
    alter publication supabase_realtime drop table public.video_tasks;
  end if;
end $$;

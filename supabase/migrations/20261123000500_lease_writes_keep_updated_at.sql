-- Why: a task's updated_at should say when its state last changed, not when a tick last took or
-- gave back its lease. Claims and lease releases write only locked_until and locked_by, and they
-- are the hottest writes in the system (every tick, up to TICK_BATCH_SIZE rows at a time); firing
-- the plpgsql trigger on each of those rows was ~0.1 ms of every 100-row claim for a timestamp
-- nobody reads as "leased at". The trigger now fires only for an UPDATE that sets one of the
-- state columns below. A new state column on video_tasks belongs in this list.
-- Idempotent: the trigger is dropped and re-created.

drop trigger if exists video_tasks_touch on public.video_tasks;
create trigger video_tasks_touch
  before update of job_id, position, kind, status, input, provider, operation_name, attempts, polls,
    next_check_at, output, error_code, error, deadline_at, started_at, completed_at
  on public.video_tasks
  for each row execute function public.touch_updated_at();

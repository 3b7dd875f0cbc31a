-- Why: a provider can end a generation in failure for a reason on its own side that a new
-- generation may get past: Luma's documented "Failed to read user input frames" (its servers could
-- not fetch the keyframe from our signed Storage link), "Prompt processing failed", "Job failed".
-- Luma refunds a failed generation's credits, so starting a new one costs nothing more, and
-- failing the scene would make a professor press Retry for what the service can do itself.
--
-- A started generation resets `attempts` (they count transient errors in a row, per operation),
-- so the new generations a task got need a count of their own, bounded by MAX_PROVIDER_RESTARTS:
-- a provider that fails the same scene every time still ends it. A retry from the dashboard
-- (lib/jobs/task-writes.ts requeueFailed) starts the count again.
--
-- Idempotent: the column is added if missing. Adding a column with a constant default rewrites
-- nothing.

alter table public.video_tasks add column if not exists restarts integer not null default 0;

alter table public.video_tasks drop constraint if exists video_tasks_restarts_check;
alter table public.video_tasks add constraint video_tasks_restarts_check check (restarts >= 0);

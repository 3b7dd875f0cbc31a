-- Why: claims and lease releases, the poller's hottest writes, change only locked_until and
-- locked_by, which no index covers. With free room left on each page PostgreSQL can make those
-- heap-only (HOT) updates: the new row version stays on its page and none of video_tasks' four
-- indexes gets a new entry. Pages written before this keep their fill until rewritten.
-- Idempotent: setting a storage parameter again is a no-op.
alter table public.video_tasks set (fillfactor = 70);

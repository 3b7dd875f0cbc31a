-- Why: a Veo scene whose video a tick uploaded, but which that tick never recorded (it was killed
-- or ran out of time in between), should be finished from the stored object the next time round,
-- not fetched and uploaded again, and not failed once Veo has dropped its copy (after two days).
-- The step sets this mark as the transfer begins, in the statement that already checks the job is
-- still active, and every recorded outcome clears it: a task that comes round again still marked
-- is one whose transfer was cut off, and only that task pays for a look in storage.
-- Idempotent: if not exists. A constant default adds the column without rewriting the table.

alter table public.video_tasks add column if not exists transfer_started boolean not null default false;

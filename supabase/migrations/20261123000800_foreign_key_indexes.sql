-- Why: deleting a job (or the escalation that cascades to it) makes PostgreSQL find the rows that
-- point at it: escalations.video_job_id is set to null and idempotency_keys rows are deleted. With
-- no index leading with those columns each delete scans both tables whole, once per job, holding
-- its locks meanwhile. Supabase's database linter flags the same (unindexed_foreign_keys).
-- Idempotent: if not exists.

create index if not exists escalations_video_job_idx on public.escalations (video_job_id);

create index if not exists idempotency_keys_job_idx on public.idempotency_keys (job_id);

-- Why: POST /api/video/generate/batch honours one Idempotency-Key for the whole batch, so a
-- replay must find every job the batch created, not one. The key's row keeps their ids in
-- order; job_id keeps the first, so a key that is still being processed reads as before.
-- Idempotent: the column is added if missing.

alter table public.idempotency_keys add column if not exists job_ids uuid[];

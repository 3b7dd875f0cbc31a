-- Why: a job is now more than one Veo clip per scene. Stills (Imagen), the stitched final cut
-- (ffmpeg) and variations of a finished video are task kinds of their own, and a job may be
-- image-only or a set of variations. The kind CHECKs widen to match lib/jobs/states.ts; the
-- final cut's poster gets a home on the job and the escalation; the storyboard records whether
-- a model wrote it or the deterministic splitter (and why it fell back).
-- Every statement is idempotent: constraints are dropped and re-added, columns added if missing.

alter table public.video_jobs drop constraint if exists video_jobs_kind_check;
alter table public.video_jobs
  add constraint video_jobs_kind_check check (kind in ('video', 'image', 'variations'));

alter table public.video_tasks drop constraint if exists video_tasks_kind_check;
alter table public.video_tasks
  add constraint video_tasks_kind_check check (kind in ('veo_scene', 'imagen_still', 'render', 'variation'));

alter table public.video_jobs add column if not exists poster_path text;
alter table public.video_jobs add column if not exists poster_url text;
alter table public.video_jobs add column if not exists storyboard_source text not null default 'splitter';
alter table public.video_jobs add column if not exists storyboard_note text;

alter table public.video_jobs drop constraint if exists video_jobs_storyboard_source_check;
alter table public.video_jobs
  add constraint video_jobs_storyboard_source_check check (storyboard_source in ('splitter', 'model'));

alter table public.escalations add column if not exists poster_url text;

-- Why: "which scene, still or variation does this task work on" was read out of each task's JSON
-- input wherever it was needed (the job list dug `input->>'scene'` and `input->>'index'` out in
-- SQL on every read; the job view and the failure summary each had their own copy in TypeScript).
-- Each task kind now says once how its unit is read from its input (lib/kinds/, `unitOf`), the
-- planner writes the answer here when it inserts the task (lib/jobs/create.ts), and SQL reads
-- this column. Null when a task works on no one unit (the final cut): readers use its position.
--
-- Existing rows are backfilled with what their kind's descriptor reads: a scene or a still its
-- `scene`, a variation its `index`, a final cut nothing. A scene written before `scene` was in
-- its input stays null and reads as its position, as it did. Inputs never change a task's unit
-- afterwards (a retry only moves a scene to another provider or clip length), so the column
-- cannot drift from them.
--
-- Every statement is idempotent: the column is added if missing, the backfill touches only rows
-- still without a unit, and the CHECK is dropped and re-added.

alter table public.video_tasks add column if not exists unit integer;

update public.video_tasks
   set unit = (input->>'scene')::int
 where unit is null and kind in ('veo_scene', 'imagen_still') and jsonb_typeof(input->'scene') = 'number';

update public.video_tasks
   set unit = (input->>'index')::int
 where unit is null and kind = 'variation' and jsonb_typeof(input->'index') = 'number';

alter table public.video_tasks drop constraint if exists video_tasks_unit_check;
alter table public.video_tasks add constraint video_tasks_unit_check check (unit is null or unit >= 0);

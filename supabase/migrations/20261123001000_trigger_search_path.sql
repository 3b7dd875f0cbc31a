-- Why: Supabase's database linter (function_search_path_mutable) asks every function in `public`
-- to fix its search_path, so a role that changes its own search_path cannot make the function
-- resolve a name to an object of its choosing. touch_updated_at only calls now(), which lives in
-- pg_catalog (always searched first), so an empty search_path changes nothing it does.
-- Idempotent: setting the same option again is a no-op.

alter function public.touch_updated_at() set search_path = '';

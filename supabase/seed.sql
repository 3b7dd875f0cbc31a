-- Seed data for `supabase db reset`: one escalation without a video yet, so a dashboard has a row
-- to show. It belongs to the demo professor (DEMO_PROFESSOR_ID, whom `npm run token` acts as), as
-- row level security shows a professor their own rows only.
insert into public.escalations (id, professor_id, question, response)
values (
  '00000000-0000-4000-8000-000000000001',
  '00000000-0000-4000-8000-00000000d3a0',
  'Why does the moon show phases?',
  'The moon does not make its own light. We see the half lit by the sun, and as the moon orbits the earth we see more or less of that lit half.'
)
on conflict (id) do nothing;

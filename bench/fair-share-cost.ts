/**
 * Fair-share claim cost: the time of `claim_startable_video_tasks` (round-robin across
 * professors, migration 20261205001300) taking MAX_IN_FLIGHT (20) slots out of 10k waiting scenes
 * across 100 professors (25 jobs × 4 scenes each), beside the claim it replaced (oldest first,
 * migration 20261123000700, installed here under another name) on the same rows, the two timed
 * interleaved (5 warm-ups, then 30 runs each; median and p95).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from '../lib/db/pool.js';
import { median, percentile, type Server } from './support.js';

const PROFESSORS = 100;
const JOBS_PER_PROFESSOR = 25;
const SCENES_PER_JOB = 4;
const CAP = 20;
const RUNS = 30;
const WARMUPS = 5;

export interface FairShareCostResult {
  waiting: number;
  professors: number;
  claimed: number;
  fair: { medianMs: number; p95Ms: number };
  fifo: { medianMs: number; p95Ms: number };
}

/** Today's claim before fair share, renamed, so both can run on the same rows. */
export async function installFifoClaim(db: Db): Promise<void> {
  const sql = await readFile(fileURLToPath(new URL('../supabase/migrations/20261123000700_claim_functions.sql', import.meta.url)), 'utf8');
  const start = sql.indexOf('create or replace function public.claim_startable_video_tasks(');
  const end = sql.indexOf('$$;', sql.indexOf('$$', start) + 2) + 3;
  await db.query(sql.slice(start, end).replace('public.claim_startable_video_tasks(', 'public.fifo_claim_startable_video_tasks('));
}

/** `professors` owners, each with `jobs` jobs of `scenes` pending Veo scenes, oldest first by index. */
export async function seedProfessors(db: Db, professors: number, jobs: number, scenes: number): Promise<void> {
  await db.query(
    `with p as (select gen_random_uuid() as owner, g as n from generate_series(1, $1) g),
          e as (insert into escalations (professor_id, response)
                select p.owner, 'bench ' || p.n || '-' || j from p, generate_series(1, $2) j returning id, professor_id),
          made as (insert into video_jobs (escalation_id, owner_id, request, deadline_at, created_at)
                   select e.id, e.professor_id, '{}'::jsonb, now() + interval '1 day', now() - make_interval(secs => random() * 3600)
                     from e returning id)
     insert into video_tasks (job_id, position, kind, input, next_check_at)
     select made.id, s, 'veo_scene', '{"prompt":"bench","text":"bench","aspectRatio":"16:9","durationSeconds":4}'::jsonb, now() - interval '1 second'
       from made, generate_series(0, $3 - 1) s`,
    [professors, jobs, scenes],
  );
  await db.query('vacuum analyze video_tasks');
  await db.query('vacuum analyze video_jobs');
}

export async function fairShareCost(server: Server): Promise<FairShareCostResult> {
  const { db } = await server.database('bench_fair_share_cost');
  await installFifoClaim(db);
  await seedProfessors(db, PROFESSORS, JOBS_PER_PROFESSOR, SCENES_PER_JOB);
  const args = (tick: string) => [new Date(Date.now() + 1000), tick, 60, 100, ['veo_scene'], CAP];
  const systems = [
    { fn: 'claim_startable_video_tasks', tick: 'fair', times: [] as number[] },
    { fn: 'fifo_claim_startable_video_tasks', tick: 'fifo', times: [] as number[] },
  ];
  for (let i = 0; i < WARMUPS + RUNS; i++) {
    for (const s of systems) {
      const t = performance.now();
      const { rows } = await db.query(`select * from ${s.fn}($1, $2, $3, $4, $5, $6)`, args(s.tick));
      const ms = performance.now() - t;
      if (rows.length !== CAP) throw new Error(`${s.fn} claimed ${rows.length}, expected ${CAP}`);
      if (i >= WARMUPS) s.times.push(ms);
      await db.query(`update video_tasks set locked_until = null, locked_by = null where locked_by = $1`, [s.tick]);
    }
  }
  const stats = (t: number[]) => ({ medianMs: median(t), p95Ms: percentile(t, 95) });
  return {
    waiting: PROFESSORS * JOBS_PER_PROFESSOR * SCENES_PER_JOB,
    professors: PROFESSORS,
    claimed: CAP,
    fair: stats(systems[0]!.times),
    fifo: stats(systems[1]!.times),
  };
}

/**
 * A queue simulated on simulated time against the real database and the real claim: jobs arrive,
 * a claim runs whenever something arrives or an operation ends (as a lingering tick or a start
 * at once would), and each claimed scene "runs" for its given duration. Nothing sleeps: the
 * claim takes its `now` as a parameter, so minutes of queueing take a few hundred queries.
 */
import type { Db } from '../lib/db/pool.js';

export interface SimJob {
  /** Owner (null: the service role). */
  owner: string | null;
  /** Seconds after the start when the job is created. */
  at: number;
  /** Each scene's operation length in seconds. */
  durations: number[];
}

export interface SimResult {
  jobIds: string[];
  /** Per job, its scenes' start and end (seconds). */
  starts: number[][];
  ends: number[][];
}

export const T0 = Date.parse('2026-12-05T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

/** `claimFunction` is a function with claim_startable_video_tasks's signature (the real one, or the old order). */
export async function simulate(
  db: Db,
  jobs: SimJob[],
  options: { maxInFlight: number; claimFunction: string; onArrive?: (jobIndex: number, jobId: string, now: Date) => Promise<void> },
): Promise<SimResult> {
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[a]!.at - jobs[b]!.at);
  const jobIds: string[] = new Array(jobs.length);
  const indexOf = new Map<string, number>();
  const starts = jobs.map((j) => new Array<number>(j.durations.length).fill(NaN));
  const ends = jobs.map((j) => new Array<number>(j.durations.length).fill(NaN));
  const running: Array<{ taskId: string; job: number; position: number; end: number }> = [];
  let next = 0;
  let waiting = 0;
  let now = 0;
  while (next < order.length || running.length > 0 || waiting > 0) {
    const nextArrival = next < order.length ? jobs[order[next]!]!.at : Infinity;
    const nextEnd = running.length > 0 ? Math.min(...running.map((r) => r.end)) : Infinity;
    if (nextArrival === Infinity && nextEnd === Infinity) throw new Error(`${waiting} scenes wait with nothing running: the claim took none`);
    now = Math.min(nextArrival, nextEnd);
    for (const r of running.filter((x) => x.end <= now)) {
      await db.query(`update video_tasks set status = 'completed', completed_at = $2 where id = $1`, [r.taskId, at(r.end)]);
      ends[r.job]![r.position] = r.end;
      running.splice(running.indexOf(r), 1);
    }
    while (next < order.length && jobs[order[next]!]!.at <= now) {
      const i = order[next++]!;
      const job = jobs[i]!;
      const { rows } = await db.query<{ id: string }>(
        `with e as (insert into escalations (professor_id, response) values ($1, 'sim') returning id)
         insert into video_jobs (escalation_id, owner_id, request, deadline_at, created_at) select id, $1, '{}'::jsonb, $2::timestamptz + interval '1 day', $2 from e returning id`,
        [job.owner, at(job.at)],
      );
      jobIds[i] = rows[0]!.id;
      indexOf.set(rows[0]!.id, i);
      await db.query(
        `insert into video_tasks (job_id, position, kind, input, next_check_at, created_at)
         select $1, p, 'veo_scene', '{}'::jsonb, $2, $2 from generate_series(0, $3 - 1) p`,
        [jobIds[i], at(job.at), job.durations.length],
      );
      waiting += job.durations.length;
      await options.onArrive?.(i, jobIds[i]!, at(now));
    }
    const { rows: claimed } = await db.query<{ id: string; job_id: string; position: number }>(
      `select id, job_id, position from ${options.claimFunction}($1, 'sim', 60, 1000, array['veo_scene'], $2)`,
      [at(now), options.maxInFlight],
    );
    if (claimed.length > 0) {
      await db.query(`update video_tasks set status = 'processing', started_at = $2, operation_name = 'op-' || id, locked_until = null, locked_by = null where id = any($1)`, [claimed.map((c) => c.id), at(now)]);
    }
    for (const c of claimed) {
      const job = indexOf.get(c.job_id)!;
      starts[job]![c.position] = now;
      running.push({ taskId: c.id, job, position: c.position, end: now + jobs[job]!.durations[c.position]! });
      waiting--;
    }
  }
  return { jobIds, starts, ends };
}

/**
 * A poll that changes nothing visible leaves the job row alone: no `updated_at` trigger, no
 * Realtime event for its subscribers. Writes are counted by a trigger on video_jobs, so the count
 * is exact (the statistics views lag by up to a second). Real Postgres, real `@google/genai`
 * against the Veo wire double.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJob } from '../lib/jobs/view.js';
import { runTick } from '../lib/tick/run-tick.js';
import { testClock, type Clock } from './support/ticks.js';
import { seedJobs, startWired, type Wired } from './support/wired.js';

let w: Wired;
let clock: Clock;

beforeAll(async () => {
  w = await startWired('quiet-job-rows', { LEASE_SECONDS: '60', TICK_MAX_DURATION_SECONDS: '30', POLL_MIN_SECONDS: '5', POLL_MAX_SECONDS: '10' });
  await w.services.db.query(`
    create table if not exists test_job_writes (job_id uuid, status text, at timestamptz default clock_timestamp());
    create or replace function test_count_job_write() returns trigger language plpgsql as $$
    begin insert into test_job_writes (job_id, status) values (new.id, new.status); return new; end $$;
    drop trigger if exists test_count_job_write on video_jobs;
    create trigger test_count_job_write after update on video_jobs for each row execute function test_count_job_write();`);
});
afterAll(() => w.close());
beforeEach(async () => {
  w.veo.setBehavior({ outcome: 'video', pollsUntilDone: 2, failDownloads: false, script: [], doneAfterMs: undefined, chaos: undefined });
  await w.services.db.query('delete from escalations');
  clock = testClock(Date.now() + 5_000);
});

async function writes(jobId: string): Promise<number> {
  const { rows } = await w.services.db.query(`select count(*)::int as n from test_job_writes where job_id = $1`, [jobId]);
  return rows[0].n;
}

describe('job rows stay quiet while nothing visible changes', () => {
  it('unchanged polls write the task only; the job is written when its scene starts and when it finishes', async () => {
    w.veo.setBehavior({ pollsUntilDone: 6 });
    const [job] = await seedJobs(w.services, 1, { scenes: 1 });
    const first = await runTick(w.services, { now: clock.now, random: () => 0.5, linger: false });
    expect(first.created).toBe(1);
    const afterStart = await writes(job!);
    // Starting the scene moved the job from pending to processing: that is visible.
    expect(afterStart).toBeGreaterThan(0);
    const started = (await readJob(w.services.db, w.services.store, job!))!;
    let polled = 0;
    for (let i = 0; i < 4; i++) {
      clock.advance(61_000);
      const t = await runTick(w.services, { now: clock.now, random: () => 0.5, linger: false });
      polled += t.polled;
      expect(t.completed).toBe(0);
    }
    // The dashboard still sees the job is alive: each poll moved lastCheckedAt, not updatedAt.
    const polledView = (await readJob(w.services.db, w.services.store, job!))!;
    expect(polledView.updatedAt).toBe(started.updatedAt);
    expect(Date.parse(polledView.lastCheckedAt!)).toBeGreaterThan(Date.parse(started.lastCheckedAt!));
    expect(polled).toBeGreaterThanOrEqual(3);
    expect(await writes(job!)).toBe(afterStart);
    const { rows: [task] } = await w.services.db.query(`select polls from video_tasks where job_id = $1 and kind = 'veo_scene'`, [job]);
    expect(task.polls).toBeGreaterThanOrEqual(3);
    // Now the operation finishes: the scene completes, and that the job shows.
    for (let i = 0; i < 20; i++) {
      clock.advance(61_000);
      await runTick(w.services, { now: clock.now, random: () => 0.5, linger: false });
      const { rows } = await w.services.db.query(`select status from video_jobs where id = $1`, [job]);
      if (rows[0].status === 'completed') break;
    }
    const { rows: [done] } = await w.services.db.query(`select status from video_jobs where id = $1`, [job]);
    expect(done.status).toBe('completed');
    expect(await writes(job!)).toBeGreaterThan(afterStart);
  });

  it('a job sync that derives the same job writes nothing', async () => {
    const [job] = await seedJobs(w.services, 1, { scenes: 2 });
    await runTick(w.services, { now: clock.now, random: () => 0.5, linger: false });
    const before = await writes(job!);
    const { syncJob, lockJob } = await import('../lib/jobs/sync.js');
    const { withTransaction } = await import('../lib/db/pool.js');
    await withTransaction(w.services.db, async (client) => {
      const locked = await lockJob(client, job!);
      await syncJob(client, job!, clock.now(), locked, { taskChanged: false });
    });
    expect(await writes(job!)).toBe(before);
    // With a task change reported the same sync writes: progress is shown from the tasks.
    await withTransaction(w.services.db, async (client) => {
      await syncJob(client, job!, clock.now(), undefined, { taskChanged: true });
    });
    expect(await writes(job!)).toBe(before + 1);
  });

  it('applyOutcomes: one transaction for a batch; a task whose lease is gone is lost, the rest applied, each job written once', async () => {
    const { applyOutcomes } = await import('../lib/tasks/apply.js');
    const { claimDue } = await import('../lib/tasks/claim.js');
    const [a, b] = await seedJobs(w.services, 2, { scenes: 2 });
    await w.services.db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id where kind = 'veo_scene'`);
    await w.services.db.query(`update video_jobs set status = 'processing', started_at = now()`);
    const tickId = 'batch-test';
    const claimed = (await claimDue(w.services.db, ['veo_scene'], { tickId, now: clock.now(), leaseSeconds: 60, limit: 10 })).filter((t) => t.kind === 'veo_scene');
    expect(claimed.length).toBe(4);
    // Someone else took the last one's lease (its lease ran out and another tick claimed it).
    await w.services.db.query(`update video_tasks set locked_by = 'other' where id = $1`, [claimed[3]!.id]);
    const before = { a: await writes(a!), b: await writes(b!) };
    const done = { type: 'completed' as const, output: { objectPath: 'x.mp4', url: 'http://x/x.mp4' } };
    const applied = await applyOutcomes(
      w.services.db,
      claimed.map((task, i) => ({ task, outcome: i === 0 ? { type: 'waiting' as const } : done, began: clock.now() })),
      { tickId, now: clock.now(), config: w.services.config },
    );
    expect(applied).toEqual(['polled', 'completed', 'completed', 'lost']);
    const total = (await writes(a!)) - before.a + ((await writes(b!)) - before.b);
    // One write per job that had a scene complete, however many of its scenes moved.
    const moved = new Set([claimed[1]!.job_id, claimed[2]!.job_id]).size;
    expect(total).toBe(moved);
    await expect(
      applyOutcomes(w.services.db, [{ task: claimed[0]!, outcome: { type: 'started', provider: 'veo', operationName: 'op' }, began: clock.now() }], { tickId, now: clock.now(), config: w.services.config }),
    ).rejects.toThrow(/commits alone/);
  });
});

/**
 * Plain outcomes of a run's steps are written in batches: many tasks in one transaction, their jobs
 * derived set-wise, each ended job's webhook enqueued once. Real Postgres; the steps are a stand-in
 * that completes each task at once, so only the claim and the writes run (as in bench figure 2).
 * Transactions are counted exactly, by a trigger recording the writing transaction of each task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDue } from '../lib/tasks/claim.js';
import type { TaskOutcome, TaskRow } from '../lib/tasks/types.js';
import { createBudget } from '../lib/tick/budget.js';
import { TaskFeed } from '../lib/tick/feed.js';
import { runSteps } from '../lib/tick/run-steps.js';
import { createTestApp, type TestApp } from './support/app.js';
import { seedJobs } from './support/wired.js';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp('outcome-batching', { TICK_CONCURRENCY: '8', TICK_BATCH_SIZE: '50' });
  await app.services.db.query(`
    create table public.test_task_writes (task_id uuid, status text, tx bigint);
    create function test_count_task_write() returns trigger language plpgsql as $$
    begin insert into public.test_task_writes values (new.id, new.status, txid_current()); return new; end $$;
    create trigger test_count_task_write after update on video_tasks for each row execute function test_count_task_write();`);
});
afterAll(() => app.close());

describe('outcome batching', () => {
  it('completes 48 scenes of 12 jobs in a few transactions, ends every job once and enqueues one webhook per job that asked', async () => {
    const { db } = app.services;
    const jobs = await seedJobs(app.services, 12, { scenes: 4 });
    // No final cut: the jobs end when their scenes do, so the batch also ends them.
    await db.query(`delete from video_tasks where kind <> 'veo_scene'`);
    await db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id`);
    const withHook = jobs.filter((_, i) => i % 2 === 0);
    await db.query(`update video_jobs set webhook_url = 'https://hooks.example.com/done' where id = any($1)`, [withHook]);
    await db.query(`update video_jobs set status = 'processing'`);

    const now = () => new Date(Date.now() + 60_000);
    const budget = createBudget({ maxMs: 60_000, requestTimeoutMs: 1_000 });
    const feed = new TaskFeed<TaskRow>(
      { claimDue: (limit) => claimDue(db, ['veo_scene'], { tickId: 'batching', now: now(), leaseSeconds: 60, limit }) },
      { budget, batchSize: 50, concurrency: 8, linger: false, now },
    );
    const complete = async (task: TaskRow): Promise<TaskOutcome> => ({ type: 'completed', output: { objectPath: `${task.id}.mp4`, url: 'https://example.com/v.mp4' } });
    const counts = await runSteps(app.services, feed, { budget, tickId: 'batching', now, advance: complete }).finally(() => budget.dispose());

    expect(counts.completed).toBe(48);
    const { rows: [writes] } = await db.query<{ tasks: number; txs: number }>(
      `select count(distinct task_id)::int as tasks, count(distinct tx)::int as txs from test_task_writes where status = 'completed'`,
    );
    expect(writes!.tasks).toBe(48);
    // One outcome per transaction would take 48; the first commits alone, the rest join batches.
    expect(writes!.txs).toBeLessThanOrEqual(6);

    const { rows: ended } = await db.query<{ id: string; status: string; esc: string; video_url: string | null }>(
      `select j.id, j.status, e.video_generation_status as esc, j.video_url from video_jobs j join escalations e on e.id = j.escalation_id where j.id = any($1)`,
      [jobs],
    );
    expect(ended.map((j) => [j.status, j.esc])).toEqual(jobs.map(() => ['completed', 'completed']));
    expect(ended.every((j) => j.video_url === 'https://example.com/v.mp4')).toBe(true);
    const { rows: deliveries } = await db.query<{ job_id: string; event: string; url: string }>(`select job_id, event, url from webhook_deliveries`);
    expect(deliveries.map((d) => d.job_id).sort()).toEqual([...withHook].sort());
    expect(new Set(deliveries.map((d) => d.event))).toEqual(new Set(['job.completed']));
    const { rows: leased } = await db.query(`select id from video_tasks where locked_by is not null`);
    expect(leased).toEqual([]);
  });
});

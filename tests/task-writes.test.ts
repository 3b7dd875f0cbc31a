/**
 * lib/jobs/task-writes.ts owns every statement that changes video_tasks (taking leases aside:
 * lib/tasks/claim.ts and the claim functions). The first test holds the rest of lib/ to that; the
 * others check the lease fence every step write shares, on real Postgres.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../lib/db/pool.js';
import { recordCompleted, recordCompletedMany, recordPollsMany, recordRestart, writeProgress } from '../lib/jobs/task-writes.js';
import { claimDue } from '../lib/tasks/claim.js';
import { createTestApp, type TestApp } from './support/app.js';
import { seedJobs } from './support/wired.js';

const LIB = path.resolve(import.meta.dirname, '../lib');
const OWNERS = new Set(['jobs/task-writes.ts', 'tasks/claim.ts']);

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')).map((e) => path.join(e.parentPath, e.name));
}

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('task-writes');
});
afterAll(() => app.close());

describe('task row writes', () => {
  it('live in lib/jobs/task-writes.ts alone (leases aside)', async () => {
    const writers: string[] = [];
    for (const file of await sources(LIB)) {
      const text = await readFile(file, 'utf8');
      if (/\b(update|insert\s+into|delete\s+from)\s+video_tasks\b/i.test(text)) writers.push(path.relative(LIB, file));
    }
    expect(writers.sort()).toEqual([...OWNERS].sort());
  });

  it('land only under the lease: another run, a released lease or a finished task writes nothing', async () => {
    const { db } = app.services;
    await seedJobs(app.services, 1, { scenes: 3 });
    await db.query(`delete from video_tasks where kind <> 'veo_scene'`);
    await db.query(`update video_tasks set status = 'processing', provider = 'veo', operation_name = 'op-' || id`);
    const now = new Date(Date.now() + 60_000);
    const [a, b, c] = await claimDue(db, ['veo_scene'], { tickId: 'mine', now, leaseSeconds: 60, limit: 3 });
    expect([a, b, c].every(Boolean)).toBe(true);

    await withTransaction(db, async (client) => {
      expect(await recordCompleted(client, a!.id, 'someone-else', { output: { objectPath: 'x' }, now, began: now })).toBe(false);
      expect(await recordCompleted(client, a!.id, 'mine', { output: { objectPath: 'a.mp4' }, now, began: now })).toBe(true);
      // Finished now: the same run cannot write it again.
      expect(await recordCompleted(client, a!.id, 'mine', { output: { objectPath: 'again.mp4' }, now, began: now })).toBe(false);
    });
    await writeProgress(db, b!.id, 'someone-else', { progress: 0.5 });
    await writeProgress(db, b!.id, 'mine', { progress: 0.25 });
    await withTransaction(db, async (client) => {
      // b is still leased to 'mine'; c's lease was taken over by another run meanwhile.
      await client.query(`update video_tasks set locked_by = 'other' where id = $1`, [c!.id]);
      const written = await recordCompletedMany(client, 'mine', now, [b!, c!].map((t) => ({ id: t.id, output: { objectPath: `${t.id}.mp4` }, began: now })));
      expect([...written]).toEqual([b!.id]);
      expect([...(await recordPollsMany(client, 'mine', [{ id: c!.id, nextCheckAt: now }]))]).toEqual([]);
    });
    const { rows } = await db.query<{ id: string; status: string; output: { objectPath?: string; progress?: number } | null; locked_by: string | null }>(
      `select id, status, output, locked_by from video_tasks where id = any($1)`,
      [[a!.id, b!.id, c!.id]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(a!.id)).toMatchObject({ status: 'completed', output: { objectPath: 'a.mp4' }, locked_by: null });
    expect(byId.get(b!.id)).toMatchObject({ status: 'completed', output: { objectPath: `${b!.id}.mp4` }, locked_by: null });
    expect(byId.get(c!.id)).toMatchObject({ status: 'processing', output: null, locked_by: 'other' });
  });

  it('a restart forgets the operation and queues a new one, under the lease, until the task is out of new generations', async () => {
    const { db } = app.services;
    const [jobId] = await seedJobs(app.services, 1, { scenes: 1 });
    await db.query(`delete from video_tasks where kind <> 'veo_scene' and job_id = $1`, [jobId]);
    const hold = async () =>
      (await db.query<{ id: string }>(
        `update video_tasks set status = 'processing', provider = 'luma', operation_name = 'gen-1', polls = 3, locked_by = 'mine', locked_until = now() + interval '1 minute'
          where job_id = $1 returning id`, [jobId])).rows[0]!.id;
    const id = await hold();
    const now = new Date();
    const restart = (tick: string) => withTransaction(db, (client) => recordRestart(client, id, tick, { maxRestarts: 1, code: 'provider_error', message: 'Job failed', nextCheckAt: now, now, began: now }));
    const row = async () => (await db.query(`select status, operation_name, polls, restarts, error, locked_by, completed_at from video_tasks where id = $1`, [id])).rows[0];

    expect(await restart('someone-else')).toBeUndefined();
    expect(await row()).toMatchObject({ status: 'processing', operation_name: 'gen-1', restarts: 0 });
    expect(await restart('mine')).toBe('restarted');
    expect(await row()).toMatchObject({ status: 'pending', operation_name: null, polls: 0, restarts: 1, error: 'Job failed', locked_by: null, completed_at: null });
    // Its lease was given back with the write: the same run cannot restart it again.
    expect(await restart('mine')).toBeUndefined();

    await hold();
    expect(await restart('mine')).toBe('failed');
    expect(await row()).toMatchObject({ status: 'failed', operation_name: 'gen-1', restarts: 1, error: 'Gave up after 2 generations: Job failed', locked_by: null });
  });
});

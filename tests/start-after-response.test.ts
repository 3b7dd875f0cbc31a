/**
 * Veo starts the moment a professor asks: generate, batch and retry answer first, then start waiting
 * scenes through the tick's own fair-share claim (lib/tick/start-soon.ts). The test app holds that
 * after-response work until `runAfterResponse()`, so each test sees both the ended invocation
 * (nothing started, the tick's job) and the live one. Real `@google/genai` against the Veo wire
 * double, real Postgres.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { POST as batch } from '../api/video/generate/batch.js';
import { POST as cancel } from '../api/video/jobs/[id]/cancel.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { runTick } from '../lib/tick/run-tick.js';
import { PROF_A, PROF_B } from './support/api-helpers.js';
import { seedJobs, startWired, type Wired } from './support/wired.js';

const ENV = { LEASE_SECONDS: '60', TICK_MAX_DURATION_SECONDS: '30', MAX_IN_FLIGHT: '3', REQUEST_TIMEOUT_MS: '5000' };
const ANSWER = 'Light bends as it enters water.\n\nThat is why a straw looks broken in a glass.';

let w: Wired;
beforeAll(async () => {
  w = await startWired('start-after-response', ENV);
});
afterAll(() => w.close());
beforeEach(async () => {
  w.reconfigure();
  w.veo.setBehavior({ outcome: 'video', pollsUntilDone: 2, failDownloads: false, script: [], doneAfterMs: undefined, chaos: undefined });
  await w.app.runAfterResponse();
  await w.services.db.query('delete from escalations');
});

async function scenesOf(jobId: string): Promise<Array<{ status: string; operation_name: string | null; locked_by: string | null }>> {
  const { rows } = await w.services.db.query(`select status, operation_name, locked_by from video_tasks where job_id = $1 and kind = 'veo_scene' order by position`, [jobId]);
  return rows;
}

async function generateAs(as: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await w.app.call(generate, 'POST', '/api/video/generate', { as, body: { response: ANSWER, durationSeconds: 4, ...body } });
  expect(res.status).toBe(202);
  return (res.json as { jobId: string }).jobId;
}

describe('scenes start right after generate answers', () => {
  it('the 202 starts nothing itself; the work after it starts every scene, with no poll', async () => {
    const creates = w.veo.creates.length;
    const jobId = await generateAs(PROF_A);
    expect(w.veo.creates.length).toBe(creates);
    expect((await scenesOf(jobId)).map((s) => s.status)).toEqual(['pending', 'pending']);
    expect(await w.app.runAfterResponse()).toBe(1);
    const scenes = await scenesOf(jobId);
    expect(scenes.map((s) => s.status)).toEqual(['processing', 'processing']);
    for (const s of scenes) expect(s).toMatchObject({ operation_name: expect.stringMatching(/operations\//), locked_by: null });
    expect(w.veo.creates.length).toBe(creates + 2);
  });

  it('an invocation that ends with its answer loses nothing: the next tick starts the scenes', async () => {
    const jobId = await generateAs(PROF_A);
    await runTick(w.services, { linger: false });
    expect((await scenesOf(jobId)).map((s) => s.status)).toEqual(['processing', 'processing']);
    // The held start runs late, finds nothing startable, and creates nothing twice.
    const creates = w.veo.creates.length;
    await w.app.runAfterResponse();
    expect(w.veo.creates.length).toBe(creates);
  });

  it('a new job does not jump ahead: the fair-share claim takes the other tenant’s waiting scene first', async () => {
    await seedJobs(w.services, 1, { scenes: 4 }); // the service role's backlog, waiting
    const jobId = await generateAs(PROF_B, { response: 'One idea only: the sky is blue because air scatters blue light most.' });
    await w.app.runAfterResponse();
    const { rows } = await w.services.db.query<{ owner: string | null; started: number }>(
      `select j.owner_id as owner, count(*) filter (where t.status = 'processing')::int as started
         from video_tasks t join video_jobs j on j.id = t.job_id where t.kind = 'veo_scene' group by j.owner_id`,
    );
    // Cap 3, round-robin: the backlog's first two turns and B's one scene, not B first then the backlog.
    expect(rows.find((r) => r.owner === null)?.started).toBe(2);
    expect((await scenesOf(jobId)).map((s) => s.status)).toEqual(['processing']);
  });

  it('with the cap full nothing starts, and nothing is lost: the scene waits for the tick', async () => {
    await seedJobs(w.services, 1, { scenes: 3 });
    await runTick(w.services, { linger: false }); // fills MAX_IN_FLIGHT
    const creates = w.veo.creates.length;
    const jobId = await generateAs(PROF_A);
    await w.app.runAfterResponse();
    expect(w.veo.creates.length).toBe(creates);
    expect((await scenesOf(jobId)).every((s) => s.status === 'pending' && s.locked_by === null)).toBe(true);
  });

  it('a cancel that arrives before the start wins: nothing is created', async () => {
    const creates = w.veo.creates.length;
    const jobId = await generateAs(PROF_A);
    const res = await w.app.call(cancel, 'POST', `/api/video/jobs/${jobId}/cancel?id=${jobId}`, { as: PROF_A });
    expect(res.status).toBe(200);
    await w.app.runAfterResponse();
    expect(w.veo.creates.length).toBe(creates);
    expect((await scenesOf(jobId)).map((s) => s.status)).toEqual(['canceled', 'canceled']);
  });

  it('a cancel that arrives while the scenes are being started wins: no operation is recorded, nothing restarts', async () => {
    w.veo.setBehavior({ script: [{ route: 'create', delayMs: 1500 }, { route: 'create', delayMs: 1500 }] });
    const jobId = await generateAs(PROF_A);
    const requestsBefore = w.veo.requests.create;
    const starting = w.app.runAfterResponse();
    // Wait until both creates are at Veo, held there: the scenes are leased and mid-start.
    for (let i = 0; i < 100 && w.veo.requests.create < requestsBefore + 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(w.veo.requests.create).toBe(requestsBefore + 2);
    expect((await scenesOf(jobId)).every((s) => s.locked_by !== null && s.operation_name === null)).toBe(true);
    const res = await w.app.call(cancel, 'POST', `/api/video/jobs/${jobId}/cancel?id=${jobId}`, { as: PROF_A });
    expect(res.status).toBe(200);
    await starting;
    // Veo made the operations, but the cancel holds: the late answers write nothing.
    const scenes = await scenesOf(jobId);
    expect(scenes).toEqual([
      { status: 'canceled', operation_name: null, locked_by: null },
      { status: 'canceled', operation_name: null, locked_by: null },
    ]);
    const { rows } = await w.services.db.query<{ status: string }>('select status from video_jobs where id = $1', [jobId]);
    expect(rows[0]!.status).toBe('canceled');
    await runTick(w.services, { linger: false });
    expect(w.veo.requests.create).toBe(requestsBefore + 2);
  });

  it('VIDEO_GENERATION_ENABLED=false starts nothing after the answer', async () => {
    w.reconfigure({ VIDEO_GENERATION_ENABLED: 'false' });
    const creates = w.veo.creates.length;
    await generateAs(PROF_A);
    await w.app.runAfterResponse();
    expect(w.veo.creates.length).toBe(creates);
  });

  it('a batch starts its jobs’ scenes after its 202, within the cap', async () => {
    const creates = w.veo.creates.length;
    const res = await w.app.call(batch, 'POST', '/api/video/generate/batch', {
      as: null,
      headers: await w.app.auth(null, 'service_role'),
      body: { items: [{ response: ANSWER, durationSeconds: 4 }, { response: ANSWER, durationSeconds: 4 }] },
    });
    expect(res.status).toBe(202);
    expect(await w.app.runAfterResponse()).toBe(1);
    expect(w.veo.creates.length).toBe(creates + 3);
  });

  it('a retried scene starts right after retry answers, not at the next tick', async () => {
    w.veo.setBehavior({ outcome: 'error', pollsUntilDone: 1 });
    const jobId = await generateAs(PROF_A, { response: 'One idea only: the sky is blue because air scatters blue light most.' });
    await w.app.runAfterResponse();
    // Retry takes a job that has ended: tick until its render has run too. Each tick runs a minute
    // later than the last, so a step deferred by the one before is due by the next.
    for (let i = 1; i <= 10; i++) {
      await runTick(w.services, { linger: false, now: () => new Date(Date.now() + i * 60_000) });
      const { rows } = await w.services.db.query<{ status: string }>('select status from video_jobs where id = $1', [jobId]);
      if (rows[0]!.status === 'failed') break;
    }
    expect((await scenesOf(jobId)).map((s) => s.status)).toEqual(['failed']);
    w.veo.setBehavior({ outcome: 'video', pollsUntilDone: 2 });
    const creates = w.veo.creates.length;
    const res = await w.app.call(retry, 'POST', `/api/video/jobs/${jobId}/retry?id=${jobId}`, { as: PROF_A });
    expect(res.status).toBe(202);
    expect(w.veo.creates.length).toBe(creates);
    expect(await w.app.runAfterResponse()).toBe(1);
    expect(w.veo.creates.length).toBe(creates + 1);
    expect((await scenesOf(jobId)).map((s) => s.status)).toEqual(['processing']);
  });
});

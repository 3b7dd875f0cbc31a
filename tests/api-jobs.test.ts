/**
 * The dashboard controls through the real handlers, real Postgres, the local Veo stand-in and the
 * local store: list pagination, cancel (including a cancel racing a tick), retry, Idempotency-Key
 * and quotas. Every response is parsed with the same zod schemas the OpenAPI document is built from.
 */
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { POST as cancel } from '../api/video/jobs/[id]/cancel.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { GET as listJobs } from '../api/video/jobs/index.js';
import { errorBodySchema, generateResponseSchema, jobListSchema, jobViewSchema } from '../lib/jobs/schemas.js';
import { createLocalProvider } from '../lib/providers/local.js';
import type { VideoProvider } from '../lib/providers/types.js';
import { createLocalStore } from '../lib/storage/local.js';
import type { ObjectStore } from '../lib/storage/types.js';
import { sceneObjectPath } from '../lib/tasks/veo-scene.js';
import { runTick } from '../lib/tick/run-tick.js';
import { call, createTestApp, type TestApp } from './support/app.js';
import { PROF_A, PROF_B, dbFingerprint } from './support/api-helpers.js';
import { testClock, tickUntilFinal } from './support/ticks.js';

let app: TestApp;
const noQuota = { QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0' };
beforeAll(async () => {
  app = await createTestApp('api-jobs', noQuota);
});
afterAll(() => app.close());

const text = (n: number) => `Answer number ${n} has a first paragraph.\n\nAnd a second one, so two scenes.`;
const jobPath = (id: string, action = '') => `/api/video/jobs/${id}${action ? `/${action}` : ''}?id=${id}`;

async function create(body: Record<string, unknown> = { response: text(0) }, as: string = PROF_A, headers: Record<string, string> = {}) {
  const res = await app.call(generate, 'POST', '/api/video/generate', { body, as, headers });
  if (res.status < 300) generateResponseSchema.parse(res.json);
  else errorBodySchema.parse(res.json);
  return res;
}

async function taskRows(jobId: string) {
  const { rows } = await app.database.db.query(`select * from video_tasks where job_id = $1 order by position`, [jobId]);
  return rows;
}

describe('GET /api/video/jobs lists the caller’s jobs newest first with a stable cursor', () => {
  let mine: string[];
  beforeAll(async () => {
    mine = [];
    for (let i = 0; i < 7; i++) mine.push((await create({ response: text(i) }, '1d6b7f3e-2a4c-4e8b-9c1d-0e2f3a4b5c6d')).json.jobId);
    // Three share one created_at to the microsecond: the id must break the tie, or a page would skip or repeat.
    await app.database.db.query(`update video_jobs set created_at = (select created_at from video_jobs where id = $1) where id = any($2)`, [mine[3], mine.slice(3, 6)]);
    await create({ response: text(99) }, PROF_B);
  });

  it('pages of 2 add up to every job exactly once, in (created_at, id) descending order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await app.call(listJobs, 'GET', `/api/video/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { as: '1d6b7f3e-2a4c-4e8b-9c1d-0e2f3a4b5c6d' });
      expect(res.status).toBe(200);
      const page = jobListSchema.parse(res.json);
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(7);
    expect(new Set(seen)).toEqual(new Set(mine));
    const { rows } = await app.database.db.query(`select id from video_jobs where id = any($1) order by created_at desc, id desc`, [mine]);
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it('filters by status and escalationId, and shows progress and scenes', async () => {
    await app.database.db.query(`update video_jobs set status = 'failed' where id = $1`, [mine[0]]);
    const failed = await app.call(listJobs, 'GET', '/api/video/jobs?status=failed', { as: '1d6b7f3e-2a4c-4e8b-9c1d-0e2f3a4b5c6d' });
    expect(failed.json.jobs.map((j: { id: string }) => j.id)).toEqual([mine[0]]);
    const { rows } = await app.database.db.query(`select escalation_id from video_jobs where id = $1`, [mine[2]]);
    const byEsc = await app.call(listJobs, 'GET', `/api/video/jobs?escalationId=${rows[0].escalation_id}`, { as: '1d6b7f3e-2a4c-4e8b-9c1d-0e2f3a4b5c6d' });
    expect(byEsc.json.jobs).toHaveLength(1);
    expect(byEsc.json.jobs[0]).toMatchObject({ id: mine[2], status: 'pending', progress: 0, scenes: (await taskRows(mine[2]!)).filter((t) => t.kind === 'veo_scene').length, videoUrl: null });
    expect(byEsc.json.jobs[0].scenes).toBeGreaterThanOrEqual(2);
  });

  it('an empty list has no cursor', async () => {
    const res = await app.call(listJobs, 'GET', '/api/video/jobs', { as: '2e7c8a4f-3b5d-4f9c-8d2e-1f3a4b5c6d7e' });
    expect(res.json).toEqual({ jobs: [], nextCursor: null });
  });
});

describe('POST /api/video/jobs/:id/cancel', () => {
  it('cancels the job, its unfinished scenes and the escalation; a second cancel changes nothing', async () => {
    const created = await create({ response: text(1) });
    const { jobId, escalationId } = created.json;
    // One scene finished before the cancel: it keeps its result.
    await app.database.db.query(`update video_tasks set status = 'completed' where job_id = $1 and position = 0`, [jobId]);
    const res = await app.call(cancel, 'POST', jobPath(jobId));
    expect(res.status).toBe(200);
    const job = jobViewSchema.parse(res.json);
    expect(job).toMatchObject({ status: 'canceled', progress: 100, currentStep: 'Canceled' });
    const statuses = (await taskRows(jobId)).map((t) => t.status);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses).toEqual(['completed', ...statuses.slice(1).map(() => 'canceled')]);
    const esc = await app.database.db.query(`select video_generation_status from escalations where id = $1`, [escalationId]);
    expect(esc.rows[0].video_generation_status).toBe('canceled');

    const before = await dbFingerprint(app.database.db);
    const again = await app.call(cancel, 'POST', jobPath(jobId));
    expect(again.status).toBe(200);
    expect(again.json.status).toBe('canceled');
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('a finished job → 409, unchanged', async () => {
    const { jobId } = (await create({ response: text(2) })).json;
    await tickUntilFinal(app.services, jobId, testClock());
    const before = await dbFingerprint(app.database.db);
    const res = await app.call(cancel, 'POST', jobPath(jobId));
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('job_finished');
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('a canceled job is never picked up by a tick again', async () => {
    const { jobId } = (await create({ response: text(3) })).json;
    await app.call(cancel, 'POST', jobPath(jobId));
    const result = await runTick(app.services, { linger: false });
    expect(result.created + result.polled + result.completed).toBe(0);
    expect((await taskRows(jobId)).every((t) => t.status === 'canceled' && t.operation_name === null)).toBe(true);
  });
});

describe('a cancel racing a tick', () => {
  let store: ObjectStore;
  let provider: VideoProvider;
  /** Runs once, at the moment named, inside the tick's own call. */
  let hook: { at: 'poll-done' | 'upload'; run: () => Promise<void> } | undefined;
  /** Every download body the tick opened. */
  const opened: Readable[] = [];

  beforeAll(() => {
    const local = createLocalProvider(app.config);
    const localStore = createLocalStore(app.config);
    const fire = async (at: 'poll-done' | 'upload') => {
      if (hook?.at !== at) return;
      const h = hook;
      hook = undefined;
      await h.run();
    };
    provider = {
      ...local,
      async getVideoOperation(name, signal) {
        const state = await local.getVideoOperation(name, signal);
        if (state.done) await fire('poll-done');
        return state;
      },
      async openVideo(source, signal) {
        const download = await local.openVideo(source, signal);
        opened.push(download.body);
        return download;
      },
    };
    store = {
      ...localStore,
      async put(path, body, options) {
        await fire('upload');
        return localStore.put(path, body, options);
      },
    };
  });
  afterAll(() => {
    app.reconfigure();
  });

  const cancelNow = (jobId: string) => async () => {
    const res = await app.call(cancel, 'POST', jobPath(jobId));
    expect(res.status).toBe(200);
  };

  it('canceled after Veo finished but before the upload: nothing is uploaded, the tick’s outcome is discarded', async () => {
    const services = app.reconfigure(noQuota, { provider, store });
    const { jobId } = (await create({ response: 'Only one scene here.' })).json;
    hook = { at: 'poll-done', run: cancelNow(jobId) };
    const result = await runTick(services, { linger: false });
    expect(hook).toBeUndefined();
    expect(result.uploaded).toBe(0);
    expect(result.lost).toBe(1);
    expect(await store.exists(sceneObjectPath(jobId, 0))).toBe(false);
    // The download opened beside the job check was dropped, not left open.
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((body) => body.destroyed)).toBe(true);
    const [task] = await taskRows(jobId);
    expect(task).toMatchObject({ status: 'canceled', output: null });
    const job = await app.call(getJob, 'GET', jobPath(jobId));
    expect(job.json).toMatchObject({ status: 'canceled', videoUrl: null });
  });

  it('canceled while the upload starts: the finished upload is not recorded and the job stays canceled', async () => {
    const services = app.reconfigure(noQuota, { provider, store });
    const { jobId, escalationId } = (await create({ response: 'Only one scene here, again.' })).json;
    hook = { at: 'upload', run: cancelNow(jobId) };
    const result = await runTick(services, { linger: false });
    expect(hook).toBeUndefined();
    expect(result.lost).toBe(1);
    expect(result.completed).toBe(0);
    const [task] = await taskRows(jobId);
    expect(task).toMatchObject({ status: 'canceled', output: null });
    const { rows } = await app.database.db.query(
      `select j.status, j.video_url, e.video_generation_status, e.video_url as esc_url from video_jobs j join escalations e on e.id = j.escalation_id where j.id = $1 and e.id = $2`,
      [jobId, escalationId],
    );
    expect(rows[0]).toEqual({ status: 'canceled', video_url: null, video_generation_status: 'canceled', esc_url: null });
  });

  it('truly concurrent cancel and tick, many times: always canceled, nothing active, nothing completed after the cancel', async () => {
    const services = app.reconfigure(noQuota);
    for (let round = 0; round < 6; round++) {
      const { jobId } = (await create({ response: `${text(round)}\n\nAnd a third paragraph.` })).json;
      const clock = testClock();
      if (round % 2 === 1) await runTick(services, { now: clock.now, linger: false, maxDurationMs: 60_000 }).catch(() => undefined);
      const [, canceled] = await Promise.all([runTick(services, { now: clock.now, linger: false }), app.call(cancel, 'POST', jobPath(jobId))]);
      const { rows: jobs } = await app.database.db.query(`select status, completed_at from video_jobs where id = $1`, [jobId]);
      const tasks = await taskRows(jobId);
      if (canceled.status === 409) {
        // The tick finished the whole job first: a legitimate order of events.
        expect(jobs[0].status).toBe('completed');
        continue;
      }
      expect(canceled.status).toBe(200);
      expect(jobs[0].status).toBe('canceled');
      expect(tasks.some((t) => t.status === 'pending' || t.status === 'processing')).toBe(false);
      for (const t of tasks.filter((t) => t.status === 'completed')) expect(t.completed_at.getTime()).toBeLessThanOrEqual(jobs[0].completed_at.getTime());
      const after = await runTick(services, { now: clock.now, linger: false });
      expect(after.created + after.polled + after.completed).toBe(0);
    }
  });
});

describe('POST /api/video/jobs/:id/retry', () => {
  it('re-queues the failed scene of a partly failed job, then finishes it', async () => {
    const { jobId, escalationId } = (await create({ response: `${text(5)}\n\nThis part is [[blocked]] by the stand-in.` })).json;
    const clock = testClock();
    await tickUntilFinal(app.services, jobId, clock);
    const before = await taskRows(jobId);
    const failed = before.filter((t) => t.status === 'failed').map((t) => t.position);
    expect(failed).toHaveLength(1);
    expect(before.filter((t) => t.status === 'completed')).toHaveLength(before.length - 1);
    const [bad] = failed;

    // The blocked prompt would fail again: the professor fixed it in the meantime.
    await app.database.db.query(`update video_tasks set input = jsonb_set(input, '{prompt}', '"A calm fixed scene."') where job_id = $1 and position = $2`, [jobId, bad]);
    const res = await app.call(retry, 'POST', jobPath(jobId));
    expect(res.status).toBe(202);
    expect(jobViewSchema.parse(res.json)).toMatchObject({ status: 'processing', error: null, completedAt: null });
    const after = await taskRows(jobId);
    // The failed scene runs again, and so does the final cut, which must now include it.
    expect(after.map((t) => t.status)).toEqual(before.map((t) => (t.position === bad || t.kind === 'render' ? 'pending' : 'completed')));
    expect(after[bad]).toMatchObject({ operation_name: null, provider: 'local', attempts: 0, polls: 0, error: null, error_code: null, output: null });
    expect(after[0].output).toEqual(before[0].output);
    const esc = await app.database.db.query(`select video_generation_status from escalations where id = $1`, [escalationId]);
    expect(esc.rows[0].video_generation_status).toBe('processing');

    await tickUntilFinal(app.services, jobId, clock);
    expect((await taskRows(jobId)).every((t) => t.status === 'completed')).toBe(true);
  });

  it('what was made from a retried scene is made again (the cut, then its variations); a failed variation alone re-renders nothing', async () => {
    const { jobId } = (await create({ response: `${text(10)}\n\nThis part is [[blocked]] by the stand-in.`, variations: 2, variationSeed: 7 })).json;
    const clock = testClock();
    await tickUntilFinal(app.services, jobId, clock);
    const before = await taskRows(jobId);
    expect(before.map((t) => t.kind)).toEqual(['veo_scene', 'veo_scene', 'veo_scene', 'render', 'variation', 'variation']);
    expect(before.map((t) => t.status)).toEqual(['completed', 'completed', 'failed', 'completed', 'completed', 'completed']);
    await app.database.db.query(`update video_tasks set input = jsonb_set(input, '{prompt}', '"A calm fixed scene."') where job_id = $1 and position = 2`, [jobId]);

    expect((await app.call(retry, 'POST', jobPath(jobId))).status).toBe(202);
    const requeued = await taskRows(jobId);
    expect(requeued.map((t) => t.status)).toEqual(['completed', 'completed', 'pending', 'pending', 'pending', 'pending']);
    await tickUntilFinal(app.services, jobId, clock);
    const after = await taskRows(jobId);
    expect(after.every((t) => t.status === 'completed')).toBe(true);
    const [render, ...variations] = after.slice(3);
    // The final cut now holds all three scenes, and the variations were made from it, not from the old cut.
    expect(before[3].output.scenes).toEqual([0, 1]);
    expect(render.output.scenes).toEqual([0, 1, 2]);
    expect(render.output.durationSeconds).toBeGreaterThan(before[3].output.durationSeconds);
    variations.forEach((v, i) => {
      expect(v.output.sha256).not.toBe(before[4 + i].output.sha256);
      expect(v.completed_at.getTime()).toBeGreaterThanOrEqual(render.completed_at.getTime());
    });

    // Now only a variation fails; its retry leaves the final cut as it is.
    await app.database.db.query(`update video_tasks set status = 'failed', error_code = 'ffmpeg_failed', error = 'x', output = null where job_id = $1 and position = 5`, [jobId]);
    await app.database.db.query(`update video_jobs set status = 'completed' where id = $1`, [jobId]);
    const res = await app.call(retry, 'POST', jobPath(jobId));
    expect(res.status).toBe(202);
    expect((await taskRows(jobId)).map((t) => t.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed', 'pending']);
    await tickUntilFinal(app.services, jobId, clock);
    const last = await taskRows(jobId);
    expect(last[3].completed_at).toEqual(render.completed_at);
    expect(last[3].output).toEqual(render.output);
    expect(last[5].status).toBe('completed');
    expect(last[4].output.sha256).toBe(variations[0].output.sha256);
    expect(last[5].output.sha256).toBe(variations[1].output.sha256);
  });

  it('re-queues timed-out scenes of a failed job with a fresh deadline', async () => {
    const { jobId } = (await create({ response: text(6) })).json;
    const clock = testClock();
    clock.advance(4 * 3600_000); // past JOB_DEADLINE_MINUTES (180): the tick fails every scene as timed out
    await runTick(app.services, { now: clock.now, linger: false });
    const timedOut = await taskRows(jobId);
    expect(timedOut.length).toBeGreaterThanOrEqual(2);
    expect(timedOut.every((t) => t.status === 'failed' && t.error_code === 'timed_out')).toBe(true);

    const res = await app.call(retry, 'POST', jobPath(jobId));
    expect(res.status).toBe(202);
    expect(res.json.status).toBe('pending');
    const { rows } = await app.database.db.query(`select deadline_at from video_jobs where id = $1`, [jobId]);
    expect(rows[0].deadline_at.getTime()).toBeGreaterThan(Date.now() + 170 * 60_000);
    // The retried job really runs: with a clock at real time it completes.
    await tickUntilFinal(app.services, jobId, testClock());
    expect((await taskRows(jobId)).every((t) => t.status === 'completed')).toBe(true);
  });

  it('nothing failed, still running, or canceled → 409, unchanged', async () => {
    const done = (await create({ response: text(7) })).json.jobId;
    await tickUntilFinal(app.services, done, testClock());
    const running = (await create({ response: text(8) })).json.jobId;
    const canceled = (await create({ response: text(9) })).json.jobId;
    await app.call(cancel, 'POST', jobPath(canceled));
    for (const [id, code] of [[done, 'nothing_to_retry'], [running, 'job_active'], [canceled, 'job_canceled']] as const) {
      const before = await dbFingerprint(app.database.db);
      const res = await app.call(retry, 'POST', jobPath(id));
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe(code);
      expect(await dbFingerprint(app.database.db)).toEqual(before);
    }
  });
});

describe('Idempotency-Key on POST /api/video/generate', () => {
  const body = { response: text(10), style: 'fun' };

  it('the same key and body return the original job (200); key order and defaults do not matter', async () => {
    const first = await create(body, PROF_A, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(202);
    const before = await dbFingerprint(app.database.db);
    const again = await create({ style: 'fun', response: text(10), aspectRatio: '16:9' }, PROF_A, { 'idempotency-key': 'key-1' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ jobId: first.json.jobId, escalationId: first.json.escalationId, existing: true });
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('the same key with another body → 422 naming Idempotency-Key, nothing written', async () => {
    await create(body, PROF_A, { 'idempotency-key': 'key-2' });
    const before = await dbFingerprint(app.database.db);
    const res = await create({ ...body, style: 'calm' }, PROF_A, { 'idempotency-key': 'key-2' });
    expect(res.status).toBe(422);
    expect(res.json.error.fields).toHaveProperty('Idempotency-Key');
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('keys belong to their caller: another professor’s same key makes their own job', async () => {
    const a = await create(body, PROF_A, { 'idempotency-key': 'shared-key' });
    const b = await create(body, PROF_B, { 'idempotency-key': 'shared-key' });
    expect(b.status).toBe(202);
    expect(b.json.jobId).not.toBe(a.json.jobId);
  });

  it('concurrent duplicates create one job: one 202, the rest 200 with the same id', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => create({ response: text(11) }, PROF_A, { 'idempotency-key': 'burst' })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(new Set(results.map((r) => r.json.jobId)).size).toBe(1);
    const { rows } = await app.database.db.query(`select count(*)::int as n from video_jobs j join escalations e on e.id = j.escalation_id where e.response = $1`, [text(11)]);
    expect(rows[0].n).toBe(1);
  });

  it('after the TTL the key starts a new job; a refused request does not burn the key', async () => {
    const first = await create(body, PROF_A, { 'idempotency-key': 'old-key' });
    await app.database.db.query(`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'old-key'`);
    const later = await create(body, PROF_A, { 'idempotency-key': 'old-key' });
    expect(later.status).toBe(202);
    expect(later.json.jobId).not.toBe(first.json.jobId);

    const refused = await create({ ...body, escalationId: '3c1f0e2d-4b5a-4c6d-8e7f-9a0b1c2d3e4f' }, PROF_A, { 'idempotency-key': 'fresh-key' });
    expect(refused.status).toBe(404);
    const ok = await create(body, PROF_A, { 'idempotency-key': 'fresh-key' });
    expect(ok.status).toBe(202);
  });
});

describe('quotas', () => {
  const prof = '4a9e0c6b-5d7f-4b1e-8f4a-3b5c6d7e8f90';
  afterAll(() => {
    app.reconfigure(noQuota);
  });

  it('concurrent active jobs: over the cap → 429 with Retry-After, even under a burst; canceling frees a slot', async () => {
    app.reconfigure({ QUOTA_ACTIVE_JOBS: '2', QUOTA_JOBS_PER_HOUR: '0' });
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => create({ response: text(20 + i) }, prof)));
    expect(burst.filter((r) => r.status === 202)).toHaveLength(2);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(3);
    expect(refused[0]!.json.error.code).toBe('quota_exceeded');
    expect(refused[0]!.headers.get('retry-after')).toBe('60');
    const before = await dbFingerprint(app.database.db);
    expect((await create({ response: text(30) }, prof)).status).toBe(429);
    expect(await dbFingerprint(app.database.db)).toEqual(before);

    const first = burst.find((r) => r.status === 202)!.json.jobId;
    await app.call(cancel, 'POST', jobPath(first), { as: prof });
    expect((await create({ response: text(31) }, prof)).status).toBe(202);
  });

  it('jobs per hour: Retry-After says when the oldest job leaves the hour', async () => {
    const hourly = '6c1a2b3d-7e8f-4a9b-8c0d-1e2f3a4b5c6d';
    app.reconfigure({ QUOTA_ACTIVE_JOBS: '0', QUOTA_JOBS_PER_HOUR: '3' });
    for (let i = 0; i < 3; i++) expect((await create({ response: text(40 + i) }, hourly)).status).toBe(202);
    await app.database.db.query(`update video_jobs set created_at = now() - interval '50 minutes' where owner_id = $1 and created_at = (select min(created_at) from video_jobs where owner_id = $1)`, [hourly]);
    const refused = await create({ response: text(43) }, hourly);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(601);
    await app.database.db.query(`update video_jobs set created_at = now() - interval '61 minutes' where owner_id = $1 and created_at < now() - interval '49 minutes'`, [hourly]);
    expect((await create({ response: text(44) }, hourly)).status).toBe(202);
  });

  it('the service role is exempt', async () => {
    app.reconfigure({ QUOTA_ACTIVE_JOBS: '1', QUOTA_JOBS_PER_HOUR: '1' });
    const service = await app.auth(null, 'service_role');
    const exempt = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    for (let i = 0; i < 3; i++) {
      const res = await call(generate, 'POST', '/api/video/generate', { headers: service, body: { response: text(50 + i), professorId: exempt } });
      expect(res.status).toBe(202);
    }
    expect((await create({ response: text(60) }, exempt)).status).toBe(429);
  });

  it('a retry counts against the active-jobs cap', async () => {
    const retrier = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
    app.reconfigure({ QUOTA_ACTIVE_JOBS: '1', QUOTA_JOBS_PER_HOUR: '0' });
    const failed = (await create({ response: text(70) }, retrier)).json.jobId;
    await app.database.db.query(`update video_tasks set status = 'failed' where job_id = $1`, [failed]);
    await app.database.db.query(`update video_jobs set status = 'failed' where id = $1`, [failed]);
    expect((await create({ response: text(71) }, retrier)).status).toBe(202);
    const res = await app.call(retry, 'POST', jobPath(failed), { as: retrier });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
  });
});

/**
 * Priority, queue position and estimates on the job view and the list, through the real
 * handlers and Postgres: the order is the fair-share claim's (tests/fair-share.test.ts), the
 * estimates lib/jobs/eta.ts's (unit-tested beside it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as openapi } from '../api/openapi.json.js';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { GET as listJobs } from '../api/video/jobs/index.js';
import type { Queryable } from '../lib/db/pool.js';
import { jobListSchema, jobViewSchema } from '../lib/jobs/schemas.js';
import { listJobs as listJobsOf, parseListQuery } from '../lib/jobs/list.js';
import { readJob } from '../lib/jobs/view.js';
import { claimStartable } from '../lib/tasks/claim.js';
import { PROVIDER_KINDS, startQueueOptions } from '../lib/tasks/registry.js';
import { createTestApp, type TestApp } from './support/app.js';
import { PROF_A, PROF_B } from './support/api-helpers.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('queue-position', { QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0', MAX_IN_FLIGHT: '2' });
});
afterAll(() => app.close());

const twoScenes = (n: number) => `Answer ${n} has a first paragraph.\n\nAnd a second one, so two scenes.`;

async function create(as: string, n: number, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: twoScenes(n), maxScenes: 2, ...extra }, as });
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  expect(res.json.scenes).toBe(2);
  return res.json.jobId;
}

async function view(id: string, as = PROF_A) {
  const res = await app.call(getJob, 'GET', `/api/video/jobs/${id}?id=${id}`, { as });
  expect(res.status).toBe(200);
  return jobViewSchema.parse(res.json);
}

const secondsFromNow = (iso: string | null) => (iso === null ? NaN : (Date.parse(iso) - Date.now()) / 1000);

describe('queue position, estimates and priority', () => {
  let a1: string, b: string, a2: string, a3: string, urgent: string;
  beforeAll(async () => {
    a1 = await create(PROF_A, 1);
    b = await create(PROF_B, 2);
    a2 = await create(PROF_A, 3);
    a3 = await create(PROF_A, 4, { priority: 'low' });
    urgent = await create(PROF_A, 5, { priority: 'high' });
  });

  it('priority is validated, stored and shown', async () => {
    const bad = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'x', priority: 'urgent' }, as: PROF_A });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.error.fields)).toEqual(['priority']);
    expect((await view(a1)).priority).toBe('normal');
    expect((await view(urgent)).priority).toBe('high');
    expect((await view(a3)).priority).toBe('low');
  });

  it("positions follow the fair order: professors in turn, then a professor's priority, oldest job, scene", async () => {
    // A's own order: urgent ×2, a1 ×2, a2 ×2, a3 (low) ×2; B has one job of 2 scenes. Within a
    // round the older job goes first, and B's job is older than A's urgent one.
    // Fair order: B:0 (round 1, older than urgent), urgent:0, B:1 (round 2, older), urgent:1, a1:0, a1:1, a2:0, a2:1, a3:0, a3:1.
    const expected: Record<string, number> = {};
    expected[b] = 0;
    expected[urgent] = 1;
    expected[a1] = 4;
    expected[a2] = 6;
    expected[a3] = 8;
    for (const [id, position] of Object.entries(expected)) {
      const job = await view(id, id === b ? PROF_B : PROF_A);
      expect(job.queuePosition, id).toBe(position);
    }
  });

  it('a job with a free slot is queued for the next poll; one behind a full cap says how many are ahead, with estimates', async () => {
    const first = await view(urgent);
    // MAX_IN_FLIGHT 2 and nothing runs: the scene 1 ahead has a slot now.
    expect(first.currentStep).toMatch(/^Queued/);
    expect(secondsFromNow(first.estimatedStartAt)).toBeLessThan(5);
    const later = await view(a2);
    expect(later.status).toBe('pending');
    expect(later.currentStep).toBe('Waiting for a free slot, 6 ahead');
    // No operation has completed yet: 60 s each; 6 ahead over 2 slots → 3 laps.
    expect(secondsFromNow(later.estimatedStartAt)).toBeGreaterThan(170);
    expect(secondsFromNow(later.estimatedStartAt)).toBeLessThanOrEqual(180);
    // Its second scene (7 ahead) starts at +180 and ends at +240, then the final cut (10 s default).
    expect(secondsFromNow(later.estimatedCompletedAt)).toBeGreaterThan(240);
    expect(secondsFromNow(later.estimatedCompletedAt)).toBeLessThanOrEqual(250);
  });

  it('the list shows the same fields, from one read of the queue for the page', async () => {
    const res = await app.call(listJobs, 'GET', '/api/video/jobs', { as: PROF_A });
    const page = jobListSchema.parse(res.json);
    const byId = new Map(page.jobs.map((j) => [j.id, j]));
    for (const id of [a1, a2, a3, urgent]) {
      const one = await view(id);
      const listed = byId.get(id)!;
      expect({ p: listed.queuePosition, s: listed.currentStep, prio: listed.priority }).toEqual({ p: one.queuePosition, s: one.currentStep, prio: one.priority });
      expect(Math.abs(Date.parse(listed.estimatedStartAt!) - Date.parse(one.estimatedStartAt!))).toBeLessThan(5000);
    }
  });

  it('a page of the list costs the same two queries however many active jobs it holds', async () => {
    const counted = () => {
      const sent: string[] = [];
      const db: Queryable = { query: ((text: string, values?: unknown[]) => (sent.push(text), app.database.db.query(text, values))) as Queryable['query'] };
      return { db, sent };
    };
    const caller = { role: 'authenticated', userId: PROF_A } as Parameters<typeof listJobsOf>[2];
    const page = async (limit: number) => {
      const c = counted();
      const list = await listJobsOf(c.db, app.services.store, caller, parseListQuery(new URLSearchParams({ limit: String(limit) })), startQueueOptions(app.config));
      return { active: list.jobs.filter((j) => j.queuePosition !== null).length, queries: c.sent.length };
    };
    const one = await page(1);
    const all = await page(20);
    expect(one.active).toBe(1);
    expect(all.active).toBeGreaterThanOrEqual(4);
    expect(all.queries).toBe(one.queries);
    expect(all.queries).toBe(2);
  });

  it('claimed scenes leave the queue; the estimates use the recent median duration', async () => {
    // Two finished operations that took 100 s and 140 s: the median is 120 s.
    await app.database.db.query(
      `update video_tasks set status = 'completed', started_at = now() - make_interval(secs => d), completed_at = now()
         from (values (0, 100), (1, 140)) v(p, d) where job_id = $1 and position = v.p`,
      [b],
    );
    const claimed = await claimStartable(app.database.db, PROVIDER_KINDS, 2, { tickId: 't', now: new Date(), leaseSeconds: 60, limit: 10 });
    expect(claimed.map((t) => t.job_id)).toEqual([urgent, urgent]);
    const running = await view(urgent);
    expect(running.queuePosition).toBeNull();
    expect(running.estimatedStartAt).toBeNull();
    expect(running.currentStep).not.toMatch(/Waiting for a free slot/);
    // Both claimed now and taking 120 s each; then the final cut's default 10 s.
    expect(secondsFromNow(running.estimatedCompletedAt)).toBeGreaterThan(125);
    expect(secondsFromNow(running.estimatedCompletedAt)).toBeLessThanOrEqual(130);
    const a1View = await view(a1);
    expect(a1View.queuePosition).toBe(0);
    expect(a1View.currentStep).toBe('Waiting for a free slot, 0 ahead');
    // Both slots free at +120: a1's first scene then.
    expect(secondsFromNow(a1View.estimatedStartAt)).toBeGreaterThan(115);
    expect(secondsFromNow(a1View.estimatedStartAt)).toBeLessThanOrEqual(120);
  });

  it('a final job has no position and no estimates', async () => {
    await app.database.db.query(`update video_jobs set status = 'canceled' where id = $1`, [a3]);
    const job = await view(a3);
    expect([job.queuePosition, job.estimatedStartAt, job.estimatedCompletedAt]).toEqual([null, null, null]);
  });

  it('openapi.json documents priority and the queue fields', async () => {
    const doc = (await app.call(openapi, 'GET', '/api/openapi.json', { as: null })).json;
    const job = doc.components.schemas.Job.properties;
    expect(job.priority.enum).toEqual(['high', 'normal', 'low']);
    for (const field of ['queuePosition', 'estimatedStartAt', 'estimatedCompletedAt']) expect(job[field].description).toMatch(/\w/);
    expect(doc.components.schemas.GenerateRequest.properties.priority.enum).toEqual(['high', 'normal', 'low']);
  });
});

describe('queue position with a provider cap and a paused provider', () => {
  let capped: TestApp;
  let lumaJob: string, veoJob: string;
  const options = (providerCaps: Record<string, number>) => ({ ...startQueueOptions(capped.config), maxInFlight: 3, providerCaps });
  const jobView = async (id: string, providerCaps: Record<string, number>) => jobViewSchema.parse(await readJob(capped.database.db, capped.services.store, id, options(providerCaps)));
  const make = async (scenes: number) => {
    const res = await capped.call(generate, 'POST', '/api/video/generate', { body: { response: twoScenes(9), maxScenes: scenes }, as: PROF_A });
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    return res.json.jobId as string;
  };
  const onProvider = (id: string, provider: string) => capped.database.db.query(`update video_tasks set provider = $2 where job_id = $1 and kind = 'veo_scene'`, [id, provider]);

  beforeAll(async () => {
    capped = await createTestApp('queue-caps', { QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0', MAX_IN_FLIGHT: '3' });
    // One Luma clip running for 20 s (no history: 60 s each, so it ends at +40), then a Luma job
    // and a Veo job of two scenes each, in that order.
    const running = await make(1);
    await onProvider(running, 'luma');
    await capped.database.db.query(`update video_tasks set status = 'processing', started_at = now() - interval '20 seconds', operation_name = 'op-1' where job_id = $1 and kind = 'veo_scene'`, [running]);
    lumaJob = await make(2);
    await onProvider(lumaJob, 'luma');
    veoJob = await make(2);
    await onProvider(veoJob, 'veo');
  });
  afterAll(() => capped.close());

  it('by rank alone the Luma job is next; with Luma capped at 1, the Veo scenes behind it take the free slots first', async () => {
    const uncapped = { luma: await jobView(lumaJob, {}), veo: await jobView(veoJob, {}) };
    expect([uncapped.luma.queuePosition, uncapped.veo.queuePosition]).toEqual([0, 2]);

    const luma = await jobView(lumaJob, { luma: 1 });
    expect(luma.queuePosition).toBe(2);
    expect(luma.currentStep).toBe('Waiting for a free Luma slot, 2 ahead');
    expect(secondsFromNow(luma.estimatedStartAt)).toBeGreaterThan(35);
    expect(secondsFromNow(luma.estimatedStartAt)).toBeLessThanOrEqual(40);
    const veo = await jobView(veoJob, { luma: 1 });
    expect(veo.queuePosition).toBe(0);
    expect(veo.currentStep).toMatch(/^Queued/);
    expect(secondsFromNow(veo.estimatedStartAt)).toBeLessThan(5);
  });

  it('the deployment\'s own caps reach the job view and the list (MAX_IN_FLIGHT_LUMA)', async () => {
    expect(startQueueOptions({ MAX_IN_FLIGHT: 3, inFlightCaps: { luma: 1 } }).providerCaps).toEqual({ luma: 1 });
    const caller = { role: 'authenticated', userId: PROF_A } as Parameters<typeof listJobsOf>[2];
    const list = await listJobsOf(capped.database.db, capped.services.store, caller, parseListQuery(new URLSearchParams({ limit: '10' })), options({ luma: 1 }));
    const listed = new Map(list.jobs.map((j) => [j.id, j]));
    expect(listed.get(lumaJob)?.currentStep).toBe('Waiting for a free Luma slot, 2 ahead');
    expect(listed.get(veoJob)?.queuePosition).toBe(0);
  });

  it('while Luma is paused its scenes start when the pause ends, and the list says so as the view does', async () => {
    await capped.database.db.query(`insert into video_provider_pauses (provider, paused_until, reason) values ('luma', now() + interval '10 minutes', 'no credits')`);
    try {
      const luma = await jobView(lumaJob, {});
      expect(luma.currentStep).toMatch(/^Waiting: new Luma clips are paused until \d\d:\d\d UTC; the scenes start then$/);
      expect(secondsFromNow(luma.estimatedStartAt)).toBeGreaterThan(595);
      expect(secondsFromNow(luma.estimatedStartAt)).toBeLessThanOrEqual(600);
      expect((await jobView(veoJob, {})).queuePosition).toBe(0);
      const caller = { role: 'authenticated', userId: PROF_A } as Parameters<typeof listJobsOf>[2];
      const list = await listJobsOf(capped.database.db, capped.services.store, caller, parseListQuery(new URLSearchParams({ limit: '10' })), options({}));
      expect(list.jobs.find((j) => j.id === lumaJob)?.currentStep).toBe(luma.currentStep);
    } finally {
      await capped.database.db.query(`delete from video_provider_pauses`);
    }
  });
});

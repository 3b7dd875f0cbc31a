/**
 * The whole pipeline on the production code path: the real `@google/genai` client talking to an
 * in-process server that speaks Veo's wire format (Developer API and Vertex), the real
 * `@supabase/supabase-js` client talking to an in-process server that speaks the Storage API, a
 * real Postgres, and the real handlers. Also the failure paths: a failed operation, a safety block
 * and failed uploads each end in a correct, explained state.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { readMp4Info } from '../lib/media/mp4.js';
import { createVeoProvider } from '../lib/providers/veo.js';
import { createSupabaseStore } from '../lib/storage/supabase.js';
import type { TestApp } from './support/app.js';
import { sum, testClock, tickUntilFinal } from './support/ticks.js';
import type { StorageWire } from './doubles/storage-wire.js';
import type { VeoWire } from './doubles/veo-wire.js';
import { API_KEY, BUCKET, sampleMp4, startWired, type Wired } from './support/wired.js';

let wired: Wired;
let app: TestApp;
let veo: VeoWire;
let storage: StorageWire;
let mp4: Buffer;

beforeAll(async () => {
  wired = await startWired('pipeline-wire');
  ({ app, veo, storage } = wired);
  mp4 = await sampleMp4(app.storageDir);
});

afterAll(() => wired?.close());

beforeEach(() => {
  veo.setBehavior({ outcome: 'video', failDownloads: false, script: [] });
  storage.setBehavior({ uploadFailureRate: 0 });
});

describe('pipeline: real @google/genai against the Veo wire double, real supabase-js against the Storage API double', () => {
  for (const backend of ['gemini', 'vertex'] as const) {
    it(`${backend}: generate → cron ticks → completed job with signed URLs serving the stored MP4s`, async () => {
      const services = wired.useBackend(backend);
      const createsBefore = veo.requests.create;
      const { jobId, escalationId, scenes } = await wired.generateJob();
      expect(scenes).toBe(2);
      const results = await tickUntilFinal(services, jobId, testClock());
      expect(veo.requests.create - createsBefore).toBe(2);
      expect(sum(results, 'created')).toBe(2);
      // Two scenes and the stitched final cut.
      expect(sum(results, 'uploaded')).toBe(3);

      const job = await wired.readJob(jobId);
      expect(job).toMatchObject({ status: 'completed', progress: 100, error: null });
      for (const [i, scene] of job.scenes.filter((s: { kind: string }) => s.kind === 'veo_scene').entries()) {
        const key = `${BUCKET}/${jobId}/scene-0${i + 1}.mp4`;
        expect(storage.objects.get(key)).toMatchObject({ contentType: 'video/mp4', size: mp4.length, writes: 1 });
        expect(scene.url).toMatch(new RegExp(`^${storage.url}/storage/v1/object/sign/${BUCKET}/${jobId}/scene-0${i + 1}\\.mp4\\?token=`));
        const res = await fetch(scene.url);
        expect(res.status).toBe(200);
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(bytes.equals(mp4)).toBe(true);
        expect((await readMp4Info(bytes)).hasVideo).toBe(true);
      }
      const { rows } = await services.db.query('select video_generation_status, video_url from escalations where id = $1', [escalationId]);
      expect(rows[0].video_generation_status).toBe('completed');
      expect(rows[0].video_url).toContain(`/object/sign/${BUCKET}/${jobId}/`);
    });
  }

  it('the operation is reloaded by name and asked for the requested parameters on the wire', async () => {
    wired.useBackend('gemini');
    const before = veo.creates.length;
    const { jobId } = await wired.generateJob({ aspectRatio: '9:16', durationSeconds: 6, negativePrompt: 'text overlays' });
    await tickUntilFinal(app.services, jobId, testClock());
    const sent = veo.creates.slice(before).map((c) => c.body as { instances: Array<{ prompt: string }>; parameters: Record<string, unknown> });
    expect(sent).toHaveLength(2);
    expect(sent[0]!.parameters).toMatchObject({ aspectRatio: '9:16', durationSeconds: 6, negativePrompt: 'text overlays' });
    expect(sent[0]!.instances[0]!.prompt).toContain('Sound is a wave');
  });

  it('a Veo operation that ends in an error fails its scenes with the provider message, and the job is failed', async () => {
    const services = wired.useBackend('gemini');
    veo.setBehavior({ outcome: 'error', errorMessage: 'The model is overloaded' });
    const { jobId, escalationId } = await wired.generateJob();
    await tickUntilFinal(services, jobId, testClock());
    const job = await wired.readJob(jobId);
    expect(job.status).toBe('failed');
    for (const scene of job.scenes.filter((s: { kind: string }) => s.kind === 'veo_scene')) {
      expect(scene.status).toBe('failed');
      expect(scene.error).toContain('The model is overloaded');
    }
    expect(job.error).toMatch(/^Scene 1: .*overloaded.*; Scene 2: /);
    const { rows } = await services.db.query('select video_generation_status, video_url from escalations where id = $1', [escalationId]);
    expect(rows[0]).toEqual({ video_generation_status: 'failed', video_url: null });
  });

  it('a safety-filtered result fails the scene with the reasons in plain words', async () => {
    const services = wired.useBackend('vertex');
    veo.setBehavior({ outcome: 'safety', safetyReasons: ['The prompt mentions a public figure.'] });
    const { jobId } = await wired.generateJob();
    await tickUntilFinal(services, jobId, testClock());
    const job = await wired.readJob(jobId);
    expect(job.status).toBe('failed');
    expect(job.scenes[0]).toMatchObject({ status: 'failed', errorCode: 'safety_filtered' });
    expect(job.scenes[0].error).toMatch(/safety/i);
    expect(job.scenes[0].error).toContain('public figure');
  });

  it('uploads that keep failing are retried with backoff, then fail the scene with an explanation; nothing half-stored', async () => {
    const services = wired.useBackend('gemini', { MAX_ATTEMPTS: '3' });
    storage.setBehavior({ uploadFailureRate: 1, failureStatuses: [503] });
    const uploadsBefore = storage.uploads;
    const { jobId } = await wired.generateJob();
    const results = await tickUntilFinal(services, jobId, testClock());
    expect(sum(results, 'retried')).toBe(4);
    expect(storage.uploads - uploadsBefore).toBe(6);
    const job = await wired.readJob(jobId);
    expect(job.status).toBe('failed');
    expect(job.scenes[0].error).toMatch(/^Gave up after 3 attempts: Could not store the video/);
    expect([...storage.objects.keys()].filter((k) => k.includes(jobId))).toEqual([]);
  });

  it('a failed download or upload that recovers completes the scene once, without a second Veo operation', async () => {
    const services = wired.useBackend('gemini');
    veo.setBehavior({ failDownloads: true });
    const createsBefore = veo.requests.create;
    const { jobId } = await wired.generateJob({ response: 'One scene about why the sky looks blue during the day.' });
    const clock = testClock();
    await (await import('../lib/tick/run-tick.js')).runTick(services, { now: clock.now, linger: false });
    clock.advance(61_000);
    await (await import('../lib/tick/run-tick.js')).runTick(services, { now: clock.now, linger: false });
    const mid = await wired.readJob(jobId);
    expect(mid.status).toBe('processing');
    expect(mid.scenes[0].attempts).toBeGreaterThan(0);
    veo.setBehavior({ failDownloads: false });
    storage.setBehavior({ uploadFailureRate: 0 });
    await tickUntilFinal(services, jobId, clock);
    const job = await wired.readJob(jobId);
    expect(job.status).toBe('completed');
    expect(veo.requests.create - createsBefore).toBe(1);
    expect(storage.objects.get(`${BUCKET}/${jobId}/scene-01.mp4`)?.writes).toBe(1);
  });

  it('the Supabase store is built from the same env the service reads (no hidden test wiring)', () => {
    const config = loadConfig({ SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: storage.serviceKey, GEMINI_API_KEY: API_KEY });
    expect(createSupabaseStore(config).name).toBe('supabase');
    expect(createVeoProvider(config).name).toBe('veo');
  });
});

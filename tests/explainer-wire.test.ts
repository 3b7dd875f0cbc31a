/**
 * Stills, keyframes, the final cut, variations and the model storyboard on the production code
 * path: the REAL `@google/genai` client against the Veo wire double (Veo, Imagen `:predict` and
 * generateContent, Developer API and Vertex), the REAL `@supabase/supabase-js` client against the
 * Storage API double, real Postgres, the real handlers and tick.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POST as storyboard } from '../api/video/storyboard.js';
import { readMp4Info } from '../lib/media/mp4.js';
import type { TestApp } from './support/app.js';
import { testClock, tickUntilFinal } from './support/ticks.js';
import type { StorageWire } from './doubles/storage-wire.js';
import type { VeoWire } from './doubles/veo-wire.js';
import { BUCKET, SAMPLE_ANSWER, sampleMp4, startWired, type Wired } from './support/wired.js';

let wired: Wired;
let app: TestApp;
let veo: VeoWire;
let storage: StorageWire;
let mp4: Buffer;

const stored = (key: string) => storage.objects.get(`${BUCKET}/${key}`);

beforeAll(async () => {
  wired = await startWired('explainer-wire', { QUOTA_JOBS_PER_HOUR: '1000', QUOTA_ACTIVE_JOBS: '1000' });
  ({ app, veo, storage } = wired);
  mp4 = await sampleMp4(app.storageDir);
});

afterAll(() => wired?.close());

beforeEach(() => {
  veo.setBehavior({ outcome: 'video', imageOutcome: 'image', text: '{}', script: [] });
});

describe('the final cut through the tick (real @google/genai → Veo wire double, real supabase-js → Storage wire double)', () => {
  it('scenes are read back from Supabase Storage, stream-copied into final.mp4 (sum of durations), with poster.jpg, on job and escalation', async () => {
    const services = wired.useBackend('gemini');
    const { jobId, escalationId, scenes } = await wired.generateJob();
    expect(scenes).toBe(2);
    await tickUntilFinal(services, jobId, testClock());
    const job = await wired.readJob(jobId);
    expect(job).toMatchObject({ status: 'completed', currentStep: 'Done: 2 of 2 scenes ready, final cut ready' });
    const render = job.scenes.find((s: { kind: string }) => s.kind === 'render');
    expect(render).toMatchObject({ status: 'completed', progress: 100 });

    const final = stored(`${jobId}/final.mp4`);
    expect(final).toMatchObject({ contentType: 'video/mp4', writes: 1 });
    const sample = await readMp4Info(mp4);
    const info = await readMp4Info(final!.data!);
    expect(info.durationSeconds).toBeCloseTo(2 * sample.durationSeconds, 1);
    expect([info.width, info.height]).toEqual([sample.width, sample.height]);
    const poster = stored(`${jobId}/poster.jpg`);
    expect(poster?.contentType).toBe('image/jpeg');
    expect(poster!.data!.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    expect(job.videoUrl).toMatch(new RegExp(`/object/sign/${BUCKET}/${jobId}/final\\.mp4\\?token=`));
    expect(job.posterUrl).toMatch(new RegExp(`/object/sign/${BUCKET}/${jobId}/poster\\.jpg\\?token=`));
    const served = Buffer.from(await (await fetch(job.videoUrl)).arrayBuffer());
    expect(served.equals(final!.data!)).toBe(true);
    const { rows } = await services.db.query('select video_url, poster_url from escalations where id = $1', [escalationId]);
    expect(rows[0].video_url).toContain(`/${jobId}/final.mp4`);
    expect(rows[0].poster_url).toContain(`/${jobId}/poster.jpg`);
  });

  it('a render repeated after it finished re-uses the stored cut (the manifest), writing nothing twice', async () => {
    const services = wired.useBackend('gemini');
    const { jobId } = await wired.generateJob();
    await tickUntilFinal(services, jobId, testClock());
    const writes = stored(`${jobId}/final.mp4`)!.writes;
    // As a retry would: the render runs again over the same scenes.
    await services.db.query(`update video_tasks set status = 'pending', output = null, completed_at = null where job_id = $1 and kind = 'render'`, [jobId]);
    await services.db.query(`update video_jobs set status = 'processing' where id = $1`, [jobId]);
    await tickUntilFinal(services, jobId, testClock(Date.now() + 1000));
    expect(stored(`${jobId}/final.mp4`)!.writes).toBe(writes);
    expect((await wired.readJob(jobId)).status).toBe('completed');
  });
});

describe('stills and keyframes (Imagen :predict on Vertex, generateContent images on the Developer API)', () => {
  for (const backend of ['gemini', 'vertex'] as const) {
    it(`${backend}: keyframes: true makes a still per scene and hands it to Veo as the scene's first frame`, async () => {
      const services = wired.useBackend(backend);
      const imagesBefore = veo.images.length;
      const createsBefore = veo.creates.length;
      const { jobId, scenes } = await wired.generateJob({ keyframes: true });
      expect(scenes).toBe(2);
      await tickUntilFinal(services, jobId, testClock());
      const job = await wired.readJob(jobId);
      expect(job.status).toBe('completed');
      expect(job.scenes.map((s: { label: string }) => s.label)).toEqual(['Keyframe 1', 'Keyframe 2', 'Scene 1', 'Scene 2', 'Final cut']);
      // A scene's index is its storyboard index, whatever else comes before it in the job.
      expect(job.scenes.map((s: { index: number }) => s.index)).toEqual([0, 1, 0, 1, 4]);
      expect(job.storyboard.map((s: { index: number }) => s.index)).toEqual([0, 1]);
      const images = veo.images.slice(imagesBefore);
      expect(images).toHaveLength(2);
      expect(images.every((i) => i.backend === (backend === 'gemini' ? 'gemini' : 'vertex'))).toBe(true);
      expect(images[0]!.model).toBe(backend === 'gemini' ? services.config.GEMINI_IMAGE_MODEL : services.config.IMAGEN_MODEL);
      const still = stored(`${jobId}/keyframe-01.png`);
      expect(still?.contentType).toBe('image/png');
      const creates = veo.creates.slice(createsBefore).map((c) => c.body as { instances: Array<{ image?: { bytesBase64Encoded?: string; inlineData?: { data: string } } }> });
      expect(creates).toHaveLength(2);
      for (const create of creates) {
        const image = create.instances[0]!.image;
        const sent = image?.bytesBase64Encoded ?? image?.inlineData?.data;
        expect(sent).toBe(still!.data!.toString('base64'));
      }
    });
  }

  it("vertex: an image job whose still Imagen's safety filter blocks fails that still with the reason", async () => {
    const services = wired.useBackend('vertex');
    veo.setBehavior({ imageOutcome: 'safety' });
    const { jobId } = await wired.generateJob({ kind: 'image', maxScenes: 1 });
    await tickUntilFinal(services, jobId, testClock());
    const job = await wired.readJob(jobId);
    expect(job).toMatchObject({ status: 'failed', currentStep: 'Failed: no still could be made' });
    expect(job.scenes[0]).toMatchObject({ kind: 'imagen_still', errorCode: 'safety_filtered' });
    expect(job.scenes[0].error).toMatch(/safety filter blocked the still: The prompt was blocked/);
  });

  it('gemini: an image job stores PNG stills in Supabase Storage and the first becomes the poster', async () => {
    const services = wired.useBackend('gemini');
    const { jobId } = await wired.generateJob({ kind: 'image' });
    await tickUntilFinal(services, jobId, testClock());
    const job = await wired.readJob(jobId);
    expect(job).toMatchObject({ status: 'completed', videoUrl: null });
    expect(stored(`${jobId}/still-01.png`)?.contentType).toBe('image/png');
    expect(stored(`${jobId}/still-02.png`)?.contentType).toBe('image/png');
    expect(job.posterUrl).toContain(`/${jobId}/still-01.png`);
  });
});

describe('variations read their source from Supabase Storage', () => {
  it('a video job with variations: 2 varies its own final cut after the render', async () => {
    const services = wired.useBackend('gemini');
    const { jobId } = await wired.generateJob({ variations: 2, variationSeed: 7 });
    await tickUntilFinal(services, jobId, testClock());
    const job = await wired.readJob(jobId);
    expect(job.scenes.map((s: { label: string; status: string }) => `${s.label}:${s.status}`)).toEqual([
      'Scene 1:completed', 'Scene 2:completed', 'Final cut:completed', 'Variation 1:completed', 'Variation 2:completed',
    ]);
    const final = stored(`${jobId}/final.mp4`)!;
    const [a, b] = [stored(`${jobId}/variation-01.mp4`)!, stored(`${jobId}/variation-02.mp4`)!];
    expect(new Set([a.sha256, b.sha256, final.sha256]).size).toBe(3);
    expect((await readMp4Info(a.data!)).hasVideo).toBe(true);
    // The job's own video is still the final cut, not a variation.
    expect(job.videoUrl).toContain(`/${jobId}/final.mp4`);
  });
});

describe("storyboard: 'model' (real @google/genai generateContent against the wire double)", () => {
  it("a valid structured answer becomes the storyboard; every clip keeps the request's length, whatever the model says", async () => {
    wired.useBackend('gemini');
    const before = veo.generates.length;
    veo.setBehavior({
      text: JSON.stringify({
        scenes: [
          { text: 'Sound is a pressure wave.', visualPrompt: 'Air molecules bunching and spreading in rings from a speaker', seconds: 5 },
          { text: 'The eardrum shakes.', visualPrompt: 'A close-up of an eardrum vibrating as the rings arrive', seconds: 8 },
          { text: 'The brain hears it.', visualPrompt: 'Nerve signals travelling from the inner ear to the brain', seconds: 7.9 },
        ],
      }),
    });
    const { jobId, scenes } = await wired.generateJob({ storyboard: 'model', maxScenes: 3 });
    expect(scenes).toBe(3);
    const job = await wired.readJob(jobId);
    expect(job).toMatchObject({ storyboardSource: 'model', storyboardNote: null });
    expect(job.storyboard.map((s: { text: string }) => s.text)).toEqual(['Sound is a pressure wave.', 'The eardrum shakes.', 'The brain hears it.']);
    // The request asked for 4 s clips (what Veo bills); the model's 5, 8 and 7.9 do not change that.
    expect(job.storyboard.map((s: { durationSeconds: number }) => s.durationSeconds)).toEqual([4, 4, 4]);
    expect(job.storyboard[1].prompt).toContain('A close-up of an eardrum vibrating');
    const sent = veo.generates.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.model).toBe(app.config.STORYBOARD_MODEL);
    expect(sent[0]!.body).toMatchObject({ generationConfig: { responseMimeType: 'application/json' } });
    expect(JSON.stringify(sent[0]!.body)).toContain('one video clip of 4 seconds');
  });

  it('a previewed model storyboard is asked for once: generate makes the approved scenes without asking again', async () => {
    wired.useBackend('gemini');
    const before = veo.generates.length;
    veo.setBehavior({
      text: JSON.stringify({
        scenes: [
          { text: 'Sound is a pressure wave.', visualPrompt: 'Rings of air spreading from a speaker', seconds: 4 },
          { text: 'The eardrum shakes.', visualPrompt: 'An eardrum vibrating', seconds: 4 },
        ],
      }),
    });
    const res = await app.call(storyboard, 'POST', '/api/video/storyboard', { body: { response: SAMPLE_ANSWER, storyboard: 'model', maxScenes: 3, durationSeconds: 4 } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ storyboardSource: 'model', storyboardNote: null });
    expect(res.json.scenes.map((s: { text: string }) => s.text)).toEqual(['Sound is a pressure wave.', 'The eardrum shakes.']);
    expect(veo.generates.length - before).toBe(1);

    const approved = [{ text: res.json.scenes[1].text }, { text: 'And the brain hears it. (added by the professor)' }];
    const { jobId, scenes } = await wired.generateJob({ storyboard: 'model', maxScenes: 3, scenes: approved });
    expect(scenes).toBe(2);
    const job = await wired.readJob(jobId);
    expect(job).toMatchObject({ storyboardSource: 'model', storyboardNote: null });
    expect(job.storyboard.map((s: { text: string }) => s.text)).toEqual(approved.map((s) => s.text));
    expect(veo.generates.length - before).toBe(1);
  });

  const fallbacks: Array<[string, () => void, RegExp]> = [
    ['malformed JSON', () => veo.setBehavior({ text: 'Sure! Here is your storyboard: scene one…' }), /did not return valid JSON/],
    ['JSON that fails the schema', () => veo.setBehavior({ text: JSON.stringify({ scenes: [{ text: '', visualPrompt: 'x' }] }) }), /did not validate/],
    ['too many scenes', () => veo.setBehavior({ text: JSON.stringify({ scenes: Array.from({ length: 4 }, () => ({ text: 'a', visualPrompt: 'b', seconds: 8 })) }) }), /4 scenes, more than the 2/],
    ['an HTTP 500', () => veo.setBehavior({ script: [{ route: 'generate', status: 500 }] }), /HTTP 500/],
  ];
  for (const [name, arrange, reason] of fallbacks) {
    it(`${name} → the deterministic splitter, and the job says why`, async () => {
      wired.useBackend('gemini');
      arrange();
      const { jobId, scenes } = await wired.generateJob({ storyboard: 'model', maxScenes: 2 });
      expect(scenes).toBe(2);
      const job = await wired.readJob(jobId);
      expect(job.storyboardSource).toBe('splitter');
      expect(job.storyboardNote).toMatch(reason);
      expect(job.storyboard[0].text).toBe('Sound is a wave of pressure that travels through the air around us.');
    });
  }

  it('a model slower than STORYBOARD_TIMEOUT_MS does not hold the request: it falls back in time', async () => {
    wired.useBackend('gemini', { STORYBOARD_TIMEOUT_MS: '500' });
    veo.setBehavior({ script: [{ route: 'generate', delayMs: 5000 }] });
    const started = Date.now();
    const { jobId } = await wired.generateJob({ storyboard: 'model' });
    expect(Date.now() - started).toBeLessThan(3000);
    const job = await wired.readJob(jobId);
    expect(job).toMatchObject({ storyboardSource: 'splitter' });
    expect(job.storyboardNote).toMatch(/timed out|cancelled/);
  });
});

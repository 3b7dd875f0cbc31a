/**
 * From an answer to a finished explainer with the local parts `npm start` uses (the Veo stand-in
 * rendering real MP4s and PNGs with ffmpeg, the local-folder store, real Postgres, the real
 * handlers and tick): the stitched final cut and its poster, image-only jobs, and variations,
 * all through POST /api/video/generate and GET /api/video/jobs/:id.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { readMp4Info } from '../lib/media/mp4.js';
import { createLocalProvider } from '../lib/providers/local.js';
import { serveLocalFile } from '../lib/storage/local.js';
import { runTick } from '../lib/tick/run-tick.js';
import { createTestApp, type TestApp } from './support/app.js';
import { testClock, tickUntilFinal } from './support/ticks.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('explainer-local', { QUOTA_JOBS_PER_HOUR: '1000', QUOTA_ACTIVE_JOBS: '1000' });
});
afterAll(() => app.close());
// A test that reconfigures (a slow stand-in, one scene at a time) never hands that to the next,
// even when it fails half-way.
afterEach(() => void app.reconfigure());

const answer = [
  'Plants make their own food from sunlight, water and air, in a process called photosynthesis.',
  'Roots drink water from the soil and send it up the stem to every leaf of the plant.',
  'Leaves breathe in carbon dioxide through tiny pores and breathe out the oxygen we need.',
].join('\n\n');

async function fetchBytes(url: string): Promise<Buffer> {
  const res = await serveLocalFile(app.config, new Request(url));
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function view(jobId: string) {
  const res = await app.call(getJob, 'GET', `/api/video/jobs/${jobId}?id=${jobId}`);
  expect(res.status).toBe(200);
  return res.json;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a three-paragraph answer becomes one playable final cut with a poster', () => {
  it('three scenes, per-scene progress while ticking, then final.mp4 (duration = sum of scenes) and poster.jpg on the escalation', async () => {
    // The stand-in finishes a clip two minutes (of the test clock) after it starts, and only one
    // runs at a time, so every scene is seen in progress.
    const env = { LOCAL_VIDEO_DELAY_MS: '120000', MAX_IN_FLIGHT: '1' };
    app.reconfigure(env);
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, durationSeconds: 4 } });
    const clock = testClock(Date.now() + 1000);
    const provider = createLocalProvider(app.config, { now: () => clock.now().getTime() });
    const services = app.reconfigure(env, { provider });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ units: 3, unit: 'scene', scenes: 3 });
    const { jobId, escalationId } = created.json;

    const steps: string[] = [];
    const progress: number[] = [];
    const generating: number[] = [];
    for (let i = 0; i < 40; i++) {
      await runTick(services, { now: clock.now, linger: false, random: () => 0.5 });
      const job = await view(jobId);
      steps.push(job.currentStep);
      progress.push(job.progress);
      for (const s of job.scenes) if (s.kind === 'veo_scene' && s.status === 'processing') generating.push(s.progress);
      if (job.status === 'completed' || job.status === 'failed') break;
      clock.advance(61_000);
    }
    for (const n of [1, 2, 3]) expect(steps).toContain(`Generating scene ${n}/3`);
    expect(steps.at(-1)).toBe('Done: 3 of 3 scenes ready, final cut ready');
    // Progress only ever grows, and reaches 100 at the end.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    // A scene being generated shows its own share of that progress, not 0.
    expect(generating.length).toBeGreaterThan(0);
    expect(Math.min(...generating)).toBeGreaterThan(0);
    expect(Math.max(...generating)).toBeLessThan(100);

    const job = await view(jobId);
    expect(job).toMatchObject({ status: 'completed', error: null, kind: 'video' });
    expect(job.videoUrl).toMatch(new RegExp(`/${jobId}/final\\.mp4\\?token=[\\w.-]+$`));
    expect(job.posterUrl).toMatch(new RegExp(`/${jobId}/poster\\.jpg\\?token=[\\w.-]+$`));
    const scenes = job.scenes.filter((s: { kind: string }) => s.kind === 'veo_scene');
    expect(scenes.map((s: { label: string }) => s.label)).toEqual(['Scene 1', 'Scene 2', 'Scene 3']);
    // Every task says when work on it began, the final cut (done in one step) included.
    for (const task of job.scenes) {
      expect(task.startedAt, task.label).not.toBeNull();
      expect(Date.parse(task.startedAt)).toBeLessThanOrEqual(Date.parse(task.completedAt));
    }
    let sum = 0;
    for (const scene of scenes) sum += (await readMp4Info(await fetchBytes(scene.url))).durationSeconds;

    const final = await readMp4Info(await fetchBytes(job.videoUrl));
    expect(final.hasVideo).toBe(true);
    expect(final.hasAudio).toBe(true);
    expect(final.durationSeconds).toBeGreaterThan(sum - 0.15);
    expect(final.durationSeconds).toBeLessThan(sum + 0.15);
    expect(sum).toBeGreaterThan(11.5);
    const poster = await fetchBytes(job.posterUrl);
    expect(poster.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    // The escalation holds the same files; each URL is signed when it is written or read, so a
    // second may part their signatures.
    const unsigned = (url: string) => url.split('?')[0];
    const esc = await app.database.db.query('select video_generation_status, video_url, poster_url from escalations where id = $1', [escalationId]);
    expect(esc.rows[0].video_generation_status).toBe('completed');
    expect([unsigned(esc.rows[0].video_url), unsigned(esc.rows[0].poster_url)]).toEqual([unsigned(job.videoUrl), unsigned(job.posterUrl)]);
  });

  it('a render whose scenes all failed fails the job with the reason', async () => {
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'Everything here is [[blocked]] by the stand-in safety filter.', durationSeconds: 4 } });
    await tickUntilFinal(app.services, created.json.jobId, testClock());
    const job = await view(created.json.jobId);
    expect(job.status).toBe('failed');
    expect(job.videoUrl).toBeNull();
    expect(job.scenes.at(-1)).toMatchObject({ kind: 'render', status: 'failed', errorCode: 'no_scenes' });
    expect(job.error).toMatch(/Scene 1: .*safety.*; Final cut: No scene could be generated/);
    expect(job.currentStep).toBe('Failed: no scene could be generated');
  });
});

describe('image jobs and variation jobs through the same endpoints', () => {
  it("kind 'image' makes one PNG still per scene and puts the first on the escalation as its poster", async () => {
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, kind: 'image', aspectRatio: '9:16' } });
    expect(created.status).toBe(202);
    // Counted in stills; `scenes` keeps the count under its older name.
    expect(created.json).toMatchObject({ units: 3, unit: 'still', scenes: 3 });
    await tickUntilFinal(app.services, created.json.jobId, testClock());
    const job = await view(created.json.jobId);
    expect(job).toMatchObject({ status: 'completed', kind: 'image', videoUrl: null, currentStep: 'Done: 3 of 3 stills ready' });
    expect(job.scenes.map((s: { kind: string; label: string }) => `${s.kind}:${s.label}`)).toEqual(['imagen_still:Still 1', 'imagen_still:Still 2', 'imagen_still:Still 3']);
    const stills = await Promise.all(job.scenes.map((s: { url: string }) => fetchBytes(s.url)));
    for (const png of stills) {
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // IHDR width and height: portrait, as asked.
      expect(png.readUInt32BE(16)).toBeLessThan(png.readUInt32BE(20));
    }
    expect(new Set(stills.map(sha)).size).toBe(3);
    // The same object; each URL is signed when it is read, so a second may part their signatures.
    const unsigned = (url: string) => url.split('?')[0];
    expect(unsigned(job.posterUrl)).toBe(unsigned(job.scenes[0].url));
    const esc = await app.database.db.query('select poster_url, video_url from escalations where id = $1', [created.json.escalationId]);
    expect(esc.rows[0].video_url).toBeNull();
    expect(unsigned(esc.rows[0].poster_url)).toBe(unsigned(job.posterUrl));
  });

  it("kind 'variations' of a finished job: N distinct videos, each unlike the source, reproducible from the stored seed", async () => {
    const source = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, durationSeconds: 4, maxScenes: 1 } });
    await tickUntilFinal(app.services, source.json.jobId, testClock());
    const finished = await view(source.json.jobId);
    const sourceBytes = await fetchBytes(finished.videoUrl);
    const sourceInfo = await readMp4Info(sourceBytes);

    const body = { response: answer, kind: 'variations', sourceJobId: source.json.jobId, variations: 4, variationSeed: 1234 };
    const created = await app.call(generate, 'POST', '/api/video/generate', { body });
    expect(created.status).toBe(202);
    expect(created.json.scenes).toBe(4);
    await tickUntilFinal(app.services, created.json.jobId, testClock());
    const job = await view(created.json.jobId);
    expect(job).toMatchObject({ status: 'completed', kind: 'variations', currentStep: 'Done: 4 of 4 variations ready' });
    const files = await Promise.all(job.scenes.map((s: { url: string }) => fetchBytes(s.url)));
    const hashes = files.map(sha);
    expect(new Set(hashes).size).toBe(4);
    expect(hashes).not.toContain(sha(sourceBytes));
    const descriptions = job.scenes.map((s: { description: string }) => s.description);
    expect(new Set(descriptions).size).toBe(4);
    for (const [i, file] of files.entries()) {
      const info = await readMp4Info(file);
      expect(info.hasVideo).toBe(true);
      expect([info.width, info.height]).toEqual([sourceInfo.width, sourceInfo.height]);
      expect(job.scenes[i].progress).toBe(100);
      // A speed effect changes the length by exactly its factor; without one the length stays.
      const speed = /speed ([\d.]+)x/.exec(descriptions[i])?.[1];
      expect(info.durationSeconds).toBeCloseTo(sourceInfo.durationSeconds / Number(speed ?? 1), 0);
    }

    // Same seed, same effects: the set is reproducible.
    const again = await app.call(generate, 'POST', '/api/video/generate', { body });
    const { rows } = await app.database.db.query(
      `select job_id, input->>'seed' as seed, input->>'index' as index from video_tasks where job_id = any($1) order by job_id, position`,
      [[created.json.jobId, again.json.jobId]],
    );
    expect(new Set(rows.map((r) => r.seed))).toEqual(new Set(['1234']));
  });

  it('a failed variation does not block the others', async () => {
    const source = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, durationSeconds: 4, maxScenes: 1 } });
    await tickUntilFinal(app.services, source.json.jobId, testClock());
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, kind: 'variations', sourceJobId: source.json.jobId, variations: 3 } });
    expect(created.json).toMatchObject({ units: 3, unit: 'variation' });
    // Variation 2 is given effects from a set it is not part of: it fails on its own.
    await app.database.db.query(`update video_tasks set input = jsonb_set(input, '{index}', '7') where job_id = $1 and position = 1`, [created.json.jobId]);
    await tickUntilFinal(app.services, created.json.jobId, testClock());
    const job = await view(created.json.jobId);
    expect(job.status).toBe('completed');
    expect(job.scenes.map((s: { status: string }) => s.status)).toEqual(['completed', 'failed', 'completed']);
    // Named by the unit planning recorded (video_tasks.unit), not by the input the test tampered with.
    expect(job.error).toMatch(/^Variation 2: /);
    expect(job.currentStep).toBe('Done: 2 of 3 variations ready, 1 failed');
  });

  it('refuses variations of a job that is not finished, of a stranger, or without a source, naming the field', async () => {
    const pending = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer } });
    const notReady = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, kind: 'variations', sourceJobId: pending.json.jobId } });
    expect(notReady.status).toBe(409);
    expect(notReady.json.error.fields).toHaveProperty('sourceJobId');
    const stranger = await app.call(generate, 'POST', '/api/video/generate', {
      body: { response: answer, kind: 'variations', sourceJobId: pending.json.jobId },
      as: '11111111-2222-4333-8444-555555555555',
    });
    expect(stranger.status).toBe(404);
    expect(stranger.json.error.fields).toHaveProperty('sourceJobId');
    const missing = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, kind: 'variations' } });
    expect(missing.status).toBe(400);
    expect(missing.json.error.fields).toHaveProperty('sourceJobId');
    const keyframesOnImage = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, kind: 'image', keyframes: true } });
    expect(keyframesOnImage.status).toBe(400);
    expect(keyframesOnImage.json.error.fields).toHaveProperty('keyframes');
  });
});

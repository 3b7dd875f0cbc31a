/**
 * Luma through the whole service: the real `lumaai` SDK against the Luma wire double, the real
 * `@google/genai` against the Veo double (for stills and for jobs that name Veo), the real
 * supabase-js against the Storage double, real Postgres, the real handlers and tick. A job made
 * on Luma ends with its final cut and poster like a Veo job; a job may name its provider; a retry
 * may move failed scenes to another; an empty Luma account pauses Luma's starts instead of
 * failing the scenes; a Luma callback makes its task be polled at once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { readMp4Info } from '../lib/media/mp4.js';
import { runTick } from '../lib/tick/run-tick.js';
import { type LumaJobFailure, type LumaWire, startLumaWire } from './doubles/luma-wire.js';
import { serveApi, type ApiServer } from './support/api-server.js';
import { sum, testClock, tickUntilFinal } from './support/ticks.js';
import { BUCKET, sampleMp4, startWired, type Wired } from './support/wired.js';

const THREE_PARAGRAPHS = [
  'Photosynthesis turns light into chemical energy inside the leaves of a plant.',
  'Chlorophyll absorbs red and blue light and reflects green, which is why leaves look green.',
  'The sugar it makes feeds the plant, and the oxygen it releases is the air we breathe.',
].join('\n\n');

let w: Wired;
let luma: LumaWire;
let api: ApiServer;
let callbackOrigin: string;

/** The env every reconfigure keeps: Luma the default, Veo (the wired key) also configured. */
const lumaEnv = (more: Record<string, string> = {}) => ({
  VIDEO_PROVIDER: 'luma',
  LUMA_API_KEY: luma.apiKey,
  LUMA_BASE_URL: luma.baseUrl,
  LUMA_MODEL: 'ray-2',
  QUOTA_JOBS_PER_HOUR: '1000',
  QUOTA_ACTIVE_JOBS: '1000',
  ...more,
});

async function generateJob(body: Record<string, unknown>): Promise<string> {
  const res = await w.app.call(generate, 'POST', '/api/video/generate', { body: { response: THREE_PARAGRAPHS, ...body } });
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  return (res.json as { jobId: string }).jobId;
}

async function scenes(jobId: string) {
  const { rows } = await w.services.db.query<{ status: string; provider: string | null; operation_name: string | null; attempts: number; input: { durationSeconds: number } }>(
    `select status, provider, operation_name, attempts, input from video_tasks where job_id = $1 and kind = 'veo_scene' order by position`,
    [jobId],
  );
  return rows;
}

/**
 * A one-scene job on Luma whose every generation fails on Luma's side with `reason`, under
 * MAX_PROVIDER_RESTARTS `restarts`, ticked until final: the job, its scene and how many
 * generations Luma was asked for.
 */
async function sceneLumaKeepsFailing(restarts: string, reason: LumaJobFailure, response: string) {
  w.reconfigure(lumaEnv({ MAX_PROVIDER_RESTARTS: restarts }));
  luma.setBehavior({ outcome: 'failed', pollsUntilDone: 1, failureReason: reason });
  const before = luma.creates.length;
  const jobId = await generateJob({ maxScenes: 1, response, durationSeconds: 5 });
  await tickUntilFinal(w.services, jobId, testClock());
  const job = await w.readJob(jobId);
  return { jobId, job, scene: job.scenes.find((s: { kind: string }) => s.kind === 'veo_scene'), generations: luma.creates.length - before };
}

beforeAll(async () => {
  w = await startWired('luma-pipeline');
  luma = await startLumaWire({ pollsUntilDone: 2, video: await sampleMp4(w.app.storageDir) });
  // Luma POSTs callbacks over HTTP: the api/ folder served as npm start serves it.
  api = await serveApi();
  callbackOrigin = api.origin;
}, 60_000);

afterAll(async () => {
  await luma?.close();
  await api?.close();
  await w?.close();
});

beforeEach(async () => {
  luma.setBehavior({ outcome: 'video', pollsUntilDone: 2, outOfCredits: false, script: [], doneAfterMs: undefined });
  w.reconfigure(lumaEnv());
  await w.app.runAfterResponse();
});

describe('VIDEO_PROVIDER=luma: a three-paragraph answer to a finished explainer', () => {
  it('makes every scene on Luma in its terms, then the final cut and poster through the same tick', async () => {
    const veoCreates = w.veo.creates.length;
    const lumaCreates = luma.creates.length;
    const jobId = await generateJob({});
    expect((await scenes(jobId)).map((s) => s.provider)).toEqual(['luma', 'luma', 'luma']);
    await tickUntilFinal(w.services, jobId, testClock());
    const job = await w.readJob(jobId);
    expect(job).toMatchObject({ status: 'completed', provider: 'luma', currentStep: 'Done: 3 of 3 scenes ready, final cut ready' });
    expect(job.scenes.filter((s: { kind: string }) => s.kind === 'veo_scene').map((s: { provider: string; durationSeconds: number }) => [s.provider, s.durationSeconds])).toEqual([
      ['luma', 9],
      ['luma', 9],
      ['luma', 9],
    ]);
    // Luma's own words: its model, "9s" (the longest it makes, the default), the pinned resolution.
    expect(luma.creates.slice(lumaCreates)).toHaveLength(3);
    for (const c of luma.creates.slice(lumaCreates)) expect(c).toMatchObject({ model: 'ray-2', duration: '9s', aspect_ratio: '16:9', resolution: '720p' });
    expect(w.veo.creates.length).toBe(veoCreates);
    // The cut is the three downloaded clips end to end, with its poster, in Storage.
    const final = w.storage.objects.get(`${BUCKET}/${jobId}/final.mp4`);
    const clip = await readMp4Info(await sampleMp4(w.app.storageDir));
    expect((await readMp4Info(final!.data!)).durationSeconds).toBeCloseTo(3 * clip.durationSeconds, 1);
    expect(w.storage.objects.get(`${BUCKET}/${jobId}/poster.jpg`)?.contentType).toBe('image/jpeg');
    expect(job.videoUrl).toMatch(/\/object\/sign\/explainer-videos\/.+\/final\.mp4\?token=/);
  });

  it('hands Luma each keyframe as a signed Storage URL, which Luma fetches', async () => {
    const before = luma.creates.length;
    const fetched = luma.keyframeFetches.length;
    const jobId = await generateJob({ keyframes: true, maxScenes: 1, response: 'Plants drink light.', durationSeconds: 5 });
    await tickUntilFinal(w.services, jobId, testClock());
    expect((await w.readJob(jobId)).status).toBe('completed');
    const frame0 = (luma.creates[before]!.keyframes as { frame0: { type: string; url: string } }).frame0;
    expect(frame0.type).toBe('image');
    expect(frame0.url).toMatch(new RegExp(`^${w.storage.url}/storage/v1/object/sign/${BUCKET}/${jobId}/keyframe-01\\.\\w+\\?token=`));
    expect(luma.keyframeFetches.slice(fetched)).toEqual([{ url: frame0.url, status: 200 }]);
  });

  it('a job may name its provider; a provider not configured, or a length it does not make, is a 400 naming the field', async () => {
    const veoCreates = w.veo.creates.length;
    const jobId = await generateJob({ provider: 'veo', maxScenes: 1, response: 'One idea.', durationSeconds: 8 });
    await tickUntilFinal(w.services, jobId, testClock());
    expect(w.veo.creates.length).toBe(veoCreates + 1);
    expect((await scenes(jobId))[0]).toMatchObject({ provider: 'veo', status: 'completed' });

    const onlyLuma = w.reconfigure(lumaEnv({ GEMINI_API_KEY: '' }));
    expect(onlyLuma.config.providers).toEqual(['luma', 'local']);
    let res = await w.app.call(generate, 'POST', '/api/video/generate', { body: { response: 'x', provider: 'veo' } });
    expect(res.status).toBe(400);
    expect(res.json.error.fields).toEqual({ provider: 'must be one of the providers configured here: luma, local' });
    res = await w.app.call(generate, 'POST', '/api/video/generate', { body: { response: 'x', durationSeconds: 8 } });
    expect(res.status).toBe(400);
    expect(res.json.error.fields.durationSeconds).toMatch(/must be one of 4, 5, 6, 8, 9|must be one of 5, 9 for luma \(ray-2\)/);
    res = await w.app.call(generate, 'POST', '/api/video/generate', { body: { response: 'x', durationSeconds: 6 } });
    expect(res.status).toBe(400);
    expect(res.json.error.fields).toEqual({ durationSeconds: 'must be one of 5, 9 for luma (ray-2)' });
  });
});

describe('Luma refusals, failures and credits', () => {
  it("a moderation refusal ends the scene safety_filtered in plain words; a retry naming Veo remakes it at Veo's nearest length and says so", async () => {
    luma.setBehavior({ outcome: 'moderation' });
    const jobId = await generateJob({ maxScenes: 1, response: 'A single scene.', durationSeconds: 9 });
    await tickUntilFinal(w.services, jobId, testClock());
    let job = await w.readJob(jobId);
    expect(job.status).toBe('failed');
    const failed = job.scenes.find((s: { kind: string }) => s.kind === 'veo_scene');
    expect(failed).toMatchObject({ errorCode: 'safety_filtered', provider: 'luma' });
    expect(failed.error).toBe(`Luma's moderation refused the video: its language check judged the scene's prompt unsuitable (Luma said: "Advanced prompt moderation failed")`);

    const res = await w.app.call(retry, 'POST', `/api/video/jobs/${jobId}/retry?id=${jobId}`, { body: { provider: 'veo' } });
    expect(res.status).toBe(202);
    const moved = res.json.scenes.find((s: { kind: string }) => s.kind === 'veo_scene');
    expect(moved).toMatchObject({ provider: 'veo', durationSeconds: 8, status: 'pending' });
    expect(moved.note).toBe('Made at 8 s on Google Veo, which makes 4 or 6 or 8 s clips (veo-3.1-fast-generate-preview); this scene asked for 9 s');
    const veoCreates = w.veo.creates.length;
    await tickUntilFinal(w.services, jobId, testClock());
    job = await w.readJob(jobId);
    expect(job.status).toBe('completed');
    expect(w.veo.creates.length).toBe(veoCreates + 1);
    expect((w.veo.creates.at(-1)!.body as { parameters: { durationSeconds: number } }).parameters.durationSeconds).toBe(8);

    const bad = await w.app.call(retry, 'POST', `/api/video/jobs/${jobId}/retry?id=${jobId}`, { body: { provider: 'runway' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields).toEqual({ provider: 'must be one of the providers configured here: luma, veo, local' });
  });

  it('a start Luma refuses because it could not check the keyframe ("failed to moderate image") is tried again with a new link, not failed as a safety refusal', async () => {
    const before = luma.creates.length;
    const requests = luma.requests.create;
    luma.setBehavior({ script: [{ route: 'create', status: 400, detail: 'failed to moderate image' }] });
    const jobId = await generateJob({ keyframes: true, maxScenes: 1, response: 'Plants drink light.', durationSeconds: 5 });
    const results = await tickUntilFinal(w.services, jobId, testClock());
    const job = await w.readJob(jobId);
    expect(job.status).toBe('completed');
    expect(sum(results, 'retried')).toBe(1);
    // Two starts, the first refused; Luma fetched the keyframe the second one handed it.
    expect(luma.requests.create - requests).toBe(2);
    expect(luma.creates.length - before).toBe(1);
    const frame0 = (luma.creates[before]!.keyframes as { frame0: { url: string } }).frame0;
    expect(luma.keyframeFetches.at(-1)).toEqual({ url: frame0.url, status: 200 });
  });

  it('an empty Luma account pauses new Luma starts: the scenes wait with no attempt used, Veo jobs go on, and they start once the pause ends', async () => {
    luma.setBehavior({ outOfCredits: true });
    w.reconfigure(lumaEnv({ PROVIDER_PAUSE_MINUTES: '10' }));
    const jobId = await generateJob({ maxScenes: 2 });
    const veoJob = await generateJob({ provider: 'veo', maxScenes: 1, response: 'Veo still works.', durationSeconds: 4 });
    const clock = testClock();
    await runTick(w.services, { now: clock.now, linger: false });
    const waiting = await scenes(jobId);
    expect(waiting.map((s) => [s.status, s.attempts, s.operation_name])).toEqual([
      ['pending', 0, null],
      ['pending', 0, null],
    ]);
    const { rows: pauses } = await w.services.db.query<{ provider: string; reason: string; paused_until: Date }>('select * from video_provider_pauses');
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({ provider: 'luma', reason: expect.stringMatching(/no credits left/) });
    expect(pauses[0]!.paused_until.getTime()).toBe(clock.now().getTime() + 10 * 60_000);
    // The professor sees why the scenes wait, not a queue position.
    expect((await w.readJob(jobId)).currentStep).toMatch(/^Waiting: new Luma clips are paused until \d\d:\d\d UTC; the scenes start then$/);
    // Only one start met the refusal: the claim gives a paused provider no room afterwards.
    const refusedCreates = luma.requests.create;
    expect((await scenes(veoJob))[0]!.status).toBe('processing');
    clock.advance(5 * 60_000);
    await runTick(w.services, { now: clock.now, linger: false });
    expect(luma.requests.create).toBe(refusedCreates);
    expect((await scenes(jobId)).map((s) => s.status)).toEqual(['pending', 'pending']);

    luma.setBehavior({ outOfCredits: false });
    clock.advance(6 * 60_000);
    await tickUntilFinal(w.services, jobId, clock);
    expect((await w.readJob(jobId)).status).toBe('completed');
    await w.services.db.query('delete from video_provider_pauses');
  });

  it('a generation Luma fails on its own side ("Job failed") is made again, and the scene completes with no failure shown', async () => {
    luma.setBehavior({ outcome: 'failed', pollsUntilDone: 1 });
    const before = luma.creates.length;
    const jobId = await generateJob({ maxScenes: 1, response: 'Luma fails this one once.', durationSeconds: 5 });
    const clock = testClock();
    const restarted = async () => (await w.services.db.query<{ restarts: number; status: string; operation_name: string | null; error: string | null }>(
      `select restarts, status, operation_name, error from video_tasks where job_id = $1 and kind = 'veo_scene'`, [jobId])).rows[0]!;
    for (let i = 0; i < 5 && (await restarted()).restarts === 0; i++) {
      await runTick(w.services, { now: clock.now, linger: false });
      clock.advance(61_000);
    }
    // The failed generation is forgotten and the scene waits to start a new one; the job goes on.
    expect(await restarted()).toMatchObject({ restarts: 1, status: 'pending', operation_name: null, error: expect.stringMatching(/failed the job on Luma's side.*\(Luma said: "Job failed"\)$/) });
    expect((await w.readJob(jobId)).status).not.toBe('failed');
    luma.setBehavior({ outcome: 'video' });
    await tickUntilFinal(w.services, jobId, clock);
    const job = await w.readJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.scenes[0]).toMatchObject({ status: 'completed', error: null });
    expect(luma.creates.length - before).toBe(2);
  });

  it('a scene Luma keeps failing on its side ends after MAX_PROVIDER_RESTARTS new generations, saying so; a retry starts the count again', async () => {
    const { jobId, job, scene, generations } = await sceneLumaKeepsFailing('1', 'Prompt processing failed', 'Luma fails this one every time.');
    expect(job.status).toBe('failed');
    expect(scene).toMatchObject({ status: 'failed', errorCode: 'provider_error' });
    expect(scene.error).toBe(`Gave up after 2 generations: Luma could not make the video: its prompt system ran into a problem on Luma's side; a retry may work (Luma said: "Prompt processing failed")`);
    expect(generations).toBe(2);

    luma.setBehavior({ outcome: 'video', failureReason: 'Job failed' });
    const res = await w.app.call(retry, 'POST', `/api/video/jobs/${jobId}/retry?id=${jobId}`, { body: {} });
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    const { rows } = await w.services.db.query<{ restarts: number }>(`select restarts from video_tasks where job_id = $1 and kind = 'veo_scene'`, [jobId]);
    expect(rows[0]!.restarts).toBe(0);
    await tickUntilFinal(w.services, jobId, testClock());
    expect((await w.readJob(jobId)).status).toBe('completed');
  });

  it('with MAX_PROVIDER_RESTARTS=0 a failure on Luma\'s side stands as Luma gave it', async () => {
    const { job, scene, generations } = await sceneLumaKeepsFailing('0', 'Job failed', 'No second generation for this one.');
    expect(job.status).toBe('failed');
    expect(scene.error).toBe(`Luma could not make the video: its servers failed the job on Luma's side; a retry may work (Luma said: "Job failed")`);
    expect(generations).toBe(1);
  });

  it('a generation Luma forgot ends as a failure in plain words, never a stuck scene', async () => {
    const jobId = await generateJob({ maxScenes: 1, response: 'Forgotten.' });
    const clock = testClock();
    await runTick(w.services, { now: clock.now, linger: false });
    const [scene] = await scenes(jobId);
    luma.forget(scene!.operation_name!);
    clock.advance(61_000);
    await tickUntilFinal(w.services, jobId, clock);
    const job = await w.readJob(jobId);
    expect(job.status).toBe('failed');
    expect(job.scenes[0]).toMatchObject({ errorCode: 'provider_lost', error: expect.stringMatching(/Luma no longer knows generation .* \(it expired or was deleted\)/) });
  });
});

describe('Luma callbacks', () => {
  it('a callback makes its task be polled at once, with no tick; a forged one is refused and changes nothing', async () => {
    luma.setBehavior({ doneAfterMs: 400 });
    w.reconfigure(lumaEnv({ LUMA_CALLBACKS: 'true', PUBLIC_BASE_URL: callbackOrigin }));
    const jobId = await generateJob({ maxScenes: 1, response: 'Called back.' });
    await w.app.runAfterResponse(); // generate's start after its answer
    const [started] = await scenes(jobId);
    expect(started).toMatchObject({ status: 'processing' });
    const create = luma.creates.at(-1)!;
    const url = new URL(create.callback_url as string);
    expect(url.origin + url.pathname).toBe(`${callbackOrigin}/api/video/callbacks/luma`);
    expect(url.searchParams.get('task')).toMatch(/^[0-9a-f-]{36}$/);

    // Luma announces dreaming, then completed; each callback is answered 200 and polls the task.
    for (let i = 0; i < 100 && !luma.callbacks.some((c) => c.state === 'completed'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(luma.callbacks.filter((c) => c.state === 'completed')).toEqual([{ url: url.toString(), state: 'completed', status: 200 }]);
    for (let i = 0; i < 5; i++) await w.app.runAfterResponse();
    expect((await scenes(jobId))[0]!.status).toBe('completed');

    // A token for another task, or a tampered one: 401, and the task is not touched.
    const other = new URL(url);
    other.searchParams.set('task', '00000000-0000-4000-8000-000000000000');
    const forged = await fetch(other, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('invalid_callback_token');
    const tampered = new URL(url);
    // The first character, which carries six bits of the MAC (the last carries only four, and a
    // lenient base64url decoder reads some changes there as the same bytes), always changed.
    const token = url.searchParams.get('token')!;
    tampered.searchParams.set('token', `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`);
    expect((await fetch(tampered, { method: 'POST', body: '{}' })).status).toBe(401);
    const malformed = new URL(url);
    malformed.searchParams.set('token', 'short');
    const refused = await fetch(malformed, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { fields: Record<string, string> } }).error.fields).toEqual({ token: 'must be the token from the callback URL' });
  });
});

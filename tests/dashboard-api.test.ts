/**
 * The endpoints the dashboard's new-explainer form stands on, through the real handlers and a
 * real Postgres: the capabilities it offers, the storyboard preview that writes nothing, and
 * generate making exactly the scenes the professor approved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as capabilities } from '../api/video/capabilities.js';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { POST as storyboard } from '../api/video/storyboard.js';
import { capabilitiesSchema } from '../lib/jobs/capabilities.js';
import { storyboardResponseSchema, jobViewSchema } from '../lib/jobs/schemas.js';
import { generateRequestSchema, TEXT_LIMITS } from '../lib/jobs/generate-request.js';
import { allowedDurations } from '../lib/model-limits.js';
import { MAX_PROMPT_CHARS, scenePrompt, type Style } from '../lib/storyboard.js';
import { createTestApp, type TestApp } from './support/app.js';
import { tableCounts } from './support/db.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('dashboard-api', { QUOTA_JOBS_PER_HOUR: '2', QUOTA_ACTIVE_JOBS: '0', MAX_SCENES: '6', MAX_VARIATIONS: '4' });
});
afterAll(() => app.close());

const ANSWER = 'Water evaporates from the sea in the heat of the sun.\n\nThe vapour rises, cools and forms clouds.\n\nClouds grow heavy and it rains, and rivers carry the water back to the sea.';

describe('GET /api/video/capabilities', () => {
  it('offers exactly what generate accepts, from the same constants', async () => {
    const res = await app.call(capabilities, 'GET', '/api/video/capabilities');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    expect(res.headers.get('vary')).toBe('authorization');
    const caps = capabilitiesSchema.parse(res.json);
    expect(caps.operator).toBe(false);
    expect(caps.provider).toBe('local');
    expect(caps.video.durations).toEqual(allowedDurations(app.config.VEO_MODEL));
    expect(caps.video.durations).toContain(caps.video.defaultDuration);
    expect(caps.limits).toMatchObject({ responseChars: 8000, questionChars: 4000, maxScenes: 6, defaultMaxScenes: 5, maxVariations: 4, sceneTextChars: TEXT_LIMITS.sceneText, promptChars: MAX_PROMPT_CHARS });
    expect(caps.quotas).toEqual({ jobsPerHour: 2, activeJobs: 0 });
    expect(caps.modelStoryboard).toBe(false);
    // Each offered value passes generate's schema, and the first value past each limit does not.
    const schema = generateRequestSchema(app.config);
    for (const durationSeconds of caps.video.durations) for (const aspectRatio of caps.video.aspectRatios) for (const style of caps.styles) {
      expect(schema.safeParse({ response: 'x', durationSeconds, aspectRatio, style }).success).toBe(true);
    }
    expect(schema.safeParse({ response: 'x'.repeat(caps.limits.responseChars) }).success).toBe(true);
    expect(schema.safeParse({ response: 'x'.repeat(caps.limits.responseChars + 1) }).success).toBe(false);
    expect(schema.safeParse({ response: 'x', maxScenes: caps.limits.maxScenes + 1 }).success).toBe(false);
    expect(schema.safeParse({ response: 'x', variations: caps.limits.maxVariations + 1 }).success).toBe(false);
    expect(schema.safeParse({ response: 'x', scenes: [{ text: 'y'.repeat(caps.limits.sceneTextChars + 1) }] }).success).toBe(false);
  });

  it('says whether the caller is an operator: from app_metadata, never from user_metadata', async () => {
    const operatorOf = async (headers: Record<string, string>) =>
      capabilitiesSchema.parse((await app.call(capabilities, 'GET', '/api/video/capabilities', { as: null, headers })).json).operator;
    const PROFESSOR = '7b0c4a52-3f1e-4d2a-9c55-1d2e3f4a5b6c';
    expect(await operatorOf(await app.auth(PROFESSOR, 'authenticated', { app_metadata: { role: 'admin' } }))).toBe(true);
    expect(await operatorOf(await app.auth(PROFESSOR, 'authenticated', { user_metadata: { role: 'admin', admin: true } }))).toBe(false);
    expect(await operatorOf(await app.auth(null, 'service_role'))).toBe(true);
  });

  it('wants a signed-in caller', async () => {
    const res = await app.call(capabilities, 'GET', '/api/video/capabilities', { as: null });
    expect(res.status).toBe(401);
  });
});

describe('POST /api/video/storyboard', () => {
  it('answers the storyboard generate would make, and writes nothing, not even quota', async () => {
    const before = await tableCounts(app.database.db);
    for (let i = 0; i < 3; i++) {
      const res = await app.call(storyboard, 'POST', '/api/video/storyboard', { body: { response: ANSWER, question: 'Where does rain come from?', durationSeconds: 4 } });
      expect(res.status).toBe(200);
      const board = storyboardResponseSchema.parse(res.json);
      expect(board.scenes.map((s) => s.text)).toEqual([
        'Water evaporates from the sea in the heat of the sun.',
        'The vapour rises, cools and forms clouds.',
        'Clouds grow heavy and it rains, and rivers carry the water back to the sea.',
      ]);
      expect(board.scenes.every((s) => s.durationSeconds === 4 && s.prompt.includes(s.text))).toBe(true);
      expect(board.storyboardSource).toBe('splitter');
    }
    // Three previews past a quota of two jobs an hour: a preview is not a job.
    expect(await tableCounts(app.database.db)).toEqual(before);
  });

  it('refuses what generate refuses, by field, and a variations job, which has no storyboard', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'response'],
      [{ response: 'x', durationSeconds: 7 }, 'durationSeconds'],
      [{ response: 'x', kind: 'variations', sourceJobId: '9f1c6b8e-2d3a-4c5b-8e7f-0a1b2c3d4e5f' }, 'kind'],
      [{ response: 'x', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await app.call(storyboard, 'POST', '/api/video/storyboard', { body });
      expect(res.status, field).toBe(400);
      expect(Object.keys(res.json.error.fields), field).toContain(field);
    }
    expect((await app.call(storyboard, 'POST', '/api/video/storyboard', { body: { response: 'x' }, as: null })).status).toBe(401);
  });
});

describe('generate with the approved scenes', () => {
  it('makes exactly the scenes sent, in order, not the split of the answer', async () => {
    const scenes = [{ text: 'Clouds form from rising vapour. (edited)' }, { text: '  Rain falls back into the sea.  ' }];
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: ANSWER, scenes, durationSeconds: 4, style: 'fun' } });
    expect(res.status).toBe(202);
    const job = jobViewSchema.parse((await app.call(getJob, 'GET', `/api/video/jobs/${res.json.jobId}?id=${res.json.jobId}`)).json);
    expect(job.storyboard.map((s) => s.text)).toEqual(['Clouds form from rising vapour. (edited)', 'Rain falls back into the sea.']);
    expect(job.scenes.filter((s) => s.kind === 'veo_scene').map((s) => s.text)).toEqual(job.storyboard.map((s) => s.text));
    expect(job.storyboard[1]!.prompt).toContain('Scene 2 of 2');
    expect(job.request.response).toBe(ANSWER);
    expect(job.lastCheckedAt).not.toBeNull();
  });

  it('an Idempotency-Key covers the scenes: the same ones replay the job, other ones are a 422', async () => {
    const headers = { 'idempotency-key': 'approved-scenes-1' };
    const body = { response: ANSWER, scenes: [{ text: 'Vapour rises.' }, { text: 'Rain falls.' }] };
    const first = await app.call(generate, 'POST', '/api/video/generate', { body, headers });
    expect(first.status).toBe(202);
    const again = await app.call(generate, 'POST', '/api/video/generate', { body, headers });
    expect(again.status).toBe(200);
    expect(again.json.jobId).toBe(first.json.jobId);
    const edited = await app.call(generate, 'POST', '/api/video/generate', { body: { ...body, scenes: [{ text: 'Vapour rises.' }] }, headers });
    expect(edited.status).toBe(422);
  });

  it('refuses scenes that are empty, too long, too many, or on a variations job, naming each, and writes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ scenes: [] }, 'scenes'],
      [{ scenes: [{ text: 'ok' }, { text: '   ' }] }, 'scenes.1.text'],
      [{ scenes: [{ text: 'y'.repeat(TEXT_LIMITS.sceneText + 1) }] }, 'scenes.0.text'],
      [{ scenes: [{ text: 'a' }, { text: 'b' }, { text: 'c' }], maxScenes: 2 }, 'scenes'],
      [{ scenes: Array.from({ length: 7 }, () => ({ text: 'a' })), maxScenes: 6 }, 'scenes'],
      [{ scenes: [{ text: 'a', prompt: 'my own prompt' }] }, 'scenes.0.prompt'],
      [{ scenes: [{ text: 'a\u0000b' }] }, 'scenes.0.text'],
      [{ scenes: [{ text: 'a' }], kind: 'variations', sourceJobId: '9f1c6b8e-2d3a-4c5b-8e7f-0a1b2c3d4e5f' }, 'scenes'],
    ];
    const before = await tableCounts(app.database.db);
    for (const [extra, field] of cases) {
      const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: ANSWER, ...extra } });
      expect(res.status, field).toBe(400);
      expect(Object.keys(res.json.error.fields), JSON.stringify(res.json.error.fields)).toContain(field);
    }
    expect(await tableCounts(app.database.db)).toEqual(before);
  });

  it('a scene of the longest accepted text reaches its prompt whole, whatever the style and question', () => {
    const text = 'w '.repeat(TEXT_LIMITS.sceneText / 2).trim() + 'z';
    expect(text.length).toBeLessThanOrEqual(TEXT_LIMITS.sceneText);
    for (const style of ['fun', 'calm', 'background'] as Style[]) {
      const prompt = scenePrompt(text, 5, 6, { style, maxScenes: 6, durationSeconds: 8, question: 'q'.repeat(TEXT_LIMITS.question) }, 'The opening frame of this scene, as one still image');
      expect(prompt).toContain(text);
      expect(prompt.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
    }
  });
});

/**
 * The whole pipeline with the local parts `npm start` uses: the local Veo stand-in rendering real
 * MP4s with ffmpeg, the local-folder store, real Postgres, and the real handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { GET as poll } from '../api/video/poll.js';
import { readMp4Info } from '../lib/media/mp4.js';
import { serveLocalFile } from '../lib/storage/local.js';
import { createTestApp, type TestApp } from './support/app.js';
import { sum, testClock, tickUntilFinal } from './support/ticks.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('pipeline-local');
});
afterAll(() => app.close());

const answer = [
  'The moon makes no light of its own; it shines because sunlight bounces off its surface.',
  'As the moon circles the earth once a month, we see different amounts of its sunlit half.',
  'When the lit half faces us fully we call it a full moon, and when it faces away, a new moon.',
].join('\n\n');

async function fetchLocal(url: string): Promise<Response> {
  return serveLocalFile(app.config, new Request(url));
}

describe('pipeline with the local stand-in provider and the local store', () => {
  it('generate → poll ticks → completed job whose scene URLs serve playable MP4s', async () => {
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: answer, question: 'Why does the moon have phases?', durationSeconds: 4 } });
    expect(created.status).toBe(202);
    const { jobId, escalationId } = created.json;

    const queued = await app.call(getJob, 'GET', `/api/video/jobs/${jobId}?id=${jobId}`);
    expect(queued.json).toMatchObject({ status: 'pending', progress: 0 });
    expect(queued.json.currentStep).toMatch(/Queued: 3 scenes/);

    const clock = testClock();
    const results = await tickUntilFinal(app.services, jobId, clock);
    expect(sum(results, 'created')).toBe(3);
    // Three scenes and the final cut.
    expect(sum(results, 'uploaded')).toBe(4);

    const done = await app.call(getJob, 'GET', `/api/video/jobs/${jobId}?id=${jobId}`);
    expect(done.json).toMatchObject({ status: 'completed', progress: 100, error: null });
    const scenes = done.json.scenes.filter((s: { kind: string }) => s.kind === 'veo_scene');
    expect(scenes).toHaveLength(3);
    for (const scene of scenes) {
      expect(scene.status).toBe('completed');
      const res = await fetchLocal(scene.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      const info = await readMp4Info(Buffer.from(await res.arrayBuffer()));
      expect(info.hasVideo).toBe(true);
      expect(info.durationSeconds).toBeGreaterThan(3.5);
      expect(info.durationSeconds).toBeLessThan(4.5);
      expect(info.width).toBeGreaterThan(info.height);
    }
    const esc = await app.database.db.query('select video_generation_status, video_url, video_job_id from escalations where id = $1', [escalationId]);
    expect(esc.rows[0]).toMatchObject({ video_generation_status: 'completed', video_job_id: jobId });
    // The escalation points at the stitched final cut, not at a scene.
    expect(esc.rows[0].video_url).toMatch(new RegExp(`/${jobId}/final\\.mp4\\?token=[\\w.-]+$`));
  });

  it('the poll endpoint runs a tick and answers with its counts', async () => {
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'Water boils sooner on a mountain because the air pressure is lower.' } });
    const res = await app.call(poll, 'GET', '/api/video/poll');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ generationEnabled: true });
    expect(res.json.created).toBeGreaterThanOrEqual(1);
    for (const key of ['created', 'polled', 'completed', 'failed', 'uploaded', 'durationMs']) expect(typeof res.json[key]).toBe('number');
    const job = await app.call(getJob, 'GET', `/api/video/jobs/${created.json.jobId}?id=${created.json.jobId}`);
    expect(['processing', 'completed']).toContain(job.json.status);
  });

  it('one safety-blocked scene fails with a reason while the others complete (partial success)', async () => {
    const text = `${answer}\n\nThis part is [[blocked]] by the safety filter of the provider stand-in.`;
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: text, durationSeconds: 4 } });
    expect(created.json.scenes).toBe(4);
    await tickUntilFinal(app.services, created.json.jobId, testClock());
    const job = await app.call(getJob, 'GET', `/api/video/jobs/${created.json.jobId}?id=${created.json.jobId}`);
    expect(job.json.status).toBe('completed');
    expect(job.json.scenes.map((s: { status: string }) => s.status)).toEqual(['completed', 'completed', 'completed', 'failed', 'completed']);
    expect(job.json.scenes[4]).toMatchObject({ kind: 'render', label: 'Final cut' });
    expect(job.json.scenes[3]).toMatchObject({ errorCode: 'safety_filtered' });
    expect(job.json.scenes[3].error).toMatch(/safety/i);
    expect(job.json.error).toMatch(/^Scene 4: /);
    expect(job.json.currentStep).toMatch(/3 of 4 scenes ready, 1 failed, final cut ready/);
  });

  it('with VIDEO_GENERATION_ENABLED=false the tick starts nothing and says so', async () => {
    const services = app.reconfigure({ VIDEO_GENERATION_ENABLED: 'false' });
    const created = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'A kill switch stops new paid operations at once.' } });
    const res = await app.call(poll, 'GET', '/api/video/poll');
    expect(res.json).toMatchObject({ created: 0, generationEnabled: false });
    expect(res.json.message).toMatch(/VIDEO_GENERATION_ENABLED/);
    const { rows } = await services.db.query(`select status, operation_name from video_tasks where job_id = $1 and kind = 'veo_scene'`, [created.json.jobId]);
    expect(rows).toEqual([{ status: 'pending', operation_name: null }]);
    app.reconfigure();
  });

  it('GET /api/video/jobs/:id answers 400 for a malformed id and 404 for an unknown one', async () => {
    const bad = await app.call(getJob, 'GET', `/api/video/jobs/nope?id=nope`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields).toHaveProperty('id');
    const unknown = '0b7b6d8e-4c1a-4b8e-9f0a-000000000000';
    const missing = await app.call(getJob, 'GET', `/api/video/jobs/${unknown}?id=${unknown}`);
    expect(missing.status).toBe(404);
  });
});

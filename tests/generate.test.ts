/**
 * POST /api/video/generate through the real handler and a real Postgres: every validation rule
 * gets its 4xx naming the field and leaves the database untouched; a good request writes the
 * escalation, job and scenes in one go and answers 202 at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { GET as listJobs } from '../api/video/jobs/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { tableCounts } from './support/db.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('generate', { QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0' });
});
afterAll(() => app.close());

const good = {
  response:
    'Plants make their own food from sunlight in their leaves.\n\nRoots drink water from the soil and send it up the stem.\n\nLeaves breathe in carbon dioxide through tiny pores.',
};

describe('POST /api/video/generate refuses bad input and writes nothing', () => {
  const cases: Array<[string, { body?: unknown; raw?: string; headers?: Record<string, string> }, number, string]> = [
    ['missing response', { body: {} }, 400, 'response'],
    ['empty response', { body: { response: '' } }, 400, 'response'],
    ['blank response', { body: { response: '   \n ' } }, 400, 'response'],
    ['response over 8000 chars', { body: { response: 'a'.repeat(8001) } }, 400, 'response'],
    ['response not a string', { body: { response: 42 } }, 400, 'response'],
    ['NUL in response', { body: { response: 'bad\u0000byte' } }, 400, 'response'],
    ['unknown field', { body: { ...good, colour: 'red' } }, 400, 'colour'],
    ['bad style', { body: { ...good, style: 'loud' } }, 400, 'style'],
    ['bad aspect ratio', { body: { ...good, aspectRatio: '4:3' } }, 400, 'aspectRatio'],
    ['duration the model refuses', { body: { ...good, durationSeconds: 7 } }, 400, 'durationSeconds'],
    ['duration not an integer', { body: { ...good, durationSeconds: 6.5 } }, 400, 'durationSeconds'],
    ['escalationId not a uuid', { body: { ...good, escalationId: "1; drop table escalations" } }, 400, 'escalationId'],
    ['question too long', { body: { ...good, question: 'q'.repeat(4001) } }, 400, 'question'],
    ['negativePrompt not a string', { body: { ...good, negativePrompt: ['x'] } }, 400, 'negativePrompt'],
    ['maxScenes out of range', { body: { ...good, maxScenes: 0 } }, 400, 'maxScenes'],
    ['body is an array', { body: [good] }, 400, '(body)'],
    ['body not JSON', { raw: '{"response": "unterminated', headers: { 'content-type': 'application/json' } }, 400, '(body)'],
    ['empty body', { raw: '', headers: { 'content-type': 'application/json' } }, 400, '(body)'],
    ['wrong content type', { raw: 'response=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'content-type'],
  ];

  for (const [name, init, status, field] of cases) {
    it(`${name} → ${status} naming ${field}`, async () => {
      const before = await tableCounts(app.database.db);
      const res = await app.call(generate, 'POST', '/api/video/generate', init);
      expect(res.status).toBe(status);
      expect(res.json.error.fields).toHaveProperty([field]);
      expect(await tableCounts(app.database.db)).toEqual(before);
    });
  }

  it('a field named __proto__ or toString is refused by name, like any unknown field', async () => {
    const before = await tableCounts(app.database.db);
    const res = await app.call(generate, 'POST', '/api/video/generate', { raw: `{"response":"x","__proto__":{"a":1},"toString":1}`, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(Object.keys(res.json.error.fields).sort()).toEqual(['__proto__', 'toString']);
    expect(res.json.error.message).toContain('__proto__');
    expect(await tableCounts(app.database.db)).toEqual(before);
    const list = await app.call(listJobs, 'GET', '/api/video/jobs?__proto__=x&toString=1');
    expect(list.status).toBe(400);
    expect(Object.keys(list.json.error.fields).sort()).toEqual(['__proto__', 'toString']);
    expect(list.json.error.fields.toString).toBe('is not a known field');
  });

  it('an answer of emoji with no spaces is stored whole-charactered (202), half a character is a 400 naming response', async () => {
    const moon = await app.call(generate, 'POST', '/api/video/generate', { body: { response: `x${'🌕'.repeat(400)} is the full moon`, maxScenes: 1 } });
    expect(moon.status).toBe(202);
    const half = await app.call(generate, 'POST', '/api/video/generate', { raw: '{"response":"the moon \\ud83c is bright"}', headers: { 'content-type': 'application/json' } });
    expect(half.status).toBe(400);
    expect(half.json.error.fields.response).toMatch(/half of a character/);
  });

  it("a job records its request without the defaults of fields its kind does not use", async () => {
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: good.response, kind: 'image' } });
    expect(res.status).toBe(202);
    const { rows } = await app.database.db.query('select request from video_jobs where id = $1', [res.json.jobId]);
    expect(rows[0].request).toMatchObject({ kind: 'image', aspectRatio: '16:9', style: 'calm' });
    expect(rows[0].request).not.toHaveProperty('durationSeconds');
  });

  it('an answer longer than its scenes can carry says so in storyboardNote', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} explains one more idea about the water cycle in plenty of words.`).join('\n\n');
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response: long, maxScenes: 1 } });
    expect(res.status).toBe(202);
    const { rows } = await app.database.db.query('select storyboard_note from video_jobs where id = $1', [res.json.jobId]);
    expect(rows[0].storyboard_note).toMatch(/^The answer is longer than 1 clip prompt can hold: about \d+ of its \d+ characters reach no prompt/);
    const emoji = await app.call(generate, 'POST', '/api/video/generate', { body: { response: '🌑🌒🌓🌔🌕', question: 'Why does the moon change?' } });
    const { rows: moon } = await app.database.db.query('select storyboard_note, storyboard from video_jobs where id = $1', [emoji.json.jobId]);
    expect(moon[0].storyboard_note).toBe('The answer has no words or numbers to show, so the scene shows the question');
    expect(moon[0].storyboard[0].text).toBe('Why does the moon change?');
    const short = await app.call(generate, 'POST', '/api/video/generate', { body: good });
    const { rows: none } = await app.database.db.query('select storyboard_note from video_jobs where id = $1', [short.json.jobId]);
    expect(none[0].storyboard_note).toBeNull();
  });

  it('a body over 64 KB → 413, nothing written', async () => {
    const before = await tableCounts(app.database.db);
    const res = await app.call(generate, 'POST', '/api/video/generate', { raw: JSON.stringify({ response: 'a'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('payload_too_large');
    expect(await tableCounts(app.database.db)).toEqual(before);
  });

  it('an unknown escalationId → 404 naming escalationId, nothing written', async () => {
    const before = await tableCounts(app.database.db);
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { ...good, escalationId: '7b0e7a6c-1111-4222-8333-444455556666' } });
    expect(res.status).toBe(404);
    expect(res.json.error.fields).toHaveProperty(['escalationId']);
    expect(await tableCounts(app.database.db)).toEqual(before);
  });
});

describe('POST /api/video/generate records the job', () => {
  it('answers 202 with the job id and writes escalation, job and one task per scene', async () => {
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { ...good, question: 'How do plants eat?', style: 'fun', aspectRatio: '9:16', durationSeconds: 6 } });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ status: 'pending', units: 3, unit: 'scene', scenes: 3 });
    expect(res.json.statusUrl).toBe(`http://localhost:3000/api/video/jobs/${res.json.jobId}`);
    const db = app.database.db;
    const esc = await db.query('select * from escalations where id = $1', [res.json.escalationId]);
    expect(esc.rows[0]).toMatchObject({ video_generation_status: 'pending', video_job_id: res.json.jobId, question: 'How do plants eat?' });
    const tasks = await db.query(`select position, status, kind, input from video_tasks where job_id = $1 and kind = 'veo_scene' order by position`, [res.json.jobId]);
    expect(tasks.rows.map((t) => t.position)).toEqual([0, 1, 2]);
    expect(tasks.rows[2].input).toMatchObject({ aspectRatio: '9:16', durationSeconds: 6, text: 'Leaves breathe in carbon dioxide through tiny pores.' });
    expect(tasks.rows.every((t) => t.status === 'pending' && t.kind === 'veo_scene')).toBe(true);
  });

  it('statusUrl and Location come from configuration, never from the request host', async () => {
    const res = await generate(new Request('http://evil.example/api/video/generate', { method: 'POST', headers: { ...(await app.auth()), 'content-type': 'application/json' }, body: JSON.stringify(good) }));
    const body = (await res.json()) as { jobId: string; statusUrl: string };
    expect(body.statusUrl).toBe(`http://localhost:3000/api/video/jobs/${body.jobId}`);
    expect(res.headers.get('location')).toBe(body.statusUrl);
  });

  it('a second generate for an escalation with an active job returns that job (double click)', async () => {
    const first = await app.call(generate, 'POST', '/api/video/generate', { body: good });
    const again = await app.call(generate, 'POST', '/api/video/generate', { body: { ...good, escalationId: first.json.escalationId } });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ jobId: first.json.jobId, existing: true });
    const { rows } = await app.database.db.query('select count(*)::int as n from video_jobs where escalation_id = $1', [first.json.escalationId]);
    expect(rows[0].n).toBe(1);
  });

  it('a second generate with another answer, while the first job runs, leaves the escalation with the answer being made', async () => {
    const first = await app.call(generate, 'POST', '/api/video/generate', { body: { ...good, question: 'First question?' } });
    const again = await app.call(generate, 'POST', '/api/video/generate', {
      body: { ...good, response: 'A different answer altogether.', question: 'Second question?', escalationId: first.json.escalationId },
    });
    expect(again.json).toMatchObject({ jobId: first.json.jobId, existing: true });
    const { rows } = await app.database.db.query('select response, question from escalations where id = $1', [first.json.escalationId]);
    expect(rows[0]).toEqual({ response: good.response, question: 'First question?' });
  });

  it("the service role starting a job on a professor's escalation files it under that professor, who can then follow it", async () => {
    const mine = await app.call(generate, 'POST', '/api/video/generate', { body: good });
    await app.database.db.query(`update video_jobs set status = 'failed' where id = $1`, [mine.json.jobId]);
    const service = await app.auth(undefined, 'service_role');
    const started = await app.call(generate, 'POST', '/api/video/generate', { body: { ...good, escalationId: mine.json.escalationId }, as: null, headers: service });
    expect(started.status).toBe(202);
    const { rows } = await app.database.db.query('select owner_id from video_jobs where id = $1', [started.json.jobId]);
    const { rows: esc } = await app.database.db.query('select professor_id from escalations where id = $1', [mine.json.escalationId]);
    expect(rows[0].owner_id).toBe(esc[0].professor_id);
    expect(rows[0].owner_id).not.toBeNull();

    // Naming another professor for it is refused, naming the field, whether or not a job runs; nothing is written.
    const before = await tableCounts(app.database.db);
    const whileRunning = await app.call(generate, 'POST', '/api/video/generate', {
      body: { ...good, escalationId: mine.json.escalationId, professorId: '5b0c2d1e-7f3a-4c6b-9d8e-1a2b3c4d5e6f' },
      as: null,
      headers: service,
    });
    expect(whileRunning.status).toBe(400);
    await app.database.db.query(`update video_jobs set status = 'failed' where id = $1`, [started.json.jobId]);
    const other = await app.call(generate, 'POST', '/api/video/generate', {
      body: { ...good, escalationId: mine.json.escalationId, professorId: '5b0c2d1e-7f3a-4c6b-9d8e-1a2b3c4d5e6f' },
      as: null,
      headers: service,
    });
    expect(other.status).toBe(400);
    expect(other.json.error.fields).toHaveProperty('professorId');
    expect(await tableCounts(app.database.db)).toEqual(before);
  });

  it('concurrent generates for one escalation create one job', async () => {
    const first = await app.call(generate, 'POST', '/api/video/generate', { body: good });
    await app.database.db.query(`update video_jobs set status = 'failed' where id = $1`, [first.json.jobId]);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => app.call(generate, 'POST', '/api/video/generate', { body: { ...good, escalationId: first.json.escalationId } })),
    );
    const ids = new Set(results.map((r) => r.json.jobId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
  });
});

/**
 * Bad input to the new endpoints and the new generate fields, through the real handlers and a
 * real Postgres: each gets a 4xx naming the field (query parameter, header or body field), and
 * the database is exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { POST as cancel } from '../api/video/jobs/[id]/cancel.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { GET as listJobs } from '../api/video/jobs/index.js';
import { errorBodySchema } from '../lib/jobs/schemas.js';
import { encodeCursor } from '../lib/jobs/list.js';
import { createTestApp, type TestApp } from './support/app.js';
import { dbFingerprint } from './support/api-helpers.js';
import { testClock, tickUntilFinal } from './support/ticks.js';

let app: TestApp;
let jobId: string;
beforeAll(async () => {
  app = await createTestApp('api-input', { WEBHOOK_SECRET: 'whsec-input-tests-0123456789-abcdefghij' });
  jobId = (await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'A job that bad requests must leave alone.' } })).json.jobId;
});
afterAll(() => app.close());

type Init = { body?: unknown; raw?: string; headers?: Record<string, string> };

async function expectRefused(handler: (r: Request) => Promise<Response>, method: string, path: string, init: Init, status: number, field: string) {
  const before = await dbFingerprint(app.database.db);
  const res = await app.call(handler, method, path, init);
  expect(res.status).toBe(status);
  errorBodySchema.parse(res.json);
  expect(res.json.error.fields).toHaveProperty([field]);
  expect(await dbFingerprint(app.database.db)).toEqual(before);
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('GET /api/video/jobs: bad query → 400 naming the parameter', () => {
  const cases: Array<[string, string, string]> = [
    ['negative limit', 'limit=-1', 'limit'],
    ['zero limit', 'limit=0', 'limit'],
    ['limit over the cap', 'limit=101', 'limit'],
    ['huge limit', 'limit=99999999999999999999', 'limit'],
    ['exponent limit', 'limit=1e2', 'limit'],
    ['fractional limit', 'limit=1.5', 'limit'],
    ['empty limit', 'limit=', 'limit'],
    ['limit with spaces', 'limit=%205', 'limit'],
    ['limit twice', 'limit=1&limit=2', 'limit'],
    ['unknown status', 'status=weird', 'status'],
    ['status with NUL', 'status=pending%00', 'status'],
    ['SQL in escalationId', `escalationId=${encodeURIComponent("1' OR '1'='1")}`, 'escalationId'],
    ['unicode escalationId', `escalationId=${encodeURIComponent('０f0e0d0c-0b0a-4998-8776-655443322110')}`, 'escalationId'],
    ['unknown parameter', 'order=asc', 'order'],
    ['SQL-looking parameter name', `${encodeURIComponent('1;drop table video_jobs')}=1`, '1;drop table video_jobs'],
    ['cursor not base64url', 'cursor=!!!', 'cursor'],
    ['cursor of plain text', `cursor=${b64('hello')}`, 'cursor'],
    ['cursor with SQL', `cursor=${encodeURIComponent("' OR 1=1 --")}`, 'cursor'],
    ['cursor JSON of the wrong shape', `cursor=${b64('{"c":-1,"i":"x"}')}`, 'cursor'],
    ['cursor with an extra key', `cursor=${b64('{"c":1,"i":"0f0e0d0c-0b0a-4998-8776-655443322110","x":1}')}`, 'cursor'],
    ['cursor with an unsafe number', `cursor=${b64('{"c":1e300,"i":"0f0e0d0c-0b0a-4998-8776-655443322110"}')}`, 'cursor'],
    ['over-long cursor', `cursor=${'A'.repeat(500)}`, 'cursor'],
    ['emoji cursor', `cursor=${encodeURIComponent('🙂')}`, 'cursor'],
  ];
  for (const [name, query, field] of cases) {
    it(`${name} → 400 naming ${field}`, () => expectRefused(listJobs, 'GET', `/api/video/jobs?${query}`, {}, 400, field));
  }

  it('a well-formed cursor for a position past the end answers an empty page', async () => {
    const res = await app.call(listJobs, 'GET', `/api/video/jobs?cursor=${encodeCursor({ c: 0, i: '0f0e0d0c-0b0a-4998-8776-655443322110' })}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ jobs: [], nextCursor: null });
  });
});

describe('cancel and retry: bad id or body → 4xx naming it', () => {
  for (const [name, handler] of [['cancel', cancel], ['retry', retry]] as const) {
    const path = (id: string) => `/api/video/jobs/${encodeURIComponent(id)}/${name}?id=${encodeURIComponent(id)}`;
    const ids: Array<[string, string]> = [
      ['not a uuid', 'abc'],
      ['SQL', "1'; drop table video_jobs; --"],
      ['unicode digits', '０f0e0d0c-0b0a-4998-8776-655443322110'],
      ['zero-width joiner', `${'0f0e0d0c-0b0a-4998-8776-655443322110'}\u200d`],
      ['empty', ''],
    ];
    for (const [what, id] of ids) it(`${name}: id ${what} → 400 naming id`, () => expectRefused(handler, 'POST', path(id), {}, 400, 'id'));
    it(`${name}: unknown body field → 400 naming it`, () => expectRefused(handler, 'POST', path(jobId), { body: { force: true } }, 400, 'force'));
    it(`${name}: array body → 400 naming (body)`, () => expectRefused(handler, 'POST', path(jobId), { body: [1] }, 400, '(body)'));
    it(`${name}: broken JSON → 400 naming (body)`, () => expectRefused(handler, 'POST', path(jobId), { raw: '{"a":', headers: { 'content-type': 'application/json' } }, 400, '(body)'));
    it(`${name}: text/plain body → 415 naming content-type`, () => expectRefused(handler, 'POST', path(jobId), { raw: 'please', headers: { 'content-type': 'text/plain' } }, 415, 'content-type'));
    it(`${name}: body over 64 KB → 413, nothing changed`, async () => {
      const before = await dbFingerprint(app.database.db);
      const res = await app.call(handler, 'POST', path(jobId), { raw: JSON.stringify({ x: 'a'.repeat(70_000) }), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(await dbFingerprint(app.database.db)).toEqual(before);
    });
  }

  it('an empty body and {} are both fine (cancel answers 200)', async () => {
    const res = await app.call(cancel, 'POST', `/api/video/jobs/${jobId}/cancel?id=${jobId}`, { body: {} });
    expect(res.status).toBe(200);
    const again = await app.call(cancel, 'POST', `/api/video/jobs/${jobId}/cancel?id=${jobId}`);
    expect(again.status).toBe(200);
  });
});

describe('generate: bad Idempotency-Key or webhookUrl → 400 naming it', () => {
  const good = { response: 'Idempotency and webhooks need careful input checks.' };
  const keys: Array<[string, string]> = [
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space inside', 'two words'],
    ['latin-1 letters', 'cl\u00e9'],
  ];
  for (const [name, key] of keys) {
    it(`Idempotency-Key ${name} → 400`, () => expectRefused(generate, 'POST', '/api/video/generate', { body: good, headers: { 'idempotency-key': key } }, 400, 'Idempotency-Key'));
  }
  const urls: Array<[string, unknown]> = [
    ['javascript:', 'javascript:alert(1)'],
    ['plain http to a public host', 'http://example.com/hook'],
    ['ftp', 'ftp://example.com/hook'],
    ['credentials in the URL', 'https://user:pw@example.com/hook'],
    ['not a URL', 'not a url'],
    ['over 2048 characters', `https://example.com/${'a'.repeat(2100)}`],
    ['a number', 42],
    ['SQL', "https://x.example/'); drop table webhook_deliveries; --"],
  ];
  for (const [name, webhookUrl] of urls.slice(0, 7)) {
    it(`webhookUrl ${name} → 400`, () => expectRefused(generate, 'POST', '/api/video/generate', { body: { ...good, webhookUrl } }, 400, 'webhookUrl'));
  }

  it('a SQL-looking (but https) webhookUrl and unicode text are stored verbatim, never executed', async () => {
    const response = 'Ünïcödé ✓ — עברית \u200f mixed, e\u0301 combining, 🧪 emoji; \'); drop table video_jobs; --';
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response, webhookUrl: urls[7]![1] } });
    expect(res.status).toBe(202);
    const { rows } = await app.database.db.query(`select j.webhook_url, e.response from video_jobs j join escalations e on e.id = j.escalation_id where j.id = $1`, [res.json.jobId]);
    expect(rows[0]).toEqual({ webhook_url: urls[7]![1], response });
    const job = await app.call(getJob, 'GET', `/api/video/jobs/${res.json.jobId}?id=${res.json.jobId}`);
    expect(job.json.request.response).toBe(response);
  });
});

describe('generate: a field the job kind would ignore → 400 naming it; defaults still apply', () => {
  let sourceJobId: string;
  beforeAll(async () => {
    const source = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'A finished one-scene job to make variations of.', durationSeconds: 4, maxScenes: 1 } });
    sourceJobId = source.json.jobId;
    await tickUntilFinal(app.services, sourceJobId, testClock());
  });
  const response = 'Variations and stills take only some of the fields.';

  it('the variations request of the report → 400 naming each video-only field, nothing recorded', async () => {
    const body = { response: 'x', kind: 'variations', sourceJobId, variations: 2, aspectRatio: '9:16', durationSeconds: 4, maxScenes: 3, style: 'fun', negativePrompt: 'x' };
    const before = await dbFingerprint(app.database.db);
    const res = await app.call(generate, 'POST', '/api/video/generate', { body });
    expect(res.status).toBe(400);
    expect(Object.keys(res.json.error.fields).sort()).toEqual(['aspectRatio', 'durationSeconds', 'maxScenes', 'negativePrompt', 'style']);
    expect(res.json.error.fields.aspectRatio).toMatch(/kind is 'variations'/);
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  // Sent with its default value too: the field would still mean nothing for this job.
  const variationsRefuse: Array<[string, unknown]> = [
    ['style', 'calm'], ['aspectRatio', '16:9'], ['durationSeconds', 8], ['negativePrompt', 'blur'], ['maxScenes', 1], ['storyboard', 'model'], ['keyframes', true],
  ];
  for (const [field, value] of variationsRefuse) {
    it(`kind 'variations' with ${field} → 400 naming it`, () =>
      expectRefused(generate, 'POST', '/api/video/generate', { body: { response, kind: 'variations', sourceJobId, [field]: value } }, 400, field));
  }
  const imageRefuse: Array<[string, unknown]> = [['durationSeconds', 4], ['negativePrompt', 'blur'], ['variations', 2], ['variationSeed', 7], ['sourceJobId', '0f0e0d0c-0b0a-4998-8776-655443322110'], ['keyframes', true]];
  for (const [field, value] of imageRefuse) {
    it(`kind 'image' with ${field} → 400 naming it`, () => expectRefused(generate, 'POST', '/api/video/generate', { body: { response, kind: 'image', [field]: value } }, 400, field));
  }

  it("what a variations job uses is accepted, and its recorded request holds only those", async () => {
    const body = { response, question: 'Why vary?', kind: 'variations', sourceJobId, variations: 2, variationSeed: 9 };
    const res = await app.call(generate, 'POST', '/api/video/generate', { body });
    expect(res.status).toBe(202);
    expect(res.json.scenes).toBe(2);
    const job = await app.call(getJob, 'GET', `/api/video/jobs/${res.json.jobId}?id=${res.json.jobId}`);
    expect(job.json.request).toMatchObject({ ...body, keyframes: false });
    for (const ignored of ['style', 'aspectRatio', 'durationSeconds', 'maxScenes', 'storyboard']) expect(job.json.request).not.toHaveProperty(ignored);
  });

  it('what an image job uses is accepted', async () => {
    const res = await app.call(generate, 'POST', '/api/video/generate', { body: { response, kind: 'image', style: 'fun', aspectRatio: '9:16', maxScenes: 1, storyboard: 'splitter' } });
    expect(res.status).toBe(202);
    expect(res.json.scenes).toBe(1);
  });
});

describe('error bodies echo what the client sent, bounded', () => {
  it('a 12 KB query string of unknown parameters → a 400 naming the first ones, its body under 4 KB', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `unknown_${i}_${'x'.repeat(30)}`);
    const res = await app.call(listJobs, 'GET', `/api/video/jobs?${names.map((n) => `${n}=1`).join('&')}`);
    expect(res.status).toBe(400);
    expect(res.json.error.fields).toHaveProperty([names[0]!]);
    expect(res.json.error.fields['(more)']).toMatch(/more not shown/);
    expect(res.text.length).toBeLessThan(4096);
  });

  it('one very long unknown name is cut, not repeated whole', async () => {
    const name = 'n'.repeat(10_000);
    const res = await app.call(listJobs, 'GET', `/api/video/jobs?${name}=1`);
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(1024);
  });
});

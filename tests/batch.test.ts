/**
 * POST /api/video/generate/batch through the real handler and Postgres: all-or-nothing
 * validation naming each item, per-item quotas, one Idempotency-Key for the batch, one
 * transaction, its own body limit, and Vercel-style routing beside /api/video/generate.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { POST as batch } from '../api/video/generate/batch.js';
import { batchResponseSchema, errorBodySchema } from '../lib/jobs/schemas.js';
import { createApiRouter } from '../lib/local/router.js';
import { call, createTestApp, type TestApp } from './support/app.js';
import { PROF_A, PROF_B, dbFingerprint } from './support/api-helpers.js';

let app: TestApp;
const noQuota = { QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0' };
beforeAll(async () => {
  app = await createTestApp('batch', noQuota);
});
afterAll(() => app.close());
beforeEach(() => {
  app.reconfigure(noQuota);
});

let n = 0;
const item = (extra: Record<string, unknown> = {}) => ({ response: `Answer ${++n}: a paragraph.\n\nAnd another.`, ...extra });

async function send(items: unknown[], as: string | null = PROF_A, headers: Record<string, string> = {}) {
  const res = await app.call(batch, 'POST', '/api/video/generate/batch', { body: { items }, as, headers });
  if (res.status < 300) batchResponseSchema.parse(res.json);
  else errorBodySchema.parse(res.json);
  return res;
}

describe('POST /api/video/generate/batch', () => {
  it('creates one job per item, in order, and answers 202 with a result each', async () => {
    const items = Array.from({ length: 10 }, () => item());
    const res = await send(items);
    expect(res.status).toBe(202);
    expect(res.json.items).toHaveLength(10);
    const ids = res.json.items.map((r: { jobId: string }) => r.jobId);
    expect(new Set(ids).size).toBe(10);
    const { rows } = await app.database.db.query(`select j.id, e.response, j.owner_id from video_jobs j join escalations e on e.id = j.escalation_id where j.id = any($1)`, [ids]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    ids.forEach((id: string, i: number) => {
      expect(byId.get(id)!.response).toBe(items[i]!.response);
      expect(byId.get(id)!.owner_id).toBe(PROF_A);
    });
    expect(res.json.items[3].statusUrl).toMatch(new RegExp(`/api/video/jobs/${ids[3]}$`));
    // One transaction, yet the jobs keep the order sent: the start queue and the list follow it.
    const { rows: ordered } = await app.database.db.query(`select id from video_jobs where id = any($1) order by created_at, id`, [ids]);
    expect(ordered.map((r) => r.id)).toEqual(ids);
  });

  it('names every bad item and field, and creates nothing', async () => {
    const before = await dbFingerprint(app.database.db);
    const res = await send([item(), { response: '' }, item(), item({ colour: 'red' }), item({ storyboard: 'model' }), 'not an object', item({ priority: 'urgent' })]);
    expect(res.status).toBe(400);
    expect(Object.keys(res.json.error.fields).sort()).toEqual(['items[1].response', 'items[3].colour', 'items[4].storyboard', 'items[5]', 'items[6].priority'].sort());
    expect(res.json.error.fields['items[4].storyboard']).toMatch(/not allowed in a batch/);
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('takes 1 to 50 items, and nothing else in the body', async () => {
    expect((await send([])).json.error.fields).toEqual({ items: 'must hold at least one generate request' });
    expect((await send(Array.from({ length: 51 }, () => item()))).json.error.fields).toEqual({ items: 'must hold at most 50 generate requests' });
    const extra = await app.call(batch, 'POST', '/api/video/generate/batch', { body: { items: [item()], dryRun: true }, as: PROF_A });
    expect(extra.status).toBe(400);
    expect(extra.json.error.fields).toEqual({ dryRun: 'is not a known field' });
    expect((await send(Array.from({ length: 50 }, () => item()))).status).toBe(202);
  });

  it('has its own 1 MB body limit: over 64 KB is fine, over 1 MB is a 413', async () => {
    const long = (k: number) => `${'Word '.repeat(1500)}${k}`;
    const fine = await send(Array.from({ length: 20 }, (_, k) => ({ response: long(k) })));
    expect(fine.status).toBe(202);
    const before = await dbFingerprint(app.database.db);
    const huge = await app.call(batch, 'POST', '/api/video/generate/batch', { raw: JSON.stringify({ items: [item()], pad: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' }, as: PROF_A });
    expect(huge.status).toBe(413);
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('a quota that refuses any item refuses the batch with a 429 naming it, and nothing is created', async () => {
    app.reconfigure({ QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '3' });
    const prof = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f';
    expect((await app.call(generate, 'POST', '/api/video/generate', { body: item(), as: prof })).status).toBe(202);
    const before = await dbFingerprint(app.database.db);
    const res = await send([item(), item(), item()], prof);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    // One job already active: items 0 and 1 fit under 3, item 2 would be the fourth.
    expect(Object.keys(res.json.error.fields)).toEqual(['items[2]']);
    expect(res.json.error.message).toMatch(/^items\[2\]: /);
    expect(await dbFingerprint(app.database.db)).toEqual(before);
    expect((await send([item(), item()], prof)).status).toBe(202);
  });

  it('the hourly quota counts the batch’s own items too', async () => {
    app.reconfigure({ QUOTA_JOBS_PER_HOUR: '2', QUOTA_ACTIVE_JOBS: '0' });
    const prof = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70';
    const res = await send([item(), item(), item()], prof);
    expect(res.status).toBe(429);
    expect(Object.keys(res.json.error.fields)).toEqual(['items[2]']);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(3000);
  });

  it('the service role is exempt from quotas and files each item under its professorId', async () => {
    app.reconfigure({ QUOTA_JOBS_PER_HOUR: '1', QUOTA_ACTIVE_JOBS: '1' });
    const service = await app.auth(null, 'service_role');
    const res = await call(batch, 'POST', '/api/video/generate/batch', { headers: service, body: { items: [item({ professorId: PROF_B }), item({ professorId: PROF_B }), item()] } });
    expect(res.status).toBe(202);
    const { rows } = await app.database.db.query(`select owner_id from video_jobs where id = any($1) order by created_at`, [res.json.items.map((r: { jobId: string }) => r.jobId)]);
    expect(rows.map((r) => r.owner_id).sort()).toEqual([PROF_B, PROF_B, null].sort());
  });

  it('one Idempotency-Key covers the whole batch: a replay returns the same jobs, another body is a 422', async () => {
    const items = [item(), item(), item()];
    const key = { 'idempotency-key': `batch-${Date.now()}` };
    const first = await send(items, PROF_A, key);
    expect(first.status).toBe(202);
    const before = await dbFingerprint(app.database.db);
    const again = await send(items, PROF_A, key);
    expect(again.status).toBe(200);
    expect(again.json.items.map((r: { jobId: string }) => r.jobId)).toEqual(first.json.items.map((r: { jobId: string }) => r.jobId));
    expect(again.json.items.every((r: { existing: boolean }) => r.existing)).toBe(true);
    expect(await dbFingerprint(app.database.db)).toEqual(before);
    const other = await send([items[0], items[1]], PROF_A, key);
    expect(other.status).toBe(422);
    // A single generate's key is not a batch's, even over the same request.
    const single = { 'idempotency-key': `single-${Date.now()}` };
    const body = item();
    expect((await app.call(generate, 'POST', '/api/video/generate', { body, as: PROF_A, headers: single })).status).toBe(202);
    expect((await send([body], PROF_A, single)).status).toBe(422);
  });

  it('concurrent replays of one key create the batch once', async () => {
    const items = [item(), item()];
    const key = { 'idempotency-key': `race-${Date.now()}` };
    const results = await Promise.all([send(items, PROF_A, key), send(items, PROF_A, key), send(items, PROF_A, key)]);
    const created = results.filter((r) => r.status === 202);
    expect(created).toHaveLength(1);
    for (const r of results) expect([200, 202, 409]).toContain(r.status);
    const ids = created[0]!.json.items.map((r: { jobId: string }) => r.jobId);
    for (const r of results.filter((x) => x.status === 200)) expect(r.json.items.map((x: { jobId: string }) => x.jobId)).toEqual(ids);
  });

  it('is one transaction: an item failing inside it (unknown escalation) rolls back the items before it', async () => {
    const before = await dbFingerprint(app.database.db);
    const res = await send([item(), item(), item({ escalationId: '00000000-0000-4000-8000-000000000000' })]);
    expect(res.status).toBe(404);
    expect(res.json.error.fields).toEqual({ 'items[2].escalationId': 'no escalation with this id' });
    expect(await dbFingerprint(app.database.db)).toEqual(before);
  });

  it('is routed beside /api/video/generate, as on Vercel', async () => {
    const route = await createApiRouter(path.resolve(import.meta.dirname, '../api'));
    const auth = await app.auth(PROF_A);
    const post = (p: string, body: unknown) => route(new Request(`http://localhost:3000${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    const single = await post('/api/video/generate', item());
    expect(single!.status).toBe(202);
    expect(await single!.json()).toHaveProperty('jobId');
    const many = await post('/api/video/generate/batch', { items: [item()] });
    expect(many!.status).toBe(202);
    expect((await many!.json()).items).toHaveLength(1);
  });
});

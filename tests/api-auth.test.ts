/**
 * Every dashboard endpoint × every kind of caller, through the real handlers and a real Postgres:
 * no token, garbage, a stranger's signature, expired, wrong audience (hand-signed with jose) → 401
 * with a challenge; another professor → 404 (or an empty list); the service role → allowed. No
 * response body ever carries the other professor's data, and a refused request changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { POST as cancel } from '../api/video/jobs/[id]/cancel.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { GET as listJobs } from '../api/video/jobs/index.js';
import { call, createTestApp, type TestApp } from './support/app.js';
import { PROF_A, PROF_B, dbFingerprint, refusedTokens } from './support/api-helpers.js';

let app: TestApp;
let tokens: Record<string, string>;
/** Professor B's rows, which A must never see. */
const b = { secret: 'Secret-of-professor-B: mitochondria are the powerhouse', jobId: '', escalationId: '', failedJobId: '' };

const answer = (text: string) => ({ response: `${text}\n\nA second paragraph makes a second scene.` });

async function createFor(userId: string, text: string): Promise<{ jobId: string; escalationId: string }> {
  const res = await app.call(generate, 'POST', '/api/video/generate', { body: answer(text), as: userId });
  expect(res.status).toBe(202);
  return res.json;
}

async function makeFailed(jobId: string): Promise<void> {
  await app.database.db.query(`update video_tasks set status = 'failed', error = 'boom', error_code = 'provider_error' where job_id = $1`, [jobId]);
  await app.database.db.query(`update video_jobs set status = 'failed' where id = $1`, [jobId]);
}

beforeAll(async () => {
  app = await createTestApp('api-auth', { QUOTA_JOBS_PER_HOUR: '0', QUOTA_ACTIVE_JOBS: '0' });
  tokens = await refusedTokens(app);
  ({ jobId: b.jobId, escalationId: b.escalationId } = await createFor(PROF_B, b.secret));
  b.failedJobId = (await createFor(PROF_B, `${b.secret} (failed one)`)).jobId;
  await makeFailed(b.failedJobId);
  await createFor(PROF_A, 'Professor A explains photosynthesis.');
});
afterAll(() => app.close());

type Endpoint = { name: string; handler: (r: Request) => Promise<Response>; method: string; path: (id: string) => string; body?: unknown };
const endpoints: Endpoint[] = [
  { name: 'POST /api/video/generate', handler: generate, method: 'POST', path: () => '/api/video/generate', body: answer('x') },
  { name: 'GET /api/video/jobs', handler: listJobs, method: 'GET', path: () => '/api/video/jobs' },
  { name: 'GET /api/video/jobs/:id', handler: getJob, method: 'GET', path: (id) => `/api/video/jobs/${id}?id=${id}` },
  { name: 'POST /api/video/jobs/:id/cancel', handler: cancel, method: 'POST', path: (id) => `/api/video/jobs/${id}/cancel?id=${id}` },
  { name: 'POST /api/video/jobs/:id/retry', handler: retry, method: 'POST', path: (id) => `/api/video/jobs/${id}/retry?id=${id}` },
];

function expectNothingOfB(text: string): void {
  for (const secret of [b.secret, b.jobId, b.escalationId, b.failedJobId, PROF_B]) expect(text).not.toContain(secret);
}

describe('refused tokens → 401 with WWW-Authenticate, nothing changed, nothing of anyone leaked', () => {
  const cases = ['no token', 'garbage', 'wrong signature', 'expired', 'wrong audience'];
  for (const endpoint of endpoints) {
    for (const kind of cases) {
      it(`${endpoint.name} with ${kind} → 401`, async () => {
        const before = await dbFingerprint(app.database.db);
        const headers: Record<string, string> = kind === 'no token' ? {} : { authorization: `Bearer ${tokens[kind]}` };
        const res = await call(endpoint.handler, endpoint.method, endpoint.path(b.jobId), { headers, ...(endpoint.body ? { body: endpoint.body } : {}) });
        expect(res.status).toBe(401);
        expect(res.json.error.code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toMatch(kind === 'no token' ? /^Bearer realm="api"$/ : /error="invalid_token"/);
        expectNothingOfB(res.text);
        expect(await dbFingerprint(app.database.db)).toEqual(before);
      });
    }
  }
});

describe("another professor's token: B's rows do not exist for A", () => {
  it("GET, cancel and retry of B's jobs → 404, identical to an unknown id, nothing changed", async () => {
    const unknown = '0f0e0d0c-0b0a-4998-8776-655443322110';
    for (const endpoint of endpoints.slice(2)) {
      for (const id of [b.jobId, b.failedJobId]) {
        const before = await dbFingerprint(app.database.db);
        const res = await app.call(endpoint.handler, endpoint.method, endpoint.path(id), { as: PROF_A });
        const stranger = await app.call(endpoint.handler, endpoint.method, endpoint.path(unknown), { as: PROF_A });
        expect(res.status, endpoint.name).toBe(404);
        expect(res.json).toEqual(stranger.json);
        expectNothingOfB(res.text);
        expect(await dbFingerprint(app.database.db)).toEqual(before);
      }
    }
  });

  it("the list never shows B's jobs, whatever the filter", async () => {
    for (const query of ['', `?escalationId=${b.escalationId}`, '?status=failed', '?limit=100']) {
      const res = await app.call(listJobs, 'GET', `/api/video/jobs${query}`, { as: PROF_A });
      expect(res.status).toBe(200);
      expectNothingOfB(res.text);
      for (const job of res.json.jobs) expect(job.ownerId).toBe(PROF_A);
    }
    const own = await app.call(listJobs, 'GET', '/api/video/jobs', { as: PROF_A });
    expect(own.json.jobs.length).toBeGreaterThan(0);
  });

  it("the list refuses professorId naming B → 403, without B's data", async () => {
    const res = await app.call(listJobs, 'GET', `/api/video/jobs?professorId=${PROF_B}`, { as: PROF_A });
    expect(res.status).toBe(403);
    expect(res.json.error.fields).toHaveProperty('professorId');
  });

  it("generate on B's escalation → 404 naming escalationId; for B as professorId → 403; nothing changed", async () => {
    const before = await dbFingerprint(app.database.db);
    const onB = await app.call(generate, 'POST', '/api/video/generate', { body: { ...answer('hijack'), escalationId: b.escalationId }, as: PROF_A });
    expect(onB.status).toBe(404);
    expect(onB.json.error.fields).toHaveProperty('escalationId');
    // Word for word what an id nobody has gets: the answer must not tell "yours" from "none".
    const stranger = await app.call(generate, 'POST', '/api/video/generate', { body: { ...answer('guess'), escalationId: '0f0e0d0c-0b0a-4998-8776-655443322110' }, as: PROF_A });
    expect(onB.json).toEqual(stranger.json);
    expectNothingOfB(onB.text);
    const forB = await app.call(generate, 'POST', '/api/video/generate', { body: { ...answer('impersonate'), professorId: PROF_B }, as: PROF_A });
    expect(forB.status).toBe(403);
    expect(forB.json.error.fields).toHaveProperty('professorId');
    expect(await dbFingerprint(app.database.db)).toEqual(before);
    const { rows } = await app.database.db.query('select response from escalations where id = $1', [b.escalationId]);
    expect(rows[0].response).toContain(b.secret);
  });
});

describe('the service role may act for anyone', () => {
  let service: Record<string, string>;
  beforeAll(async () => {
    service = await app.auth(null, 'service_role');
  });

  it("reads B's job and lists everyone's (or B's only with professorId)", async () => {
    const one = await call(getJob, 'GET', `/api/video/jobs/${b.jobId}?id=${b.jobId}`, { headers: service });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: b.jobId, ownerId: PROF_B });
    const all = await call(listJobs, 'GET', '/api/video/jobs?limit=100', { headers: service });
    expect(new Set(all.json.jobs.map((j: { ownerId: string }) => j.ownerId))).toEqual(new Set([PROF_A, PROF_B]));
    const onlyB = await call(listJobs, 'GET', `/api/video/jobs?professorId=${PROF_B}`, { headers: service });
    expect(onlyB.json.jobs.length).toBe(2);
    expect(onlyB.json.jobs.every((j: { ownerId: string }) => j.ownerId === PROF_B)).toBe(true);
  });

  it("generates for B, retries B's failed job and cancels B's active job", async () => {
    const made = await call(generate, 'POST', '/api/video/generate', { headers: service, body: { ...answer('made by the backend'), professorId: PROF_B } });
    expect(made.status).toBe(202);
    const { rows } = await app.database.db.query('select owner_id from video_jobs where id = $1', [made.json.jobId]);
    expect(rows[0].owner_id).toBe(PROF_B);
    const retried = await call(retry, 'POST', `/api/video/jobs/${b.failedJobId}/retry?id=${b.failedJobId}`, { headers: service });
    expect(retried.status).toBe(202);
    expect(retried.json.status).toBe('pending');
    const canceled = await call(cancel, 'POST', `/api/video/jobs/${b.jobId}/cancel?id=${b.jobId}`, { headers: service });
    expect(canceled.status).toBe(200);
    expect(canceled.json.status).toBe('canceled');
  });

  it('the owner itself gets its own job', async () => {
    const res = await app.call(getJob, 'GET', `/api/video/jobs/${b.jobId}?id=${b.jobId}`, { as: PROF_B });
    expect(res.status).toBe(200);
    expect(res.json.request.response).toContain(b.secret);
  });
});

/**
 * GET /api/openapi.json: an OpenAPI 3.1 document built from the handlers' own zod schemas, served
 * by the real handler and routed by the local router exactly as Vercel would.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as openapi } from '../api/openapi.json.js';
import { POST as generate } from '../api/video/generate.js';
import { GET as getJob } from '../api/video/jobs/[id].js';
import { POST as cancel } from '../api/video/jobs/[id]/cancel.js';
import { POST as retry } from '../api/video/jobs/[id]/retry.js';
import { GET as listJobs } from '../api/video/jobs/index.js';
import { GET as metrics } from '../api/video/metrics.js';
import { GET as pollGet, POST as pollPost } from '../api/video/poll.js';
import type { Config } from '../lib/config.js';
import { MAX_BODY_BYTES } from '../lib/http/body.js';
import { generateRequestSchema } from '../lib/jobs/generate-request.js';
import { createApiRouter } from '../lib/local/router.js';
import { openApiDocument } from '../lib/openapi.js';
import { allowedDurations } from '../lib/providers/veo.js';
import { createTestApp, type TestApp } from './support/app.js';
import { testClock, tickUntilFinal } from './support/ticks.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp('openapi');
});
afterAll(() => app.close());

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('GET /api/openapi.json', () => {
  it('is OpenAPI 3.1 with every endpoint, needs no token, and every $ref resolves', async () => {
    const res = await app.call(openapi, 'GET', '/api/openapi.json', { as: null });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/api/openapi.json', '/api/dashboard/config', '/api/video/capabilities', '/api/video/storyboard', '/api/video/generate', '/api/video/generate/batch', '/api/video/jobs', '/api/video/jobs/{id}', '/api/video/jobs/{id}/cancel', '/api/video/jobs/{id}/retry', '/api/video/poll', '/api/video/callbacks/{provider}', '/api/video/metrics'].sort(),
    );
    for (const r of refs(doc)) {
      expect(r).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty([r.split('/').pop()!]);
    }
    expect(doc.webhooks.jobFinished.post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/Job');
  });

  it("names the server from configuration, never from the request: PUBLIC_BASE_URL, else the Vercel deployment's own address", async () => {
    const servers = async (host: string) => ((await (await openapi(new Request(`${host}/api/openapi.json`))).json()) as { servers: unknown }).servers;
    app.reconfigure({ PUBLIC_BASE_URL: '', VERCEL_ENV: 'development', VERCEL_URL: 'explainers-git-x.vercel.app' });
    try {
      // The document is cached publicly: a Host the client chose must never end up in it.
      expect(await servers('http://evil.example')).toEqual([{ url: 'https://explainers-git-x.vercel.app' }]);
      app.reconfigure({ PUBLIC_BASE_URL: 'https://api.example.edu/' });
      expect(await servers('http://evil.example')).toEqual([{ url: 'https://api.example.edu' }]);
    } finally {
      app.reconfigure();
    }
  });

  it('describes the request exactly as the handler validates it (strict, with the new fields)', async () => {
    const { components, paths } = (await app.call(openapi, 'GET', '/api/openapi.json')).json;
    const request = components.schemas.GenerateRequest;
    expect(request.additionalProperties).toBe(false);
    expect(request.required).toEqual(['response']);
    expect(request.properties.response.maxLength).toBe(8000);
    expect(request.properties.webhookUrl.type).toBe('string');
    expect(request.properties.maxScenes.maximum).toBe(app.config.MAX_SCENES);
    const generateParams = paths['/api/video/generate'].post.parameters;
    expect(generateParams[0]).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false, schema: { maxLength: 255 } });
    expect(Object.keys(paths['/api/video/generate'].post.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '401', '422', '429']));
    const listParams = paths['/api/video/jobs'].get.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required]);
    expect(listParams).toEqual([['status', false], ['escalationId', false], ['professorId', false], ['limit', false], ['cursor', false]]);
    expect(components.schemas.Job.properties.status.$ref).toBe('#/components/schemas/Status');
    expect(components.schemas.Status.enum).toEqual(['pending', 'processing', 'completed', 'failed', 'canceled']);
  });

  it('documents the metrics in both forms, their query and who may read them', async () => {
    const { components, paths } = (await app.call(openapi, 'GET', '/api/openapi.json')).json;
    const op = paths['/api/video/metrics'].get;
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/json', 'text/plain; version=0.0.4; charset=utf-8']);
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Metrics');
    expect(op.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required])).toEqual([['ticks', false]]);
    expect(op.description).toMatch(/app_metadata.*user_metadata.*OPS_ADMIN_USER_IDS/s);
    expect(Object.keys(components.schemas.Metrics.properties)).toEqual(['generatedAt', 'generationEnabled', 'pausedProviders', 'queue', 'inFlight', 'oldestWaitingSeconds', 'veoLatency', 'failures', 'ticks']);
  });

  it('the local router maps /api/openapi.json and the new job routes to their files', async () => {
    const route = await createApiRouter(path.resolve('api'));
    const doc = await route(new Request('http://localhost:3000/api/openapi.json'));
    expect(doc?.status).toBe(200);
    expect((await doc!.json()).openapi).toBe('3.1.0');
    const list = await route(new Request('http://localhost:3000/api/video/jobs'));
    expect(list?.status).toBe(401);
    const id = '0f0e0d0c-0b0a-4998-8776-655443322110';
    for (const action of ['cancel', 'retry']) {
      const res = await route(new Request(`http://localhost:3000/api/video/jobs/${id}/${action}`, { method: 'POST', headers: await app.auth() }));
      expect(res?.status).toBe(404);
      expect((await res!.json()).error.code).toBe('not_found');
      const wrongMethod = await route(new Request(`http://localhost:3000/api/video/jobs/${id}/${action}`));
      expect(wrongMethod?.status).toBe(405);
    }
  });
});

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Each api/ file's route as Vercel serves it, written the OpenAPI way (`[id]` → `{id}`). */
async function apiRoutes(dir = path.resolve('api')): Promise<Array<{ route: string; file: string }>> {
  const out: Array<{ route: string; file: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.ts$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const parts = path.relative(dir, file).replace(/\.ts$/, '').split(path.sep).filter((p, i, all) => !(p === 'index' && i === all.length - 1));
    out.push({ route: `/api/${parts.map((p) => p.replace(/^\[(\w+)\]$/, '{$1}')).join('/')}`, file });
  }
  return out;
}

describe('the document matches what the handlers do', () => {
  it('documents every method every api/ file exports, and nothing else', async () => {
    const doc = openApiDocument(app.config) as { paths: Record<string, Record<string, unknown>> };
    const exported: string[] = [];
    for (const { route, file } of await apiRoutes()) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const m of METHODS) if (typeof mod[m] === 'function') exported.push(`${m.toLowerCase()} ${route}`);
    }
    const documented = Object.entries(doc.paths).flatMap(([route, ops]) => Object.keys(ops).map((m) => `${m} ${route}`));
    expect(documented.sort()).toEqual(exported.sort());
    expect(exported).toContain('post /api/video/poll');
  });

  it('lists exactly the scene durations the configured model accepts, and the request schema agrees', () => {
    for (const VEO_MODEL of [app.config.VEO_MODEL, 'veo-2.0-generate-001', 'veo-3.0-generate-001']) {
      const config: Config = { ...app.config, VEO_MODEL };
      const durations = allowedDurations(VEO_MODEL);
      const field = (openApiDocument(config) as any).components.schemas.GenerateRequest.properties.durationSeconds;
      expect(field.enum).toEqual(durations);
      expect(field.default).toBe(Math.max(...durations));
      const schema = generateRequestSchema(config);
      for (let n = 0; n <= 12; n++) expect(schema.safeParse({ response: 'x', durationSeconds: n }).success).toBe(durations.includes(n));
    }
    expect(allowedDurations('veo-2.0-generate-001')).toEqual([5, 6, 7, 8]);
  });

  it('documents every status the handlers answer (generate, cancel, retry, poll, list, get, metrics)', async () => {
    const doc = (await app.call(openapi, 'GET', '/api/openapi.json', { as: null })).json;
    const seen: Array<[string, string, number, string]> = [];
    const record = (route: string, method: string, res: { status: number; json?: { error?: { code?: string } } }) => seen.push([route, method, res.status, res.json?.error?.code ?? '']);
    const jobPath = (id: string, action = '') => `/api/video/jobs/${id}${action ? `/${action}` : ''}?id=${id}`;
    const big = { raw: JSON.stringify({ x: 'a'.repeat(MAX_BODY_BYTES + 10) }), headers: { 'content-type': 'application/json' } };
    const plain = { raw: 'please', headers: { 'content-type': 'text/plain' } };
    const unknownId = '0f0e0d0c-0b0a-4998-8776-655443322110';

    // A finished job to vary, cancel and retry, and a pending one.
    const done = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'One short scene about the tides.', durationSeconds: 4, maxScenes: 1 } });
    await tickUntilFinal(app.services, done.json.jobId, testClock());
    const pending = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'A job still waiting for its first tick.' }, headers: { 'idempotency-key': 'openapi-statuses' } });
    record('/api/video/generate', 'post', pending);

    const gen = (init: Parameters<TestApp['call']>[3]) => app.call(generate, 'POST', '/api/video/generate', init).then((r) => record('/api/video/generate', 'post', r));
    await gen({ body: { response: 'A job still waiting for its first tick.' }, headers: { 'idempotency-key': 'openapi-statuses' } });
    await gen({ body: { response: 'Another body.' }, headers: { 'idempotency-key': 'openapi-statuses' } });
    await gen({ body: { response: 'x', kind: 'variations', sourceJobId: done.json.jobId, aspectRatio: '9:16' } });
    await gen({ body: { response: 'x', kind: 'variations', sourceJobId: pending.json.jobId } });
    await gen({ body: { response: 'x', kind: 'variations', sourceJobId: unknownId } });
    await gen({ body: { response: 'x', professorId: unknownId } });
    await gen(big);
    await gen(plain);
    await gen({ body: { response: 'x' }, as: null });

    for (const [action, handler] of [['cancel', cancel], ['retry', retry]] as const) {
      const route = `/api/video/jobs/{id}/${action}`;
      // On the finished job: {} is a 409 (completed: nothing to cancel, nothing failed to retry).
      for (const init of [{ body: {} }, { body: { force: true } }, big, plain]) record(route, 'post', await app.call(handler, 'POST', jobPath(done.json.jobId, action), init));
      for (const id of [unknownId, 'abc']) record(route, 'post', await app.call(handler, 'POST', jobPath(id, action)));
    }
    record('/api/video/jobs/{id}/retry', 'post', await app.call(retry, 'POST', jobPath(pending.json.jobId, 'retry')));
    record('/api/video/jobs/{id}/cancel', 'post', await app.call(cancel, 'POST', jobPath(pending.json.jobId, 'cancel')));

    for (const query of ['', '?limit=0']) record('/api/video/jobs', 'get', await app.call(listJobs, 'GET', `/api/video/jobs${query}`));
    for (const id of [done.json.jobId, unknownId, 'abc']) record('/api/video/jobs/{id}', 'get', await app.call(getJob, 'GET', jobPath(id)));

    const operator = await app.auth(null, 'service_role');
    for (const [init, query] of [[{ headers: operator }, ''], [{ headers: { ...operator, accept: 'text/plain' } }, ''], [{ headers: operator }, '?ticks=0'], [{}, ''], [{ as: null }, '']] as const) {
      record('/api/video/metrics', 'get', await app.call(metrics, 'GET', `/api/video/metrics${query}`, init));
    }

    for (const [method, handler] of [['get', pollGet], ['post', pollPost]] as const) {
      record('/api/video/poll', method, await app.call(handler, method.toUpperCase(), '/api/video/poll', { as: null }));
      app.reconfigure({ CRON_SECRET: 'openapi-test-cron-secret' });
      record('/api/video/poll', method, await app.call(handler, method.toUpperCase(), '/api/video/poll', { as: null }));
      // Production without CRON_SECRET refuses to run open, naming the variable (no service is reached).
      app.reconfigure({ VERCEL_ENV: 'production', DATABASE_URL: app.database.url, SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_unused', GEMINI_API_KEY: 'unused' });
      const open = await app.call(handler, method.toUpperCase(), '/api/video/poll', { as: null });
      expect(open.json).toEqual({ error: { code: 'misconfigured', message: 'Server misconfigured: CRON_SECRET' } });
      record('/api/video/poll', method, open);
      app.reconfigure();
    }

    // The cases the document once missed must really have come up.
    const statuses = (route: string) => new Set(seen.filter((s) => s[0] === route).map((s) => s[2]));
    expect(seen).toContainEqual(['/api/video/generate', 'post', 409, 'source_not_ready']);
    expect(statuses('/api/video/generate')).toEqual(new Set([200, 202, 400, 401, 403, 404, 409, 413, 415, 422]));
    for (const action of ['cancel', 'retry']) expect([...statuses(`/api/video/jobs/{id}/${action}`)]).toEqual(expect.arrayContaining([400, 404, 409, 413, 415]));
    expect(statuses('/api/video/poll')).toEqual(new Set([200, 401, 500]));
    expect(statuses('/api/video/metrics')).toEqual(new Set([200, 400, 401, 403]));
    for (const [route, method, status, code] of seen) {
      expect(Object.keys(doc.paths[route][method].responses), `${method} ${route} answered ${status} ${code}`).toContain(String(status));
    }
  });

  it("describes cancel's body as readEmptyBody takes it (absent, empty or {}), and retry's as an optional provider", async () => {
    const doc = (await app.call(openapi, 'GET', '/api/openapi.json', { as: null })).json;
    const cancelOp = doc.paths['/api/video/jobs/{id}/cancel'].post;
    expect(cancelOp.requestBody.required).toBe(false);
    expect(cancelOp.requestBody.content['application/json'].schema).toMatchObject({ type: 'object', maxProperties: 0 });
    expect(cancelOp.responses['400'].description).not.toMatch(/a body was sent/);
    const retryOp = doc.paths['/api/video/jobs/{id}/retry'].post;
    expect(retryOp.requestBody.required).toBe(false);
    // Exactly the providers this deployment has, and nothing else accepted beside them.
    expect(retryOp.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: { provider: { enum: app.services.config.providers } },
    });
    const fresh = await app.call(generate, 'POST', '/api/video/generate', { body: { response: 'A job canceled with an empty object.' } });
    const res = await app.call(cancel, 'POST', `/api/video/jobs/${fresh.json.jobId}/cancel?id=${fresh.json.jobId}`, { body: {} });
    expect(res.status).toBe(200);
  });
});

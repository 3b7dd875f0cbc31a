/**
 * GET /api/openapi.json: an OpenAPI 3.1 document built from the handlers' own zod schemas, served
 * by the real handler and routed by the local router exactly as Vercel would.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as openapi } from '../api/openapi.json.js';
import { createApiRouter } from '../lib/local/router.js';
import { createTestApp, type TestApp } from './support/app.js';

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
      ['/api/openapi.json', '/api/video/generate', '/api/video/jobs', '/api/video/jobs/{id}', '/api/video/jobs/{id}/cancel', '/api/video/jobs/{id}/retry', '/api/video/poll'].sort(),
    );
    for (const r of refs(doc)) {
      expect(r).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty([r.split('/').pop()!]);
    }
    expect(doc.webhooks.jobFinished.post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/Job');
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

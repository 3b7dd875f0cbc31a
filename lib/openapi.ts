/**
 * The OpenAPI 3.1 document of the dashboard API, generated from the very zod schemas the handlers
 * validate with and answer by (lib/jobs/generate-request.ts, lib/jobs/list.ts, lib/jobs/idempotency.ts,
 * lib/jobs/schemas.ts), so the document cannot drift from the code. Built per config because the
 * allowed scene durations depend on the configured Veo model.
 */
import { z } from 'zod';
import type { Config } from './config.js';
import {
  batchResponseSchema,
  errorBodySchema,
  generateResponseSchema,
  jobListSchema,
  jobSummarySchema,
  jobViewSchema,
  sceneViewSchema,
  statusSchema,
  storyboardResponseSchema,
} from './jobs/schemas.js';
import { clientConfigSchema } from './dashboard/client-config.js';
import { capabilitiesSchema } from './jobs/capabilities.js';
import { MAX_BODY_BYTES } from './http/body.js';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_ITEMS } from './jobs/batch.js';
import { IDEMPOTENCY_HEADER, idempotencyKeySchema } from './jobs/idempotency.js';
import { listQuerySchema } from './jobs/list.js';
import { PROMETHEUS_CONTENT_TYPE } from './ops/prometheus.js';
import { metricsQuerySchema, metricsSchema } from './ops/schema.js';
import { generateRequestSchema, IGNORED_BY_KIND } from './jobs/generate-request.js';
import { retryRequestSchema } from './jobs/retry.js';
import { callbackQuerySchema } from './tick/provider-callback.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhooks/sign.js';

type Json = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function clean(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function inputSchema(schema: z.ZodType): Json {
  return clean(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json);
}

function components(config: Config): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  registry.add(statusSchema, { id: 'Status' });
  registry.add(errorBodySchema, { id: 'Error' });
  registry.add(generateResponseSchema, { id: 'GenerateResponse' });
  registry.add(batchResponseSchema, { id: 'BatchResponse' });
  registry.add(sceneViewSchema, { id: 'Scene' });
  registry.add(jobViewSchema, { id: 'Job' });
  registry.add(jobSummarySchema, { id: 'JobSummary' });
  registry.add(jobListSchema, { id: 'JobList' });
  registry.add(storyboardResponseSchema, { id: 'Storyboard' });
  registry.add(capabilitiesSchema, { id: 'Capabilities' });
  registry.add(clientConfigSchema, { id: 'DashboardConfig' });
  registry.add(metricsSchema, { id: 'Metrics' });
  const out = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas: Record<string, Json> = {};
  for (const [id, s] of Object.entries(out.schemas)) schemas[id] = clean(s as Json);
  schemas.GenerateRequest = { ...inputSchema(generateRequestSchema(config)), description: kindRulesText() };
  schemas.BatchRequest = {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_BATCH_ITEMS,
        items: ref('GenerateRequest'),
        description: `1–${MAX_BATCH_ITEMS} generate requests; storyboard 'model' is refused in a batch.`,
      },
    },
  };
  return schemas;
}

/** The per-kind rules of lib/jobs/generate-request.ts, which JSON Schema cannot express, in words. */
function kindRulesText(): string {
  const refused = Object.entries(IGNORED_BY_KIND).map(([kind, fields]) => `kind '${kind}' refuses ${fields.join(', ')}`);
  return (
    "`sourceJobId` is required when kind is 'variations'; `keyframes: true` only when kind is 'video'. " +
    `A field a kind of job would ignore is a 400 naming it when sent (defaults do not count): ${refused.join('; ')}.`
  );
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const errors = (codes: Record<number, string>) => Object.fromEntries(Object.entries(codes).map(([code, d]) => [code, errorResponse(d)]));
const authErrors = { 401: 'Missing, invalid or expired access token (see WWW-Authenticate)', 503: 'Token signing keys unavailable' };
const jobIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const jobResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Job') } } });
const bodyLimit = `Body over ${MAX_BODY_BYTES / 1024} KB`;

/** Cancel takes no parameters: what readEmptyBody (lib/http/body.ts) accepts and refuses. */
const emptyBody = {
  required: false,
  content: { 'application/json': { schema: { type: 'object', maxProperties: 0, description: 'No body, an empty body, or `{}`' } } },
};
const emptyBodyErrors = { 413: bodyLimit, 415: 'A non-empty body whose Content-Type is not application/json' };
const notEmptyBody = 'a non-empty body that is not `{}` (invalid JSON, not an object, or with fields, each named in fields)';

/** One poller tick; Vercel Cron sends GET, and POST does the same. */
const pollOperation = (method: 'get' | 'post') => ({
  operationId: method === 'get' ? 'poll' : 'pollPost',
  summary: 'One poller tick (Vercel Cron)',
  security: [{ cronSecret: [] }],
  responses: {
    200: { description: 'What the tick did', content: { 'application/json': { schema: { type: 'object' } } } },
    ...errors({ 401: 'Wrong or missing CRON_SECRET', 500: 'Server misconfigured, naming the variables (code `misconfigured`); in production that includes an unset CRON_SECRET, as the poller refuses to run open' }),
  },
});

function queryParameters(schema: z.ZodObject): Json[] {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: inputSchema(field as z.ZodType),
  }));
}

export function openApiDocument(config: Config): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Escalation video API',
      version: '1.0.0',
      description:
        "Turns a professor's written answer into short explainer videos. Every /api/video/* endpoint except the poll needs " +
        '`Authorization: Bearer <Supabase access token>`; a professor sees and acts on their own jobs only, the service role on anyone\'s. ' +
        'Errors always have the shape `{ error: { code, message, fields? } }`.',
    },
    servers: [{ url: config.publicBaseUrl }],
    security: [{ supabaseAuth: [] }],
    paths: {
      '/api/video/generate': {
        post: {
          operationId: 'generateVideo',
          summary: 'Start a video job for an answer',
          parameters: [{ name: IDEMPOTENCY_HEADER, in: 'header', required: false, schema: inputSchema(idempotencyKeySchema) }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('GenerateRequest') } } },
          responses: {
            202: { description: 'Job created', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema: ref('GenerateResponse') } } },
            200: {
              description: 'An earlier job returned: the escalation already had an active job, or an Idempotency-Key replay',
              headers: { Location: { schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('GenerateResponse') } },
            },
            ...errors({
              400: "Invalid body or Idempotency-Key, a field the job's kind would ignore, or a professorId other than the escalation's (fields names each)",
              403: 'professorId names another professor',
              404: 'Unknown escalationId or sourceJobId (or not yours)',
              409: 'The sourceJobId job has no finished video yet (source_not_ready), or a request with this Idempotency-Key is still being processed',
              413: bodyLimit,
              415: 'Content-Type is not application/json',
              422: 'Idempotency-Key already used with another body',
              429: 'Quota exceeded (see Retry-After)',
              ...authErrors,
            }),
          },
        },
      },
      '/api/video/generate/batch': {
        post: {
          operationId: 'generateVideoBatch',
          summary: `Start up to ${MAX_BATCH_ITEMS} video jobs at once, all or nothing`,
          description:
            'Every item is validated and planned first; a refusal names the item and field (`items[3].response`) and nothing is created. ' +
            'Quotas apply per item in order: an item that would pass a limit refuses the whole batch with a 429 naming it. ' +
            'One Idempotency-Key covers the whole batch. All jobs are recorded in one transaction; the result lists one job per item, in order.',
          parameters: [{ name: IDEMPOTENCY_HEADER, in: 'header', required: false, schema: inputSchema(idempotencyKeySchema) }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('BatchRequest') } } },
          responses: {
            202: { description: 'Jobs created (an item whose escalation already had an active job shows that job, existing: true)', content: { 'application/json': { schema: ref('BatchResponse') } } },
            200: { description: 'Nothing new created: an Idempotency-Key replay, or every escalation already had an active job', content: { 'application/json': { schema: ref('BatchResponse') } } },
            ...errors({
              400: "Invalid body or Idempotency-Key, an invalid item (fields names each as items[i].field), or storyboard 'model' in an item",
              403: 'An item names another professor',
              404: "An item's escalationId or sourceJobId is unknown (or not yours)",
              409: "An item's source job has no finished video yet, or a request with this Idempotency-Key is still being processed",
              413: `Body over ${MAX_BATCH_BODY_BYTES / 1024 / 1024} MB`,
              415: 'Content-Type is not application/json',
              422: 'Idempotency-Key already used with another body',
              429: 'A quota would be exceeded by the item named in fields (see Retry-After)',
              ...authErrors,
            }),
          },
        },
      },
      '/api/video/storyboard': {
        post: {
          operationId: 'previewStoryboard',
          summary: 'The scenes a generate request would make, without making anything',
          description:
            'Takes the generate body (kind video or image) and answers with the storyboard generate would record. Nothing is written, started or counted against a quota. ' +
            "Send the scenes' texts back, edited or fewer, as generate's `scenes`: they are made as written, and a model storyboard is not asked for again.",
          requestBody: { required: true, content: { 'application/json': { schema: ref('GenerateRequest') } } },
          responses: {
            200: { description: 'The draft storyboard', content: { 'application/json': { schema: ref('Storyboard') } } },
            ...errors({ 400: "Invalid body (fields names each), or kind 'variations'", 413: bodyLimit, 415: 'Content-Type is not application/json', ...authErrors }),
          },
        },
      },
      '/api/video/capabilities': {
        get: {
          operationId: 'capabilities',
          summary: 'Every choice and limit a new-explainer form may offer, for the configured model',
          responses: {
            200: { description: 'Providers, clip lengths, shapes, frame rules, text limits, styles and quotas', content: { 'application/json': { schema: ref('Capabilities') } } },
            ...errors({ ...authErrors }),
          },
        },
      },
      '/api/video/jobs': {
        get: {
          operationId: 'listJobs',
          summary: "The caller's jobs, newest first",
          parameters: queryParameters(listQuerySchema),
          responses: {
            200: { description: 'One page of jobs', content: { 'application/json': { schema: ref('JobList') } } },
            ...errors({ 400: 'Invalid query parameter (fields names it)', 403: 'professorId names another professor', ...authErrors }),
          },
        },
      },
      '/api/video/jobs/{id}': {
        get: {
          operationId: 'getJob',
          summary: 'A job with progress, scenes and freshly signed URLs',
          parameters: [jobIdParam],
          responses: { 200: jobResponse('The job'), ...errors({ 400: 'id is not a UUID', 404: 'No such job (or not yours)', ...authErrors }) },
        },
      },
      '/api/video/jobs/{id}/cancel': {
        post: {
          operationId: 'cancelJob',
          summary: 'Stop a job; unfinished scenes become canceled. Idempotent.',
          parameters: [jobIdParam],
          requestBody: emptyBody,
          responses: {
            200: jobResponse('The canceled job'),
            ...errors({
              400: `id is not a UUID, or ${notEmptyBody}`,
              404: 'No such job (or not yours)',
              409: 'The job already completed or failed',
              ...emptyBodyErrors,
              ...authErrors,
            }),
          },
        },
      },
      '/api/video/jobs/{id}/retry': {
        post: {
          operationId: 'retryJob',
          summary: 'Re-queue the failed (or timed-out) scenes of a finished job, optionally on another provider',
          parameters: [jobIdParam],
          requestBody: {
            required: false,
            content: { 'application/json': { schema: { ...inputSchema(retryRequestSchema(config)), description: 'No body, an empty body, `{}`, or `{"provider": …}`' } } },
          },
          responses: {
            202: jobResponse('The job, queued again'),
            ...errors({
              400: 'id is not a UUID, invalid JSON, a provider not configured here (fields names it), or an unknown field',
              404: 'No such job (or not yours)',
              409: 'Nothing failed, the job is still running, was canceled, or was superseded',
              ...emptyBodyErrors,
              429: 'Too many active jobs (see Retry-After)',
              ...authErrors,
            }),
          },
        },
      },
      '/api/video/poll': { get: pollOperation('get'), post: pollOperation('post') },
      '/api/video/callbacks/{provider}': {
        post: {
          operationId: 'providerCallback',
          summary: "A provider announcing an operation's change (Luma's callback_url): the task is polled now",
          description:
            'Luma POSTs the generation here on every state change. It signs nothing, so the URL carries a token made for the task (an HMAC under a server secret, compared in constant time). ' +
            'The body is not read: the callback only makes the task be polled at once, after this answer, and the poll decides what happened, so a forged or lost callback changes nothing. ' +
            'Answers 200 (the only status Luma takes as delivered) whether or not the task still needed a look.',
          security: [],
          parameters: [
            { name: 'provider', in: 'path', required: true, schema: { type: 'string', enum: [...callbackQuerySchema.shape.provider.options] } },
            ...queryParameters(callbackQuerySchema.omit({ provider: true })),
          ],
          responses: {
            200: { description: 'Accepted; `polling` says whether a look at the task was scheduled', content: { 'application/json': { schema: { type: 'object', properties: { accepted: { const: true }, polling: { type: 'boolean' } }, required: ['accepted', 'polling'] } } } },
            ...errors({ 400: 'A bad task id or token (fields names it)', 401: 'The token was not made for this task', 404: 'The provider is not configured here' }),
          },
        },
      },
      '/api/video/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Operator metrics: queue depth, operations in flight, oldest waiting scene, Veo latency, failures, latest ticks, kill switch',
          description:
            'For operators only: the service role (its key as the bearer token), a user whose token carries `app_metadata.role: "admin"` or `app_metadata.admin: true` ' +
            '(set by the service role in Supabase Auth; `user_metadata` is never read), or a user listed in OPS_ADMIN_USER_IDS. ' +
            'JSON by default; Prometheus text exposition 0.0.4 (all gauges) when the Accept header prefers text/plain, as a Prometheus scrape does.',
          parameters: queryParameters(metricsQuerySchema),
          responses: {
            200: {
              description: 'The metrics, in the form the Accept header prefers',
              headers: { Vary: { schema: { type: 'string', const: 'accept' } } },
              content: {
                'application/json': { schema: ref('Metrics') },
                [PROMETHEUS_CONTENT_TYPE]: { schema: { type: 'string', description: 'video_* gauges in the Prometheus text format' } },
              },
            },
            ...errors({ 400: 'Invalid query parameter (fields names it)', 403: 'Signed in, but not an operator', ...authErrors }),
          },
        },
      },
      '/api/dashboard/config': {
        get: {
          operationId: 'dashboardConfig',
          summary: "How the dashboard signs in here: Supabase Auth (the project's URL and publishable key), development sign-in (npm start on loopback), or a pasted token",
          security: [],
          responses: { 200: { description: 'Nothing secret: what any visitor of the page may know', content: { 'application/json': { schema: ref('DashboardConfig') } } } },
        },
      },
      '/api/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
    },
    webhooks: {
      jobFinished: {
        post: {
          summary: "Sent to a job's webhookUrl when it completes, fails or is canceled; retried with backoff until a 2xx (410 stops it)",
          parameters: [
            { name: SIGNATURE_HEADER, in: 'header', required: true, description: 'sha256=<hex HMAC-SHA256 of `${timestamp}.${body}` with WEBHOOK_SECRET>', schema: { type: 'string' } },
            { name: TIMESTAMP_HEADER, in: 'header', required: true, description: 'Unix seconds; refuse deliveries far from your clock', schema: { type: 'string' } },
            { name: EVENT_HEADER, in: 'header', required: true, schema: { type: 'string', enum: ['job.completed', 'job.failed', 'job.canceled'] } },
            { name: DELIVERY_HEADER, in: 'header', required: true, description: 'Unique per delivery; the same on its retries', schema: { type: 'string', format: 'uuid' } },
          ],
          requestBody: { content: { 'application/json': { schema: ref('Job') } } },
          responses: { 200: { description: 'Any 2xx acknowledges the delivery' } },
        },
      },
    },
    components: {
      schemas: components(config),
      securitySchemes: {
        supabaseAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Supabase access token (or the service-role key server-side)' },
        cronSecret: { type: 'http', scheme: 'bearer', description: 'CRON_SECRET' },
      },
    },
  };
}

/**
 * POST /api/video/generate/batch — up to 50 generate requests at once, all or nothing
 * (lib/jobs/batch.ts): every item is validated first and a refusal names it (`items[3].response`),
 * quotas apply per item (a 429 names the item that would pass the limit), one Idempotency-Key
 * covers the whole batch, and all jobs are recorded in one transaction. Answers 202 with one
 * result per item; 200 when nothing new was created (a replay, or every escalation already busy).
 */
import type { z } from 'zod';
import { authenticate } from '../../../lib/auth/request.js';
import { readJsonBody } from '../../../lib/http/body.js';
import { errorResponse, json } from '../../../lib/http/respond.js';
import type { batchResponseSchema } from '../../../lib/jobs/schemas.js';
import { createBatch, MAX_BATCH_BODY_BYTES, parseBatch } from '../../../lib/jobs/batch.js';
import { readIdempotencyKey } from '../../../lib/jobs/idempotency.js';
import { services } from '../../../lib/services.js';
import { startScenesAfterResponse } from '../../../lib/tick/start-soon.js';

export async function POST(request: Request): Promise<Response> {
  const startedAt = Date.now();
  try {
    const { db, config, verifier } = services();
    const caller = await authenticate(request, verifier);
    const idempotencyKey = readIdempotencyKey(request);
    const requests = parseBatch(await readJsonBody(request, MAX_BATCH_BODY_BYTES), config);
    const { jobs, replay } = await createBatch(db, config, requests, caller, idempotencyKey ? { idempotencyKey } : {});
    const payload: z.infer<typeof batchResponseSchema> = {
      items: jobs.map((job) => ({
        jobId: job.jobId,
        escalationId: job.escalationId,
        status: job.status,
        units: job.units,
        unit: job.unit,
        scenes: job.units,
        // From configuration, never from the request: its Host is the client's choice.
        statusUrl: `${config.publicBaseUrl}/api/video/jobs/${job.jobId}`,
        existing: replay || job.existing,
      })),
    };
    const created = !replay && jobs.some((j) => !j.existing);
    if (created) void startScenesAfterResponse(services(), startedAt, 'batch');
    return json(payload, created ? 202 : 200);
  } catch (err) {
    return errorResponse(err);
  }
}

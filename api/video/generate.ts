/**
 * POST /api/video/generate — validates the request, records the escalation, the job and its
 * storyboard in one transaction, and answers 202 with the job id at once. After answering it
 * starts waiting scenes' Veo operations (lib/tick/start-soon.ts); the poller does the rest. An `Idempotency-Key` replay, or an escalation that already
 * has an active job, answers 200 with that earlier job: a double click never pays Veo twice.
 */
import { authenticate } from '../../lib/auth/request.js';
import { createJob } from '../../lib/jobs/create.js';
import { readIdempotencyKey } from '../../lib/jobs/idempotency.js';
import { generateRequestSchema } from '../../lib/jobs/generate-request.js';
import { readJsonBody } from '../../lib/http/body.js';
import { errorResponse, json, validationError } from '../../lib/http/respond.js';
import type { z } from 'zod';
import type { generateResponseSchema } from '../../lib/jobs/schemas.js';
import { services } from '../../lib/services.js';
import { startScenesAfterResponse } from '../../lib/tick/start-soon.js';

export async function POST(request: Request): Promise<Response> {
  const startedAt = Date.now();
  try {
    const { db, config, verifier } = services();
    const caller = await authenticate(request, verifier);
    const idempotencyKey = readIdempotencyKey(request);
    const body = await readJsonBody(request);
    const parsed = generateRequestSchema(config).safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'generate request');
    const job = await createJob(db, config, parsed.data, caller, idempotencyKey ? { idempotencyKey } : {});
    // From configuration, never from the request: its Host is the client's choice.
    const statusUrl = `${config.publicBaseUrl}/api/video/jobs/${job.jobId}`;
    const payload: z.infer<typeof generateResponseSchema> = {
      jobId: job.jobId,
      escalationId: job.escalationId,
      status: job.status,
      units: job.units,
      unit: job.unit,
      scenes: job.units,
      statusUrl,
      existing: job.existing,
    };
    // Veo starts now rather than at the next cron minute; the answer does not wait for it.
    if (!job.existing) void startScenesAfterResponse(services(), startedAt, 'generate');
    return json(payload, job.existing ? 200 : 202, { location: statusUrl });
  } catch (err) {
    return errorResponse(err);
  }
}

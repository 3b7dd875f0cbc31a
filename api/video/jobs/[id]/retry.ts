/**
 * POST /api/video/jobs/:id/retry — re-queues the failed scenes of a finished job
 * (lib/jobs/retry.ts), optionally on another provider (`{"provider": "luma"}`), and answers 202
 * with the job; 409 when nothing failed.
 */
import { requireOwnedJob } from '../../../../lib/jobs/access.js';
import { authenticate } from '../../../../lib/auth/request.js';
import { readOptionalJsonBody } from '../../../../lib/http/body.js';
import { jobIdParam } from '../../../../lib/http/params.js';
import { errorResponse, json, validationError } from '../../../../lib/http/respond.js';
import { retryJob, retryRequestSchema } from '../../../../lib/jobs/retry.js';
import { readJob } from '../../../../lib/jobs/view.js';
import { services } from '../../../../lib/services.js';
import { startQueueOptions } from '../../../../lib/tasks/registry.js';
import { startScenesAfterResponse } from '../../../../lib/tick/start-soon.js';

export async function POST(request: Request): Promise<Response> {
  const startedAt = Date.now();
  try {
    const { db, config, store, verifier } = services();
    const caller = await authenticate(request, verifier);
    const id = jobIdParam(request);
    const parsed = retryRequestSchema(config).safeParse(await readOptionalJsonBody(request));
    if (!parsed.success) throw validationError(parsed.error, 'retry request');
    await requireOwnedJob(db, caller, id);
    await retryJob(db, config, caller, id, new Date(), parsed.data);
    const view = await readJob(db, store, id, startQueueOptions(config));
    // A retried scene starts now, not at the next cron minute.
    void startScenesAfterResponse(services(), startedAt, 'retry');
    return json(view, 202);
  } catch (err) {
    return errorResponse(err);
  }
}

/**
 * POST /api/video/jobs/:id/cancel — stops a job (lib/jobs/cancel.ts) and answers with it.
 * Idempotent: canceling a canceled job answers the same job again.
 */
import { requireOwnedJob } from '../../../../lib/jobs/access.js';
import { authenticate } from '../../../../lib/auth/request.js';
import { readEmptyBody } from '../../../../lib/http/body.js';
import { jobIdParam } from '../../../../lib/http/params.js';
import { errorResponse, json } from '../../../../lib/http/respond.js';
import { cancelJob } from '../../../../lib/jobs/cancel.js';
import { readJob } from '../../../../lib/jobs/view.js';
import { services } from '../../../../lib/services.js';
import { startQueueOptions } from '../../../../lib/tasks/registry.js';

export async function POST(request: Request): Promise<Response> {
  try {
    const { db, store, verifier, config } = services();
    const caller = await authenticate(request, verifier);
    const id = jobIdParam(request);
    await readEmptyBody(request);
    await requireOwnedJob(db, caller, id);
    await cancelJob(db, id, new Date());
    return json(await readJob(db, store, id, startQueueOptions(config)));
  } catch (err) {
    return errorResponse(err);
  }
}

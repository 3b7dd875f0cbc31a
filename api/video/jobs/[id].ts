/**
 * GET /api/video/jobs/:id — the job's status, progress, current step and per-scene results.
 * Vercel hands the dynamic segment over as the `id` query parameter.
 */
import { requireOwnedJob } from '../../../lib/jobs/access.js';
import { authenticate } from '../../../lib/auth/request.js';
import { jobIdParam } from '../../../lib/http/params.js';
import { errorResponse, httpError, json } from '../../../lib/http/respond.js';
import { readJob } from '../../../lib/jobs/view.js';
import { services } from '../../../lib/services.js';
import { startQueueOptions } from '../../../lib/tasks/registry.js';

export async function GET(request: Request): Promise<Response> {
  try {
    const { db, store, verifier, config } = services();
    const caller = await authenticate(request, verifier);
    const id = jobIdParam(request);
    await requireOwnedJob(db, caller, id);
    const job = await readJob(db, store, id, startQueueOptions(config));
    if (!job) throw httpError(404, 'not_found', `No job with this id`);
    return json(job);
  } catch (err) {
    return errorResponse(err);
  }
}

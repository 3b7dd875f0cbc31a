/**
 * GET /api/video/jobs/:id — the job's status, progress, current step and per-scene results.
 * Vercel hands the dynamic segment over as the `id` query parameter.
 */
import { z } from 'zod';
import { errorResponse, httpError, json } from '../../../lib/http/respond.ts';
import { readJob } from '../../../lib/jobs/view.ts';
import { services } from '../../../lib/services.ts';

const idSchema = z.uuid();

export async function GET(request: Request): Promise<Response> {
  try {
    const id = new URL(request.url).searchParams.get('id') ?? '';
    if (!idSchema.safeParse(id).success) throw httpError(400, 'invalid_request', 'Job id must be a UUID', { id: 'must be a UUID' });
    const { db, store } = services();
    const job = await readJob(db, store, id);
    if (!job) throw httpError(404, 'not_found', `No job ${id}`);
    return json(job);
  } catch (err) {
    return errorResponse(err);
  }
}

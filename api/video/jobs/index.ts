/**
 * GET /api/video/jobs?status=&escalationId=&limit=&cursor= — the caller's jobs, newest first,
 * one page at a time (lib/jobs/list.ts). The service role sees everyone's (or one professor's
 * with `professorId`).
 */
import { authenticate } from '../../../lib/auth/request.js';
import { errorResponse, json } from '../../../lib/http/respond.js';
import { listJobs, parseListQuery } from '../../../lib/jobs/list.js';
import { services } from '../../../lib/services.js';
import { startQueueOptions } from '../../../lib/tasks/registry.js';

export async function GET(request: Request): Promise<Response> {
  try {
    const { db, store, verifier, config } = services();
    const caller = await authenticate(request, verifier);
    const query = parseListQuery(new URL(request.url).searchParams);
    return json(await listJobs(db, store, caller, query, startQueueOptions(config)));
  } catch (err) {
    return errorResponse(err);
  }
}

/**
 * POST /api/video/generate — validates the request, records the escalation, the job and its
 * storyboard in one transaction, and answers 202 with the job id at once. It never waits for a
 * video: the poller does the rest.
 */
import { authenticate } from '../../lib/auth/request.ts';
import { createJob } from '../../lib/jobs/create.ts';
import { generateRequestSchema } from '../../lib/jobs/request.ts';
import { readJsonBody } from '../../lib/http/body.ts';
import { errorResponse, json, validationError } from '../../lib/http/respond.ts';
import { services } from '../../lib/services.ts';

export async function POST(request: Request): Promise<Response> {
  try {
    const { db, config, verifier } = services();
    const caller = await authenticate(request, verifier);
    const body = await readJsonBody(request);
    const parsed = generateRequestSchema(config).safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'generate request');
    const job = await createJob(db, config, parsed.data, caller);
    const statusUrl = new URL(`/api/video/jobs/${job.jobId}`, request.url).toString();
    const payload = { jobId: job.jobId, escalationId: job.escalationId, status: job.status, scenes: job.scenes, statusUrl, existing: job.existing };
    // An escalation that already has an active job gets that job back: a double click never pays twice.
    return json(payload, job.existing ? 200 : 202, { location: statusUrl });
  } catch (err) {
    return errorResponse(err);
  }
}

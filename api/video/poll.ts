/**
 * GET|POST /api/video/poll — one poller tick, run every minute by Vercel Cron (or by hand).
 * Answers with what the tick did.
 */
import { authorizeCron } from '../../lib/auth/cron.js';
import { errorResponse, json } from '../../lib/http/respond.js';
import { services } from '../../lib/services.js';
import { runTick } from '../../lib/tick/run-tick.js';

async function poll(request: Request): Promise<Response> {
  try {
    const s = services();
    authorizeCron(request, s.config);
    const result = await runTick(s, { signal: request.signal });
    return json(result);
  } catch (err) {
    return errorResponse(err);
  }
}

export const GET = poll;
export const POST = poll;

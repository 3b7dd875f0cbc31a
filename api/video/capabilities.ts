/**
 * GET /api/video/capabilities — every choice and limit a new-explainer form offers, for the
 * configured provider and model (lib/jobs/capabilities.ts). Signed-in callers only, like the rest.
 */
import { authenticate } from '../../lib/auth/request.js';
import { capabilitiesOf } from '../../lib/jobs/capabilities.js';
import { errorResponse, json } from '../../lib/http/respond.js';
import { services } from '../../lib/services.js';

export async function GET(request: Request): Promise<Response> {
  try {
    const { config, verifier } = services();
    await authenticate(request, verifier);
    return json(capabilitiesOf(config), 200, { 'cache-control': 'private, max-age=60' });
  } catch (err) {
    return errorResponse(err);
  }
}

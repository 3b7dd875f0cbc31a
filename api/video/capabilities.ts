/**
 * GET /api/video/capabilities — every choice and limit a new-explainer form offers, for the
 * configured provider and model (lib/jobs/capabilities.ts), and whether the caller is an operator.
 * Signed-in callers only, like the rest; the answer differs by caller, so caches key it on the token.
 */
import { authenticate } from '../../lib/auth/request.js';
import { capabilitiesOf } from '../../lib/jobs/capabilities.js';
import { errorResponse, json } from '../../lib/http/respond.js';
import { services } from '../../lib/services.js';

export async function GET(request: Request): Promise<Response> {
  try {
    const { config, verifier } = services();
    const caller = await authenticate(request, verifier);
    return json(capabilitiesOf(config, caller), 200, { 'cache-control': 'private, max-age=60', vary: 'authorization' });
  } catch (err) {
    return errorResponse(err);
  }
}

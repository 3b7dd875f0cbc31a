/**
 * GET /api/dashboard/config — how the dashboard signs in on this deployment (lib/dashboard/client-config.ts).
 * Public, like the page itself: it holds no secret.
 */
import { DEMO_PROFESSOR_ID } from '../../lib/auth/dev-keys.js';
import { clientConfig } from '../../lib/dashboard/client-config.js';
import { errorResponse, json } from '../../lib/http/respond.js';
import { services } from '../../lib/services.js';

export async function GET(_request: Request): Promise<Response> {
  try {
    return json(clientConfig(services().config, DEMO_PROFESSOR_ID));
  } catch (err) {
    return errorResponse(err);
  }
}

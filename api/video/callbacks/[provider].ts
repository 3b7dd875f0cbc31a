/**
 * POST /api/video/callbacks/:provider?task=<id>&token=<token> — a provider announcing that an
 * operation changed (Luma's `callback_url`). Luma signs nothing, so the URL carries an HMAC token
 * made for the task (lib/auth/callback-token.ts), checked in constant time. The body is not
 * trusted and not read: the callback only makes the task be polled now (lib/tick/provider-callback.ts),
 * and the answer comes at once, before that poll.
 */
import { errorResponse, httpError, json } from '../../../lib/http/respond.js';
import { parseQuery } from '../../../lib/http/query.js';
import { services } from '../../../lib/services.js';
import { assertCallbackToken, callbackQuerySchema, pollOnCallback } from '../../../lib/tick/provider-callback.js';

export async function POST(request: Request): Promise<Response> {
  const startedAt = Date.now();
  try {
    const { provider, task, token } = parseQuery(callbackQuerySchema, new URL(request.url).searchParams);
    const live = services();
    if (!live.config.providers.includes(provider)) throw httpError(404, 'not_found', `The ${provider} provider is not configured here`);
    await assertCallbackToken(live, provider, task, token);
    const polling = await pollOnCallback(live, provider, task, startedAt);
    // 200 either way, the only status Luma takes as delivered (it retries anything else three
    // times, 100 ms apart): a task already finished, or held by a tick, needs nothing from this hint.
    return json({ accepted: true, polling }, 200);
  } catch (err) {
    return errorResponse(err);
  }
}

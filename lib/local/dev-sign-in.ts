/**
 * `POST /auth/dev/token` — the local stand-in for signing in, served by `npm start` only (never a
 * Vercel function). It mints the same development tokens as `npm run token` for the demo professor
 * or any user id, and only while the server listens on loopback (lib/dashboard/client-config.ts):
 * with HOST=0.0.0.0 anyone on the network could otherwise sign in as anyone.
 *
 * A page on another site cannot use it either: a request whose Host is not a loopback name is
 * refused (DNS rebinding points an attacker's name at 127.0.0.1, but the browser still sends that
 * name), and the JSON body needs a CORS preflight this server never grants.
 */
import { z } from 'zod';
import { DEMO_PROFESSOR_ID, getDevKeys } from '../auth/dev-keys.js';
import type { Config } from '../config.js';
import { devSignInAllowed } from '../dashboard/client-config.js';
import { readJsonBody } from '../http/body.js';
import { errorResponse, httpError, json, validationError } from '../http/respond.js';
import { isLoopbackHost } from '../webhooks/address.js';

export const DEV_SIGN_IN_PATH = '/auth/dev/token';
/** As long as a Supabase access token lives by default: the page signs in again after it. */
export const DEV_SESSION_SECONDS = 3600;

const signInSchema = z.strictObject({
  userId: z.uuid('must be a UUID').default(DEMO_PROFESSOR_ID),
});

function hostName(request: Request): string {
  const host = request.headers.get('host') ?? new URL(request.url).host;
  // `[::1]:3000` and `localhost:3000`: the port goes, the brackets stay for isLoopbackHost.
  return host.replace(/:\d+$/, '');
}

export function createDevSignInRoute(config: Config): (request: Request) => Promise<Response | undefined> {
  return async (request) => {
    if (new URL(request.url).pathname !== DEV_SIGN_IN_PATH) return undefined;
    try {
      if (!devSignInAllowed(config)) {
        // The same reason the page is given (GET /api/dashboard/config): beyond loopback, or Supabase Auth configured.
        throw httpError(404, 'not_found', config.SUPABASE_URL ? 'Development sign-in is off: SUPABASE_URL is set, so Supabase Auth signs in here' : `Development sign-in is off: the server listens on ${config.HOST}, beyond this machine`);
      }
      if (request.method !== 'POST') return json({ error: { code: 'method_not_allowed', message: `${request.method} is not allowed here` } }, 405, { allow: 'POST' });
      if (!isLoopbackHost(hostName(request))) throw httpError(403, 'forbidden', 'Development sign-in answers only requests addressed to this machine (localhost, 127.0.0.1, [::1])');
      const parsed = signInSchema.safeParse(await readJsonBody(request));
      if (!parsed.success) throw validationError(parsed.error, 'sign-in');
      const keys = await getDevKeys(config);
      const accessToken = await keys.mintToken({ userId: parsed.data.userId, ttlSeconds: DEV_SESSION_SECONDS });
      // The fields of Supabase Auth's session, so the page keeps one shape for both.
      return json({
        access_token: accessToken,
        token_type: 'bearer',
        expires_in: DEV_SESSION_SECONDS,
        expires_at: Math.floor(Date.now() / 1000) + DEV_SESSION_SECONDS,
        user: { id: parsed.data.userId.toLowerCase() },
      });
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/** The ways to sign in that the page offers, each ending in a SessionState (see session.ts). */
import { tokenClaims, type SessionState } from './session.js';

export class SignInError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'SignInError';
  }
}

interface DevTokenAnswer {
  access_token: string;
  expires_at: number;
  user: { id: string };
}

/** `npm start`'s development sign-in (lib/local/dev-sign-in.ts). */
export async function devSignIn(userId: string): Promise<SessionState> {
  let response: Response;
  try {
    response = await fetch('/auth/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
  } catch {
    throw new SignInError('The server could not be reached');
  }
  const body = (await response.json().catch(() => undefined)) as (DevTokenAnswer & { error?: { message?: string; fields?: Record<string, string> } }) | undefined;
  if (!response.ok || !body?.access_token) {
    const field = body?.error?.fields?.userId;
    throw new SignInError(field ? `User id ${field}` : (body?.error?.message ?? `Sign-in failed (${response.status})`), field ? 'userId' : undefined);
  }
  return { accessToken: body.access_token, userId: body.user.id, expiresAt: body.expires_at };
}

/** An access token pasted by hand (from `npm run token`, or a Supabase session). */
export function tokenSignIn(token: string): SessionState {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  const claims = tokenClaims(trimmed);
  if (!claims?.exp) throw new SignInError('This is not an access token (a JWT with an expiry)', 'token');
  if (claims.exp * 1000 <= Date.now()) throw new SignInError('This token has expired', 'token');
  return { accessToken: trimmed, userId: claims.sub ?? 'service role', expiresAt: claims.exp };
}

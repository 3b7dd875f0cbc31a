/**
 * The bearer check every /api/video/* endpoint but the poll runs first, and the one rule for who
 * may act on a row. A refused request answers 401 with a WWW-Authenticate header (RFC 6750), so a
 * client knows to fetch a fresh Supabase session rather than retry the same token.
 */
import { AppError } from '../errors.js';
import { InvalidTokenError, type Caller, type TokenVerifier } from './jwt.js';

export type { Caller, TokenVerifier } from './jwt.js';

const REALM = 'api';

// error_description is a quoted-string: keep it to printable ASCII without quotes or backslashes.
function quoted(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, "'");
}

function unauthorized(message: string, invalidToken: boolean): AppError {
  // RFC 6750 §3.1: a request with no credentials gets the challenge without an error code.
  const challenge = invalidToken
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(message)}"`
    : `Bearer realm="${REALM}"`;
  return new AppError('unauthorized', message, { status: 401, headers: { 'www-authenticate': challenge } });
}

/** Resolves the caller of a request from `Authorization: Bearer <token>`, or throws a 401 AppError. */
export async function authenticate(request: Request, verifier: TokenVerifier): Promise<Caller> {
  const header = request.headers.get('authorization');
  if (!header || !header.trim()) {
    throw unauthorized('This endpoint needs Authorization: Bearer <Supabase access token>', false);
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header.trim());
  if (!match) throw unauthorized('The Authorization header must be "Bearer <Supabase access token>"', true);
  try {
    return await verifier.verify(match[1]!);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw unauthorized(err.message, true);
    throw err;
  }
}

/** The service role may act for anyone; a user only on rows they own. */
export function canAccess(caller: Caller, ownerId: string | null | undefined): boolean {
  if (caller.role === 'service_role') return true;
  return Boolean(caller.userId && ownerId && ownerId.toLowerCase() === caller.userId);
}

/**
 * Operator data (metrics) is for `caller.admin` only. A 403, not a 404: the endpoint's existence
 * is no secret, and a signed-in user refused should know to ask for the claim.
 */
export function requireAdmin(caller: Caller): void {
  if (caller.admin) return;
  throw new AppError(
    'forbidden',
    'Operators only: the service role, a user whose app_metadata has role "admin" (or admin: true), or one listed in OPS_ADMIN_USER_IDS',
    { status: 403 },
  );
}

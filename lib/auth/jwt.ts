/**
 * Who is calling: verifies a Supabase access token and answers with a `Caller`.
 *
 * Supabase signs with asymmetric keys published at `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`
 * (ES256/RS256), and projects not yet migrated still sign with the legacy HS256 secret; the token
 * header's `alg` picks which. User tokens must be for the `authenticated` audience; service-role
 * tokens have no audience and are accepted by their `role`. The raw SUPABASE_SERVICE_ROLE_KEY is
 * accepted as it is, since server-side callers send it. In local mode (no SUPABASE_URL, not
 * production) the keys are the development keys of ./dev-keys.ts, used without any HTTP.
 */
import type { JWTVerifyGetKey } from 'jose';
import { loadedJose, loadJose } from './jose.js';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { DEV_ISSUER, getDevKeys } from './dev-keys.js';
import { sameSecret } from './same-secret.js';

export interface Caller {
  /** The Supabase user id (lower-case UUID); null for the service role, which acts for anyone. */
  userId: string | null;
  role: 'authenticated' | 'service_role';
  /**
   * May read operator data (GET /api/video/metrics): always the service role; a user when their
   * verified token's app_metadata says admin, or when OPS_ADMIN_USER_IDS names them. Computed
   * here only, from verified claims, so nothing a client sends unsigned can set it.
   */
  admin: boolean;
}

export interface TokenVerifier {
  /** Resolves the caller, or throws InvalidTokenError (→ 401) or AppError `auth_unavailable` (→ 503). */
  verify(token: string): Promise<Caller>;
}

export interface VerifierOptions {
  /** Keys to verify asymmetric tokens with, instead of the project's (or the dev) JWKS. */
  jwks?: JWTVerifyGetKey;
}

/** The token itself is at fault; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidTokenError';
  }
}

// Supabase's signing key types (ES256 is its default; RS256 is offered; Ed25519 is announced).
const ASYMMETRIC = ['ES256', 'RS256', 'EdDSA', 'Ed25519'];
// Allows for a little clock drift between Supabase Auth and this function's host.
const CLOCK_TOLERANCE_SECONDS = 5;

// Claims are read through zod: jose checks signature, exp and iss; the shape of the rest is ours to check.
const claimsSchema = z.object({
  sub: z.string().optional(),
  role: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  exp: z.number(),
  iat: z.number().optional(),
  is_anonymous: z.boolean().optional(),
  // Read by adminClaimSchema below; any other shape simply grants nothing.
  app_metadata: z.unknown().optional(),
});

/**
 * The admin claim, read from app_metadata only: Supabase lets only the service role write it,
 * whereas user_metadata is the user's own to edit (supabase.auth.updateUser), so an "admin" there
 * would be anyone who asked for it. Strict literals: `"true"` or `role: "Admin"` grant nothing.
 */
const adminClaimSchema = z.union([z.object({ role: z.literal('admin') }), z.object({ admin: z.literal(true) })]);

// A token issued further ahead than drift explains was minted with a wrong clock, or to outlive its exp.
const MAX_IAT_AHEAD_SECONDS = 60;

const userIdSchema = z.guid();

// One remote key set per URL per process: warm invocations reuse fetched keys, and jose refetches
// on its own when a token names a key it has not seen (a rotation), at most once per cooldown.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

async function remoteJwks(url: string): Promise<JWTVerifyGetKey> {
  let keys = remoteKeySets.get(url);
  if (!keys) {
    keys = (await loadJose()).createRemoteJWKSet(new URL(url));
    remoteKeySets.set(url, keys);
  }
  return keys;
}

/** Failures of the key source (JWKS unreachable, slow or malformed) are ours, not the caller's. */
function isKeySourceFailure(err: unknown): boolean {
  const errors = loadedJose()?.errors;
  if (errors && (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)) return true;
  if (errors && err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  return !(err instanceof InvalidTokenError || err instanceof AppError || err instanceof ConfigError);
}

function describe(err: unknown): string {
  if (err instanceof InvalidTokenError) return err.message;
  const errors = loadedJose()?.errors;
  if (!errors) return 'The access token is malformed';
  if (err instanceof errors.JWTExpired) return 'The access token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `The access token's ${err.claim} claim is not accepted`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is not valid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'The access token was signed with an unknown key';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'The access token algorithm is not accepted';
  return 'The access token is malformed';
}

const SERVICE_ROLE: Caller = Object.freeze({ userId: null, role: 'service_role', admin: true });

interface CallerRules {
  allowAnonymous: boolean;
  /** Lower-case user ids that are operators whatever their token says (OPS_ADMIN_USER_IDS). */
  adminUserIds: ReadonlySet<string>;
}

function toCaller(payload: unknown, rules: CallerRules): Caller {
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) throw new InvalidTokenError('The access token claims are malformed');
  const { sub, role, aud, iat, is_anonymous, app_metadata } = parsed.data;
  if (iat !== undefined && iat > Date.now() / 1000 + MAX_IAT_AHEAD_SECONDS) {
    throw new InvalidTokenError("The access token's iat claim is in the future");
  }
  if (role === 'service_role') return { ...SERVICE_ROLE };
  // Supabase's anonymous sign-ins are "authenticated" too; they start paid Veo jobs only by opt-in.
  if (is_anonymous === true && !rules.allowAnonymous) throw new InvalidTokenError('Anonymous users may not use this service');
  const audiences = typeof aud === 'string' ? [aud] : (aud ?? []);
  if (role !== 'authenticated' || !audiences.includes('authenticated')) {
    // anon keys and tokens for other audiences never act for a user here.
    throw new InvalidTokenError('The access token is not for a signed-in user');
  }
  const userId = userIdSchema.safeParse(sub);
  if (!userId.success) throw new InvalidTokenError("The access token's sub claim is not a user id");
  const id = userId.data.toLowerCase();
  const admin = rules.adminUserIds.has(id) || adminClaimSchema.safeParse(app_metadata).success;
  return { userId: id, role: 'authenticated', admin };
}

/**
 * Builds the verifier for a config. Nothing is fetched or read here: the JWKS (or the dev keys)
 * load on first use, so a cold start that never authenticates pays nothing.
 */
export function createVerifier(config: Config, options: VerifierOptions = {}): TokenVerifier {
  const serviceKey = config.SUPABASE_SERVICE_ROLE_KEY;
  const secret = config.SUPABASE_JWT_SECRET ? new TextEncoder().encode(config.SUPABASE_JWT_SECRET) : undefined;
  const rules: CallerRules = { allowAnonymous: config.AUTH_ALLOW_ANONYMOUS_USERS, adminUserIds: new Set(config.OPS_ADMIN_USER_IDS) };

  async function keysAndIssuer(): Promise<{ keys: JWTVerifyGetKey; issuer: string }> {
    if (config.SUPABASE_URL) {
      const base = `${config.SUPABASE_URL.replace(/\/$/, '')}/auth/v1`;
      return { keys: options.jwks ?? (await remoteJwks(`${base}/.well-known/jwks.json`)), issuer: config.SUPABASE_JWT_ISSUER ?? base };
    }
    if (options.jwks) return { keys: options.jwks, issuer: DEV_ISSUER };
    // Throws a ConfigError in production: without Supabase there is nobody to trust.
    const dev = await getDevKeys(config);
    return { keys: dev.getKey, issuer: dev.issuer };
  }

  return {
    async verify(token) {
      if (serviceKey && sameSecret(token, serviceKey)) return { ...SERVICE_ROLE };
      try {
        const { decodeProtectedHeader, jwtVerify } = await loadJose();
        let header: ReturnType<typeof decodeProtectedHeader>;
        try {
          header = decodeProtectedHeader(token);
        } catch (err) {
          throw new InvalidTokenError('The access token is malformed', { cause: err });
        }
        // This service understands no extension header, so any `crit` one must be refused (RFC 7515
        // 4.1.11), and said as such rather than as jose's "not supported", which reads like an algorithm.
        if (header.crit !== undefined) {
          throw new InvalidTokenError(`The access token's crit header names parameters this service does not understand: ${[header.crit].flat().map(String).join(', ').slice(0, 100)}`);
        }
        const alg = header.alg;
        const { keys, issuer } = await keysAndIssuer();
        const common = { issuer, requiredClaims: ['exp'], clockTolerance: CLOCK_TOLERANCE_SECONDS };
        let payload: unknown;
        if (alg === 'HS256') {
          if (!secret) throw new InvalidTokenError('HS256 access tokens are not accepted here');
          payload = (await jwtVerify(token, secret, { ...common, algorithms: ['HS256'] })).payload;
        } else if (alg && ASYMMETRIC.includes(alg)) {
          payload = (await jwtVerify(token, keys, { ...common, algorithms: ASYMMETRIC })).payload;
        } else {
          throw new InvalidTokenError('The access token algorithm is not accepted');
        }
        return toCaller(payload, rules);
      } catch (err) {
        if (err instanceof ConfigError || err instanceof AppError) throw err;
        if (isKeySourceFailure(err)) {
          throw new AppError('auth_unavailable', `Could not load the token signing keys: ${(err as Error).message}`, {
            status: 503,
            retryable: true,
            cause: err,
            headers: { 'retry-after': '5' },
          });
        }
        throw new InvalidTokenError(describe(err), { cause: err });
      }
    },
  };
}

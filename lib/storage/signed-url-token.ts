/**
 * The token of a signed object URL, in the format Supabase Storage issues: a three-part HS256
 * JWT whose claims are `{ url, scope?, iat, exp }` (`url` is `bucket/path`). Kept here, with no
 * storage client import, so the local file store and the Storage double sign and check alike.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const signedUrlClaimsSchema = z.object({
  url: z.string().min(1),
  scope: z.string().optional(),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type SignedUrlClaims = z.infer<typeof signedUrlClaimsSchema>;

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function mac(input: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

/** Signs `url` (and a scope) for `ttlSeconds` from `now` (ms). */
export function signUrlToken(claims: { url: string; scope?: string }, secret: string | Buffer, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const payload = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds })).toString('base64url');
  return `${HEADER}.${payload}.${mac(`${HEADER}.${payload}`, secret)}`;
}

/** The claims without checking the signature: for reading an expiry, never for trusting one. */
export function readUrlTokenClaims(token: string): SignedUrlClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const parsed = signedUrlClaimsSchema.safeParse(JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export type UrlTokenCheck = { ok: true; claims: SignedUrlClaims } | { ok: false; reason: 'invalid signature' | 'jwt malformed' | 'jwt expired' };

/** Checks the header (HS256 only), the signature and the expiry, as the server's jsonwebtoken does. */
export function verifyUrlToken(token: string, secret: string | Buffer, now = Date.now()): UrlTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'jwt malformed' };
  const [header, payload, signature] = parts as [string, string, string];
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return { ok: false, reason: 'jwt malformed' };
  }
  const expected = Buffer.from(mac(`${header}.${payload}`, secret));
  const given = Buffer.from(signature);
  if (alg !== 'HS256' || expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid signature' };
  const claims = readUrlTokenClaims(token);
  if (!claims) return { ok: false, reason: 'jwt malformed' };
  if (claims.exp * 1000 <= now) return { ok: false, reason: 'jwt expired' };
  return { ok: true, claims };
}

import { describe, expect, it } from 'vitest';
import { readUrlTokenClaims, signUrlToken, verifyUrlToken } from './signed-url-token.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('signed URL tokens (Supabase Storage format: HS256 JWT)', () => {
  it('is three parts with an HS256 header and {url, iat, exp} claims', () => {
    const token = signUrlToken({ url: 'bucket/a.mp4' }, SECRET, 60, 1_700_000_000_000);
    const [header, payload, signature] = token.split('.');
    expect(signature).toMatch(/^[\w-]{43}$/);
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ url: 'bucket/a.mp4', iat: 1_700_000_000, exp: 1_700_000_060 });
    expect(readUrlTokenClaims(token)?.exp).toBe(1_700_000_060);
  });
  it('verifies its own tokens and refuses a wrong secret, a changed payload, an expired one, two parts', () => {
    const now = Date.now();
    const token = signUrlToken({ url: 'b/x', scope: 'read' }, SECRET, 60, now);
    expect(verifyUrlToken(token, SECRET, now)).toMatchObject({ ok: true, claims: { url: 'b/x', scope: 'read' } });
    expect(verifyUrlToken(token, `${SECRET}!`, now)).toEqual({ ok: false, reason: 'invalid signature' });
    const [h, , s] = token.split('.');
    const other = Buffer.from(JSON.stringify({ url: 'b/y', iat: 1, exp: 9_999_999_999 })).toString('base64url');
    expect(verifyUrlToken(`${h}.${other}.${s}`, SECRET, now)).toEqual({ ok: false, reason: 'invalid signature' });
    expect(verifyUrlToken(token, SECRET, now + 61_000)).toEqual({ ok: false, reason: 'jwt expired' });
    expect(verifyUrlToken(token.split('.').slice(1).join('.'), SECRET, now)).toEqual({ ok: false, reason: 'jwt malformed' });
  });
});

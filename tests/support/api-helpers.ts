/**
 * Helpers for the dashboard API suites: a fingerprint of every row a request could change (to
 * prove a refused request changed nothing), and bearer tokens that must be refused, hand-signed
 * with jose (the dev signing key read from disk, or a stranger's key under the same kid).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, generateKeyPair, importJWK, type JWTPayload } from 'jose';
import { DEMO_PROFESSOR_ID, getDevKeys } from '../../lib/auth/dev-keys.js';
import type { Db } from '../../lib/db/pool.js';
import type { TestApp } from './app.js';

export const PROF_A = DEMO_PROFESSOR_ID;
export const PROF_B = '5b0c2d1e-7f3a-4c6b-9d8e-1a2b3c4d5e6f';

/** Counts and a digest of every state column of every table a request may write. */
export async function dbFingerprint(db: Db): Promise<Record<string, unknown>> {
  const { rows } = await db.query(
    `select (select count(*) from escalations)::int as escalations,
            (select count(*) from video_jobs)::int as video_jobs,
            (select count(*) from video_tasks)::int as video_tasks,
            (select count(*) from idempotency_keys)::int as idempotency_keys,
            (select count(*) from webhook_deliveries)::int as webhook_deliveries,
            (select md5(coalesce(string_agg(id || status || updated_at::text, ',' order by id), '')) from video_jobs) as jobs,
            (select md5(coalesce(string_agg(id || status || updated_at::text, ',' order by id), '')) from video_tasks) as tasks,
            (select md5(coalesce(string_agg(id || video_generation_status || coalesce(response, '') || updated_at::text, ',' order by id), '')) from escalations) as escalation_rows`,
  );
  return rows[0];
}

function sign(claims: JWTPayload, key: Parameters<SignJWT['sign']>[0], kid: string, issuer: string, expiresAt: number): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).setIssuer(issuer).setIssuedAt(expiresAt - 3600).setExpirationTime(expiresAt).sign(key);
}

/** Tokens each endpoint must answer 401 to. */
export async function refusedTokens(app: TestApp, userId = PROF_A): Promise<Record<string, string>> {
  const dev = await getDevKeys(app.config);
  const stored = JSON.parse(await readFile(path.join(path.resolve(app.config.AUTH_DEV_KEYS_DIR), 'signing-key.json'), 'utf8'));
  const realKey = await importJWK(stored, 'ES256');
  const stranger = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);
  const user = { sub: userId, role: 'authenticated', aud: 'authenticated' };
  return {
    garbage: 'not-a-jwt',
    'wrong signature': await sign(user, stranger.privateKey, stored.kid, dev.issuer, now + 3600),
    expired: await sign(user, realKey, stored.kid, dev.issuer, now - 600),
    'wrong audience': await sign({ ...user, aud: 'some-other-api' }, realKey, stored.kid, dev.issuer, now + 3600),
  };
}

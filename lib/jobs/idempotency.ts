/**
 * Idempotency-Key on POST /api/video/generate: the same key and the same request within
 * IDEMPOTENCY_TTL_HOURS return the original job; the same key with another request is a 422.
 * The key is claimed inside createJob's transaction, before anything else is written: the
 * primary key (scope, key) makes a concurrent duplicate wait for the first transaction and then
 * read its job, and a request that fails rolls its claim back with everything else.
 */
import { createHash } from 'node:crypto';
import { addHours } from 'date-fns/addHours';
import { z } from 'zod';
import type { Caller } from '../auth/jwt.js';
import type { DbClient } from '../db/pool.js';
import { httpError } from '../http/respond.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

// Printable ASCII without spaces: what Stripe-style clients send (UUIDs, ULIDs, hashes).
export const idempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .meta({ description: 'Makes the request safe to repeat: the same key and body within 24 h return the original job.' });

export interface IdempotencyClaim {
  scope: string;
  key: string;
  hash: string;
}

/** The Idempotency-Key header, validated; undefined when absent. */
export function readIdempotencyKey(request: Request): string | undefined {
  const raw = request.headers.get(IDEMPOTENCY_HEADER);
  if (raw === null) return undefined;
  const parsed = idempotencyKeySchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'is not valid';
    throw httpError(400, 'invalid_request', `Invalid ${IDEMPOTENCY_HEADER} header: ${message}`, { [IDEMPOTENCY_HEADER]: message });
  }
  return parsed.data;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A claim for `key` by `caller` over the validated request (key order and defaults do not matter). */
export function idempotencyClaim(caller: Caller, key: string, request: unknown): IdempotencyClaim {
  return { scope: caller.userId ?? caller.role, key, hash: createHash('sha256').update(canonical(request)).digest('hex') };
}

/**
 * Claims the key for a new job, or answers with the job an earlier request under it created.
 * An expired claim is taken over. Throws 422 when the key was used for another request.
 */
export async function claimIdempotencyKey(client: DbClient, claim: IdempotencyClaim, now: Date, ttlHours: number): Promise<{ replayJobId?: string }> {
  const { rows } = await client.query(
    `insert into idempotency_keys (scope, key, request_hash, created_at, expires_at)
     values ($1, $2, $3, $4, $5)
     on conflict (scope, key) do update
        set request_hash = excluded.request_hash, job_id = null,
            created_at = excluded.created_at, expires_at = excluded.expires_at
      where idempotency_keys.expires_at <= $4
     returning key`,
    [claim.scope, claim.key, claim.hash, now, addHours(now, ttlHours)],
  );
  if (rows.length > 0) return {};
  // A live claim exists and has committed (the insert waited for its transaction).
  const { rows: existing } = await client.query<{ request_hash: string; job_id: string | null }>(
    `select request_hash, job_id from idempotency_keys where scope = $1 and key = $2`,
    [claim.scope, claim.key],
  );
  const row = existing[0];
  if (!row || row.request_hash !== claim.hash) {
    throw httpError(422, 'idempotency_key_reused', `This ${IDEMPOTENCY_HEADER} was already used with a different request`, {
      [IDEMPOTENCY_HEADER]: 'was used with a different request body',
    });
  }
  if (!row.job_id) throw httpError(409, 'idempotency_key_in_use', `A request with this ${IDEMPOTENCY_HEADER} is still being processed`);
  return { replayJobId: row.job_id };
}

/** Records the job the claimed key stands for, in the same transaction as the job. */
export async function bindIdempotencyKey(client: DbClient, claim: IdempotencyClaim, jobId: string): Promise<void> {
  await client.query(`update idempotency_keys set job_id = $3 where scope = $1 and key = $2`, [claim.scope, claim.key, jobId]);
}

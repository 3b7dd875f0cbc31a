/**
 * A provider's callback (Luma POSTs a generation to the `callback_url` it was given whenever its
 * state changes) taken as a hint and nothing more: the named task is polled now, under the tick's
 * rules, instead of at its next scheduled look. The poll stays the source of truth, so a forged,
 * replayed or lost callback changes nothing but when the task is looked at.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { validCallbackToken, callbackKey } from '../auth/callback-token.js';
import { afterResponse } from '../http/after-response.js';
import { httpError } from '../http/respond.js';
import { log } from '../log.js';
import type { Services } from '../services.js';
import { claimForCallback } from '../tasks/claim.js';
import { stepTasks } from './run-steps.js';

/** Providers that announce changes to a callback URL. */
export const CALLBACK_PROVIDERS = ['luma'] as const;

/** The callback URL's query: the provider (the path segment, as Vercel hands it over), the task, its token. */
export const callbackQuerySchema = z.strictObject({
  provider: z.enum(CALLBACK_PROVIDERS, { error: `must be one of ${CALLBACK_PROVIDERS.join(', ')}` }),
  task: z.uuid('must be a UUID'),
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the token from the callback URL').meta({ description: 'HMAC-SHA256 of the task id (base64url), made when the operation was started' }),
});

/** Refuses a callback whose token is not the one made for this task (401, nothing read or written). */
export async function assertCallbackToken(services: Services, provider: string, taskId: string, token: string): Promise<void> {
  if (!validCallbackToken(await callbackKey(services.config), provider, taskId, token)) {
    throw httpError(401, 'invalid_callback_token', 'The callback token does not match this task');
  }
}

/**
 * Leases the task if it is still running on `provider` and free, and steps it once after the
 * response, within `maxDurationMs`. Returns whether a look was scheduled.
 */
export async function pollOnCallback(services: Services, provider: string, taskId: string, startedAt: number): Promise<boolean> {
  const { config, db } = services;
  const tickId = `callback-${randomUUID()}`;
  const tasks = await claimForCallback(db, taskId, provider, { tickId, now: new Date(), leaseSeconds: config.LEASE_SECONDS });
  if (tasks.length === 0) return false;
  const maxDurationMs = config.GENERATE_MAX_DURATION_SECONDS * 1000 - (Date.now() - startedAt);
  void afterResponse(`poll after ${provider} callback`, async (signal) => {
    const r = await stepTasks(services, tasks, { tickId, maxDurationMs, signal });
    log('provider_callback', { provider, taskId, tickId, polled: r.polled, completed: r.completed, failed: r.failed, uploaded: r.uploaded });
  });
  return true;
}

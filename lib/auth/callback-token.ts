/**
 * Tokens in provider callback URLs. Luma signs nothing it POSTs to a `callback_url`, so the URL
 * itself carries the proof: an HMAC of the task id under a server secret, unguessable per task
 * and checked in constant time. Nothing is stored: a callback is only a hint to poll the task
 * now, so a token needs no revocation, and a forged or replayed one costs one early poll at most.
 */
import { createHash, createHmac } from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import { localUrlSecret } from '../storage/local-url-secret.js';
import { sameSecret } from './same-secret.js';

/**
 * The key callback tokens are made with: derived from CRON_SECRET (a deployment has one; the label
 * keeps a callback token from ever being a cron credential), or locally the development secret
 * the local store signs its URLs with.
 */
export async function callbackKey(config: Pick<Config, 'CRON_SECRET' | 'production' | 'AUTH_DEV_KEYS_DIR'>): Promise<Buffer> {
  if (config.CRON_SECRET) return createHash('sha256').update('provider-callback\0').update(config.CRON_SECRET).digest();
  if (config.production) throw new ConfigError(['CRON_SECRET'], 'CRON_SECRET: required in production; provider callback URLs are signed with it');
  return localUrlSecret(config);
}

export function callbackToken(key: Buffer, provider: string, taskId: string): string {
  return createHmac('sha256', key).update(`${provider}\0${taskId}`).digest('base64url');
}

export function validCallbackToken(key: Buffer, provider: string, taskId: string, given: string): boolean {
  return sameSecret(given, callbackToken(key, provider, taskId));
}

/** The URL a provider is told to POST a task's state changes to. */
export async function callbackUrl(config: Parameters<typeof callbackKey>[0] & Pick<Config, 'publicBaseUrl'>, provider: string, taskId: string): Promise<string> {
  const token = callbackToken(await callbackKey(config), provider, taskId);
  const url = new URL(`/api/video/callbacks/${provider}`, config.publicBaseUrl);
  url.searchParams.set('task', taskId);
  url.searchParams.set('token', token);
  return url.toString();
}

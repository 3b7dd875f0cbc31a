import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { callbackKey, callbackToken, callbackUrl, validCallbackToken } from './callback-token.js';

const TASK = '6f1c2b0e-3a4d-4c5e-9f60-7a8b9c0d1e2f';
const config = { CRON_SECRET: 'cron-secret-of-at-least-some-length', production: true, AUTH_DEV_KEYS_DIR: '/nonexistent', publicBaseUrl: 'https://explainers.example.edu' };

describe('provider callback tokens', () => {
  it('are per task and per provider, and only the one made for a task is valid', async () => {
    const key = await callbackKey(config);
    const token = callbackToken(key, 'luma', TASK);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(validCallbackToken(key, 'luma', TASK, token)).toBe(true);
    expect(validCallbackToken(key, 'luma', TASK.replace('6f', '7f'), token)).toBe(false);
    expect(validCallbackToken(key, 'veo', TASK, token)).toBe(false);
    expect(validCallbackToken(key, 'luma', TASK, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(validCallbackToken(key, 'luma', TASK, '')).toBe(false);
  });

  it('are keyed by a label-separated derivation of CRON_SECRET, so a token is never the cron credential', async () => {
    const key = await callbackKey(config);
    expect(key.toString('hex')).not.toContain(Buffer.from(config.CRON_SECRET).toString('hex'));
    const other = await callbackKey({ ...config, CRON_SECRET: 'another-secret' });
    expect(callbackToken(other, 'luma', TASK)).not.toBe(callbackToken(key, 'luma', TASK));
  });

  it('need CRON_SECRET in production', async () => {
    await expect(callbackKey({ ...config, CRON_SECRET: undefined })).rejects.toBeInstanceOf(ConfigError);
  });

  it('ride in a URL on the public origin', async () => {
    const url = new URL(await callbackUrl(config, 'luma', TASK));
    expect(url.origin + url.pathname).toBe('https://explainers.example.edu/api/video/callbacks/luma');
    expect(url.searchParams.get('task')).toBe(TASK);
    expect(validCallbackToken(await callbackKey(config), 'luma', TASK, url.searchParams.get('token')!)).toBe(true);
  });
});

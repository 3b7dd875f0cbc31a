/** Which failures the poller tries again: remote and transient ones, not data that cannot be read. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, isRetryable } from '../lib/errors.js';

describe('isRetryable', () => {
  it('429, 408 and 5xx yes; other 4xx no; an AppError says for itself', () => {
    expect([408, 429, 500, 503].map((status) => isRetryable(Object.assign(new Error('x'), { status })))).toEqual([true, true, true, true]);
    expect([400, 403, 404].map((status) => isRetryable(Object.assign(new Error('x'), { status })))).toEqual([false, false, false]);
    expect(isRetryable(new AppError('a', 'b', { retryable: true }))).toBe(true);
    expect(isRetryable(new AppError('a', 'b', { status: 503 }))).toBe(false);
  });

  it('a network failure (fetch failed, ECONNRESET) yes; a schema failure no', () => {
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    const parsed = z.object({ prompt: z.string() }).safeParse({ prompt: 1 });
    expect(parsed.success).toBe(false);
    expect(isRetryable(parsed.error)).toBe(false);
  });
});

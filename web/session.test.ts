import { describe, expect, it, vi } from 'vitest';
import { createSession, tokenClaims } from './session.js';

function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() { return map.size; },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => void map.set(k, v),
  };
}

const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('session', () => {
  it('reads sub and exp from a token without trusting it, and nothing from garbage', () => {
    expect(tokenClaims(jwt({ sub: 'u1', exp: 5 }))).toEqual({ sub: 'u1', exp: 5 });
    expect(tokenClaims('garbage')).toBeUndefined();
  });

  it('survives a reload through storage, ends by itself at expiry, and a 401 ends it with the reason', () => {
    vi.useFakeTimers();
    try {
      const storage = memoryStorage();
      const now = () => Date.now();
      const session = createSession(storage, now);
      session.signIn({ accessToken: 'tok', userId: 'u1', expiresAt: Math.floor(Date.now() / 1000) + 60 });
      expect(createSession(storage, now).token()).toBe('tok');
      vi.advanceTimersByTime(61_000);
      expect(session.status()).toEqual({ kind: 'signed-out', reason: 'Your session has ended. Sign in again to continue.' });
      expect(storage.length).toBe(0);
      session.signIn({ accessToken: 'tok2', userId: 'u1', expiresAt: Math.floor(Date.now() / 1000) + 600 });
      session.expire('The access token has expired');
      expect(session.status()).toMatchObject({ kind: 'signed-out', reason: expect.stringContaining('The access token has expired') });
    } finally {
      vi.useRealTimers();
    }
  });
});

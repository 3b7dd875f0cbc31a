import { describe, expect, it } from 'vitest';
import { backoffMs, nextCheckAt } from './backoff.js';

const at = (random: number) => ({ minSeconds: 5, maxSeconds: 60, random: () => random });

describe('backoff', () => {
  it('doubles from the floor, within ±25 % jitter', () => {
    expect([0, 1, 2].map((n) => backoffMs(n, at(0.5)))).toEqual([5000, 10_000, 20_000]);
    expect(backoffMs(2, at(0))).toBe(15_000);
    expect(backoffMs(2, at(1))).toBe(25_000);
  });

  it('never goes below the floor or above the ceiling, however many looks or however unlucky', () => {
    expect(backoffMs(0, at(0))).toBe(5000);
    expect(backoffMs(10, at(1))).toBe(60_000);
    // A huge count does not overflow into Infinity or NaN.
    expect(backoffMs(10_000, at(0.5))).toBe(60_000);
  });

  it('nextCheckAt is now plus the delay', () => {
    const now = new Date('2026-12-05T12:00:00Z');
    expect(nextCheckAt(now, 1, at(0.5)).toISOString()).toBe('2026-12-05T12:00:10.000Z');
  });
});

import { describe, expect, it } from 'vitest';
import { JOB_POLL, nextDelay } from './live.js';

describe('nextDelay', () => {
  it('goes back to the floor on a change, grows ×1.5 up to the ceiling while unchanged, ×2 up to the error ceiling on errors', () => {
    expect(nextDelay(4000, 'changed', JOB_POLL)).toBe(1000);
    expect(nextDelay(1000, 'same', JOB_POLL)).toBe(1500);
    expect(nextDelay(4000, 'same', JOB_POLL)).toBe(5000);
    expect(nextDelay(1000, 'error', JOB_POLL)).toBe(2000);
    expect(nextDelay(20_000, 'error', JOB_POLL)).toBe(30_000);
    let delay = JOB_POLL.minMs;
    for (let i = 0; i < 20; i++) delay = nextDelay(delay, 'same', JOB_POLL);
    expect(delay).toBe(JOB_POLL.maxMs);
  });
});

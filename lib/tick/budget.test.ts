import { afterEach, describe, expect, it } from 'vitest';
import { createBudget, type Budget } from './budget.js';

let budgets: Budget[] = [];
afterEach(() => {
  for (const b of budgets) b.dispose();
  budgets = [];
});

function budget(o: Parameters<typeof createBudget>[0]): Budget {
  const b = createBudget(o);
  budgets.push(b);
  return b;
}

describe('budget', () => {
  it('stops claiming at three quarters and keeps WRAP_UP_MS back for the hard stop', () => {
    let t = 1_000_000;
    const b = budget({ maxMs: 60_000, requestTimeoutMs: 10_000, clock: () => t });
    expect(b.claimUntil - b.startedAt).toBe(45_000);
    expect(b.hardStopAt - b.startedAt).toBe(55_000);
    expect(b.mayClaim()).toBe(true);
    t += 44_999;
    expect(b.mayClaim()).toBe(true);
    expect(b.spent()).toBe(false);
    t += 1;
    expect(b.mayClaim()).toBe(false);
    expect(b.spent()).toBe(true);
  });

  it('keeps a fifth of a short budget back rather than all of it', () => {
    const b = budget({ maxMs: 10_000, requestTimeoutMs: 1_000, clock: () => 0 });
    expect(b.hardStopAt).toBe(8_000);
  });

  it('allows a paid start only while its answer lands before the hard stop', () => {
    let t = 0;
    const b = budget({ maxMs: 60_000, requestTimeoutMs: 10_000, clock: () => t });
    t = 44_999;
    expect(b.mayStartPaid()).toBe(true);
    t = 45_000; // 10 s before the hard stop at 55 s: the answer could come too late
    expect(b.mayStartPaid()).toBe(false);
  });

  it("follows the caller's abort", () => {
    const caller = new AbortController();
    const b = budget({ maxMs: 60_000, requestTimeoutMs: 1_000, signal: caller.signal });
    expect(b.signal.aborted).toBe(false);
    caller.abort();
    expect(b.signal.aborted).toBe(true);
    expect(b.mayClaim()).toBe(false);
    expect(b.mayStartPaid()).toBe(false);
    // The caller stopped it, not the budget.
    expect(b.spent()).toBe(false);
  });

  it('aborts by itself at the hard stop', async () => {
    const b = budget({ maxMs: 100, requestTimeoutMs: 10 });
    expect(b.signal.aborted).toBe(false);
    await new Promise((r) => b.signal.addEventListener('abort', r, { once: true }));
    expect(b.spent()).toBe(true);
    expect(Date.now() - b.startedAt).toBeGreaterThanOrEqual(79);
  });
});

/**
 * When to look at a task again: exponential backoff with jitter, clamped between a floor and a
 * ceiling. The randomness is injectable so tests and the fault suite are reproducible.
 */
import { addMilliseconds } from 'date-fns/addMilliseconds';

export interface BackoffOptions {
  minSeconds: number;
  maxSeconds: number;
  random?: () => number;
}

/** Delay before look number `n + 1` (n = 0 is the first look after the immediate one). */
export function backoffMs(n: number, { minSeconds, maxSeconds, random = Math.random }: BackoffOptions): number {
  const base = minSeconds * 1000 * 2 ** Math.min(n, 20);
  // ±25% so many tasks created together do not poll in lockstep.
  const jittered = base * (0.75 + random() * 0.5);
  return Math.round(Math.min(maxSeconds * 1000, Math.max(minSeconds * 1000, jittered)));
}

export function nextCheckAt(now: Date, n: number, options: BackoffOptions): Date {
  return addMilliseconds(now, backoffMs(n, options));
}

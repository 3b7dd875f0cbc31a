/**
 * A tick's time: when it stops claiming, when it is cut short, and whether a paid operation may
 * still be started. One object so the feed, the steps and the webhooks read the same clock.
 */

/** Time kept back at the end of maxDuration for writing outcomes and releasing leases. */
export const WRAP_UP_MS = 5_000;

export interface Budget {
  /** Aborted by the caller's signal or by the hard stop; every step and request listens on it. */
  readonly signal: AbortSignal;
  readonly startedAt: number;
  /** Work still in flight is abandoned here, leaving WRAP_UP_MS to record and give back. */
  readonly hardStopAt: number;
  /** No new claim is issued after this (three quarters of the budget). */
  readonly claimUntil: number;
  /** Whether a new claim may still be issued. */
  mayClaim(): boolean;
  /** A paid request started now is answered (requestTimeoutMs at most) before the hard stop. */
  mayStartPaid(): boolean;
  /** Whether the budget, rather than the caller or lack of work, ended the run. */
  spent(): boolean;
  /** Clears the hard-stop timer; call once the run is over. */
  dispose(): void;
}

export interface BudgetOptions {
  maxMs: number;
  /** The longest a provider request may take (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  signal?: AbortSignal;
  /** Wall clock in milliseconds; injectable for tests. */
  clock?: () => number;
}

export function createBudget(o: BudgetOptions): Budget {
  const clock = o.clock ?? Date.now;
  const startedAt = clock();
  const hardStopAt = startedAt + Math.max(o.maxMs - WRAP_UP_MS, o.maxMs * 0.8);
  const claimUntil = startedAt + o.maxMs * 0.75;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error('tick budget spent')), hardStopAt - startedAt);
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  return {
    signal,
    startedAt,
    hardStopAt,
    claimUntil,
    mayClaim: () => !signal.aborted && clock() < claimUntil,
    mayStartPaid: () => !signal.aborted && hardStopAt - clock() > o.requestTimeoutMs,
    spent: () => stop.signal.aborted || clock() >= claimUntil,
    dispose: () => clearTimeout(timer),
  };
}

/**
 * Polling with backoff, for views that follow a job: fast while things move, slower while nothing
 * changes, slower still while the server cannot be reached, and never two requests at once.
 * Realtime replaces it in production when a socket is up; this stays as the fallback.
 */
export interface PollOptions {
  minMs: number;
  maxMs: number;
  /** Ceiling while requests fail. */
  errorMaxMs: number;
}

export const JOB_POLL: PollOptions = { minMs: 1000, maxMs: 5000, errorMaxMs: 30_000 };
/** While Realtime pokes the view on every change, polling is only a safety net. */
export const LIVE_POLL: PollOptions = { minMs: 15_000, maxMs: 30_000, errorMaxMs: 30_000 };

/** The next delay: back to the floor on a change, ×1.5 while unchanged, ×2 on errors. */
export function nextDelay(previous: number, outcome: 'changed' | 'same' | 'error', options: PollOptions): number {
  if (outcome === 'changed') return options.minMs;
  if (outcome === 'same') return Math.min(options.maxMs, Math.max(options.minMs, Math.round(previous * 1.5)));
  return Math.min(options.errorMaxMs, Math.max(options.minMs * 2, previous * 2));
}

export interface Poller {
  stop(): void;
  /** Poll now (after an action), keeping the loop. */
  now(): void;
}

/**
 * Calls `step` until it says the thing followed is final or `stop` is called. `step` returns
 * whether anything changed; a throw counts as an error and is reported to `onError`.
 */
export function startPolling(
  step: (signal: AbortSignal) => Promise<'changed' | 'same' | 'final'>,
  options: PollOptions,
  onError: (err: unknown, retryInMs: number) => void,
): Poller {
  let stopped = false;
  let delay = options.minMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: AbortController | undefined;
  const run = async () => {
    if (stopped || running) return;
    clearTimeout(timer);
    running = new AbortController();
    let outcome: 'changed' | 'same' | 'error' | 'final';
    try {
      outcome = await step(running.signal);
    } catch (err) {
      if (stopped) return;
      outcome = 'error';
      delay = nextDelay(delay, 'error', options);
      onError(err, delay);
    } finally {
      running = undefined;
    }
    if (stopped || outcome === 'final') return;
    if (outcome !== 'error') delay = nextDelay(delay, outcome, options);
    timer = setTimeout(() => void run(), delay);
  };
  void run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      running?.abort();
    },
    now() {
      delay = options.minMs;
      void run();
    },
  };
}

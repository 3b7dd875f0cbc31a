/**
 * Work the local server runs that must not outlive it: HTTP requests in flight (a poll's tick),
 * scheduled ticks, and work that runs after a response (Vercel's `waitUntil` in production).
 * Shutdown aborts every piece's signal and waits for all of them, so a tick gives its leases back
 * and a Veo create already sent is recorded before the pool closes.
 */
import { log } from '../log.js';

export interface BackgroundWork {
  /** Runs `work` with a signal that aborts at shutdown; resolves when it ends (errors are logged). */
  run(name: string, work: (signal: AbortSignal) => Promise<void>): Promise<void>;
  /** Aborts every running piece of work and resolves once all of them have ended. */
  shutdown(): Promise<void>;
  /** Aborted once shutdown starts: work started later begins aborted. */
  readonly signal: AbortSignal;
}

export function createBackgroundWork(): BackgroundWork {
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  return {
    signal: stopping.signal,
    run(name, work) {
      const piece = (async () => {
        try {
          await work(stopping.signal);
        } catch (err) {
          log('background.error', { name, error: err instanceof Error ? err.message : String(err) });
        }
      })();
      running.add(piece);
      void piece.finally(() => running.delete(piece));
      return piece;
    },
    async shutdown() {
      stopping.abort(new Error('the local server is stopping'));
      // Work may register more work while it winds down (a response's follow-up): wait for that too.
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

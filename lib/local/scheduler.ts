/**
 * Stands in for Vercel Cron under `npm start`: calls the poll endpoint every interval through
 * the same handler and headers Vercel Cron uses. Unlike Vercel it never overlaps itself; the
 * poller is built to survive overlap anyway.
 */
import { log } from '../log.js';

export interface Scheduler {
  stop: () => Promise<void>;
  /** Runs a tick now (unless one is running) and resolves when it ends. */
  runNow: () => Promise<void>;
}

export function startScheduler(options: {
  intervalSeconds: number;
  /** Runs one tick; `signal` aborts it when the scheduler stops (Ctrl-C must not wait out a lingering tick). */
  call: (signal: AbortSignal) => Promise<Response>;
}): Scheduler {
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const run = () => {
    if (running) {
      log('scheduler.skip', { reason: 'previous tick still running' });
      return running;
    }
    running = (async () => {
      try {
        const response = await options.call(stopping.signal);
        const body = await response.text();
        // The tick logs its own counts; only a refused or failed call needs a line here.
        if (!response.ok) log('scheduler.error', { status: response.status, result: safeJson(body) });
      } catch (err) {
        log('scheduler.error', { error: (err as Error).message });
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(run, options.intervalSeconds * 1000);
  timer.unref();
  return {
    runNow: run,
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
}

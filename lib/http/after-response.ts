/**
 * Work a function keeps doing after its response is sent. On Vercel that is `waitUntil` from
 * `@vercel/functions`: the invocation stays alive until the work ends, bounded by the function's
 * maxDuration, and nothing can abort it early. The local server (npm start) hands in a runner of
 * its own instead, so its shutdown aborts such work and waits for it like a tick.
 */
import { waitUntil } from '@vercel/functions';
import { coerceError } from '../errors.js';
import { log } from '../log.js';

export type BackgroundRunner = (name: string, work: (signal: AbortSignal) => Promise<void>) => Promise<void>;

let runner: BackgroundRunner | undefined;

/** The local server's runner (lib/local/background.ts); undefined goes back to `waitUntil`. */
export function useBackgroundRunner(next: BackgroundRunner | undefined): void {
  runner = next;
}

/** Runs `work` after the response; its errors are logged, never thrown at the caller. */
export function afterResponse(name: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const logged = (signal: AbortSignal) =>
    work(signal).catch((err: unknown) => log('after_response.error', { name, error: coerceError(err).message }));
  if (runner) return runner(name, logged);
  const running = logged(new AbortController().signal);
  waitUntil(running);
  return running;
}

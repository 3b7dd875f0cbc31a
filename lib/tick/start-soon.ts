/**
 * Starts waiting scenes right after a handler has answered (generate, batch, retry), so Veo begins
 * within a second or two instead of at the next cron minute. It is `startNow` (the tick's own
 * fair-share claim, leases, MAX_IN_FLIGHT cap and start rules) run through `afterResponse`, within
 * what is left of the function's maxDuration. It takes whichever scenes the fair order puts first,
 * not the new job's: a new job never jumps ahead of other professors' waiting scenes. If the
 * invocation ends early, the cap is full or generation is off, the tick takes the scenes as ever.
 */
import { afterResponse } from '../http/after-response.js';
import { log } from '../log.js';
import type { Services } from '../services.js';
import { startNow } from './run-steps.js';

/**
 * @param startedAt when the invocation began (Date.now()), so the budget counts the time the
 *   handler itself spent.
 */
export function startScenesAfterResponse(services: Services, startedAt: number, reason: string): Promise<void> {
  const maxDurationMs = services.config.GENERATE_MAX_DURATION_SECONDS * 1000 - (Date.now() - startedAt);
  return afterResponse(`start scenes after ${reason}`, async (signal) => {
    if (!services.config.VIDEO_GENERATION_ENABLED || maxDurationMs <= 0) return;
    const r = await startNow(services, { maxDurationMs, signal });
    if (r.created + r.failed + r.released > 0) log('start_now', { reason, tickId: r.tickId, created: r.created, failed: r.failed, released: r.released });
  });
}

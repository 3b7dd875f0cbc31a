/**
 * Drives the real tick the way Vercel Cron would, minute after minute, with an injected clock
 * so no test sleeps through Veo's backoff.
 */
import type { Services } from '../../lib/services.js';
import { runTick, type TickResult } from '../../lib/tick/run-tick.js';

export interface Clock {
  now: () => Date;
  advance: (ms: number) => void;
}

export function testClock(start = Date.now()): Clock {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

/** Ticks (advancing the clock a minute between ticks) until the job is final or `maxTicks` is spent. */
export async function tickUntilFinal(services: Services, jobId: string, clock: Clock, maxTicks = 30): Promise<TickResult[]> {
  const results: TickResult[] = [];
  for (let i = 0; i < maxTicks; i++) {
    results.push(await runTick(services, { now: clock.now, linger: false, random: () => 0.5 }));
    const { rows } = await services.db.query<{ status: string }>('select status from video_jobs where id = $1', [jobId]);
    if (['completed', 'failed', 'canceled'].includes(rows[0]!.status)) return results;
    clock.advance(61_000);
  }
  throw new Error(`job ${jobId} not final after ${maxTicks} ticks`);
}

export function sum(results: TickResult[], key: 'created' | 'polled' | 'completed' | 'failed' | 'uploaded' | 'retried'): number {
  return results.reduce((acc, r) => acc + r[key], 0);
}

/**
 * The ticks' own record for the operator metrics: one row in video_tick_runs per tick, written as
 * it ends (supabase/migrations/20261205001500_video_tick_runs.sql). The table is bounded by the
 * insert itself, which deletes in the same statement whatever falls out of the window: no cron, no
 * separate cleanup to forget, one round trip per tick.
 */
import type { Queryable } from '../db/pool.js';
import { log } from '../log.js';

/** What a tick counts, each a column of video_tick_runs. */
export const TICK_RUN_COUNTS = ['created', 'polled', 'completed', 'failed', 'uploaded', 'retried', 'expired', 'released', 'lost'] as const;
/** Why a tick stops, as the table's CHECK lists them. */
export const TICK_STOP_REASONS = ['idle', 'budget', 'aborted'] as const;

/** What a tick reports about itself (TickResult has these and more). */
export type TickRun = Record<(typeof TICK_RUN_COUNTS)[number], number> & {
  tickId: string;
  generationEnabled: boolean;
  stoppedBecause: (typeof TICK_STOP_REASONS)[number];
  durationMs: number;
};

export interface TickRunWindow {
  /** Rows kept, newest first; at a tick a minute, 1000 is about 16 hours. */
  rows: number;
  /** And none older than this, for deployments that tick rarely (the record would mislead). */
  maxAgeHours: number;
}

export const TICK_RUNS_WINDOW: TickRunWindow = Object.freeze({ rows: 1000, maxAgeHours: 48 });

/**
 * The insert must not hold the tick past its function's end: a database that stops answering
 * costs the tick this much, then only a log line.
 */
const RECORD_TIMEOUT_MS = 3_000;

/**
 * Records a finished tick and prunes the table to `window`. Never throws: the tick's work is done
 * and written by now, and losing a line of its history must not turn it into a failed run.
 * Resolves true when the row was written.
 */
export async function recordTickRun(db: Queryable, run: TickRun, finishedAt: Date, window: TickRunWindow = TICK_RUNS_WINDOW): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const settle = (written: boolean, problem?: string) => {
    if (settled) return written;
    settled = true;
    if (problem) log('tick.run_not_recorded', { tickId: run.tickId, message: problem });
    return written;
  };
  const write = insertAndPrune(db, run, finishedAt, window).then(
    () => settle(true),
    (err: unknown) => settle(false, err instanceof Error ? err.message : String(err)),
  );
  // A write still running at the timeout may yet land; the tick just does not wait for it.
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(settle(false, `no answer within ${RECORD_TIMEOUT_MS} ms`)), RECORD_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([write, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function insertAndPrune(db: Queryable, run: TickRun, finishedAt: Date, window: TickRunWindow): Promise<void> {
  // The delete runs on the snapshot from before the insert, so it finds the cut by the new id.
  // Ids only grow; concurrent ticks may leave a row or two over the count until the next insert.
  // The table holds at most about `rows` rows, so the delete's scan of it costs next to nothing.
  await db.query(
    `with added as (
       insert into video_tick_runs (tick_id, started_at, finished_at, duration_ms, created, polled, completed, failed,
                                    uploaded, retried, expired, released, lost, generation_enabled, stopped_because)
       values ($1, $2::timestamptz - make_interval(secs => $3::double precision / 1000), $2, $3, $4, $5, $6, $7,
               $8, $9, $10, $11, $12, $13, $14)
       returning id, finished_at)
     delete from video_tick_runs r
      using added a
      where r.id <= a.id - $15 or r.finished_at < a.finished_at - make_interval(hours => $16)`,
    [
      run.tickId,
      finishedAt,
      Math.max(0, Math.round(run.durationMs)),
      run.created,
      run.polled,
      run.completed,
      run.failed,
      run.uploaded,
      run.retried,
      run.expired,
      run.released,
      run.lost,
      run.generationEnabled,
      run.stoppedBecause,
      window.rows,
      window.maxAgeHours,
    ],
  );
}

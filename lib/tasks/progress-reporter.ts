/**
 * Reporting a long step's progress while it runs (a final cut, a variation). One statement on
 * video_tasks, fenced by the lease like every other task write, so a tick that lost its lease
 * cannot scribble on the row.
 */
import type { Queryable } from '../db/pool.js';
import type { TaskRow } from './types.js';
import { writeProgress } from '../jobs/task-writes.js';

const PROGRESS_INTERVAL_MS = 1000;

/**
 * A throttled reporter of a running step's fraction done (0..1), written to the task's output
 * as `progress` for the status endpoint. Never throws: progress is a nicety, not the work.
 */
export function progressReporter(db: Queryable, task: TaskRow, extra: Record<string, unknown> = {}): (fraction: number) => void {
  let last = 0;
  let lastValue = -1;
  return (fraction) => {
    const value = Math.max(0, Math.min(0.99, Math.round(fraction * 100) / 100));
    const now = Date.now();
    if (value === lastValue || now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    lastValue = value;
    writeProgress(db, task.id, task.locked_by, { ...extra, progress: value }).catch(() => undefined);
  };
}

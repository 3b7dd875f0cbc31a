/**
 * Reading the tasks another task waits for, and reporting a long step's progress while it runs.
 * Both are single statements on video_tasks: the progress write is fenced by the lease like every
 * other task write, so a tick that lost its lease cannot scribble on the row.
 */
import { z } from 'zod';
import type { Queryable } from '../db/pool.js';
import { STATUS, type Status } from '../jobs/states.js';
import type { TaskRow } from './types.js';

const depSchema = z.object({
  position: z.number().int(),
  kind: z.string(),
  status: z.enum([STATUS.pending, STATUS.processing, STATUS.completed, STATUS.failed, STATUS.canceled]),
  output: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  /** When the dependency last finished: a retry that remade it changes this. */
  completed_at: z.date().nullable(),
});

export type Dependency = z.infer<typeof depSchema>;

export async function readDependencies(db: Queryable, jobId: string, positions: number[]): Promise<Dependency[]> {
  const { rows } = await db.query(
    `select position, kind, status, output, error, completed_at from video_tasks where job_id = $1 and position = any($2) order by position`,
    [jobId, positions],
  );
  return rows.map((r) => depSchema.parse(r));
}

export function anyActive(deps: Dependency[]): boolean {
  return deps.some((d) => d.status === STATUS.pending || d.status === STATUS.processing);
}

/** A completed dependency's stored object, if it made one. */
export function objectPathOf(dep: Dependency): string | undefined {
  const path = dep.output?.objectPath;
  return dep.status === STATUS.completed && typeof path === 'string' ? path : undefined;
}

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
    db.query(
      `update video_tasks set output = coalesce(output, '{}'::jsonb) || $3::jsonb
        where id = $1 and locked_by = $2 and status in ('pending', 'processing')`,
      [task.id, task.locked_by, JSON.stringify({ ...extra, progress: value })],
    ).catch(() => undefined);
  };
}

export type { Status };

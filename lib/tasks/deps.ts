/** Reading the tasks another task waits for (`waitsFor`): their states, outputs and ends. */
import { z } from 'zod';
import type { Queryable } from '../db/pool.js';
import { isActive, STATUS, type Status } from '../states.js';

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
  return deps.some((d) => isActive(d.status));
}

/** A completed dependency's stored object, if it made one. */
export function objectPathOf(dep: Dependency): string | undefined {
  const path = dep.output?.objectPath;
  return dep.status === STATUS.completed && typeof path === 'string' ? path : undefined;
}

export type { Status };

/**
 * Every state a job or task can be in, mirrored by CHECK constraints in supabase/migrations.
 * Code never spells a state as a loose string.
 */

export const STATUS = Object.freeze({
  pending: 'pending',
  processing: 'processing',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
} as const);

export type Status = (typeof STATUS)[keyof typeof STATUS];

export const ACTIVE_STATUSES: readonly Status[] = [STATUS.pending, STATUS.processing];
export const FINAL_STATUSES: readonly Status[] = [STATUS.completed, STATUS.failed, STATUS.canceled];

export function isFinal(status: Status): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Pending or processing: still to run, or running. */
export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/**
 * A state as an SQL literal, `'completed'`: spelled into the statement rather than passed as a
 * parameter, for the same reason as ACTIVE_IN_SQL below.
 */
export function sqlState(status: Status): string {
  return `'${status}'`;
}

/**
 * `('pending', 'processing')` for SQL, spelled as literals rather than a parameter so the planner
 * can match the partial indexes declared with the same list (a `= any($1)` would not).
 */
export const ACTIVE_IN_SQL = `(${ACTIVE_STATUSES.map((s) => sqlState(s)).join(', ')})`;

export const TASK_KIND = Object.freeze({
  veoScene: 'veo_scene',
  imagenStill: 'imagen_still',
  render: 'render',
  variation: 'variation',
} as const);

export type TaskKindName = (typeof TASK_KIND)[keyof typeof TASK_KIND];

/** What a job delivers: a (stitched) video, stills only, or variations of a finished video. */
export const JOB_KIND = Object.freeze({
  video: 'video',
  image: 'image',
  variations: 'variations',
} as const);

export type JobKindName = (typeof JOB_KIND)[keyof typeof JOB_KIND];

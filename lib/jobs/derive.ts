/**
 * What a job is, derived from its tasks: its status, whether it has ended, the failure summary
 * and what it delivers. Pure, so syncJobs can derive any number of jobs from one read, and a unit
 * test can hold the rules without a database.
 */
import { taskLabel, unitKindOf } from './progress.js';
import { isActive, JOB_KIND, STATUS, TASK_KIND, type Status } from '../states.js';

export interface TaskSummary {
  position: number;
  kind: string;
  status: Status;
  error: string | null;
  input: { scene?: number; index?: number; purpose?: string; waitsFor?: number[] };
  output: { url?: string; objectPath?: string; posterPath?: string; posterUrl?: string } | null;
}

export interface JobResult {
  videoPath: string | null;
  videoUrl: string | null;
  posterPath: string | null;
  posterUrl: string | null;
}

export interface DerivedJob {
  status: Status;
  /** No task is left to run: the job has ended (completed or failed). */
  final: boolean;
  /** Each failed task with its reason, or null when none failed. */
  error: string | null;
  result: JobResult;
  /** A pending task waits for others (`waitsFor`) and may be due now: worth waking. */
  mayWake: boolean;
}

export const NO_RESULT: JobResult = Object.freeze({ videoPath: null, videoUrl: null, posterPath: null, posterUrl: null });


function failureSummary(tasks: readonly TaskSummary[]): string | null {
  const failed = tasks.filter((t) => t.status === STATUS.failed);
  if (failed.length === 0) return null;
  return failed.map((t) => `${taskLabel(t.kind, t.input.scene ?? t.input.index ?? t.position, t.input.purpose)}: ${t.error ?? 'failed'}`).join('; ');
}

/**
 * What a finished job delivers. A video job: its final cut and poster, or (the render failed)
 * its first scene. An image job: its first still, as the poster. Variations: the first one.
 */
function resultOf(jobKind: string, tasks: readonly TaskSummary[]): JobResult {
  const done = (kind: string) => tasks.find((t) => t.kind === kind && t.status === STATUS.completed && t.output?.objectPath);
  if (jobKind === JOB_KIND.image) {
    const still = done(TASK_KIND.imagenStill);
    return still ? { ...NO_RESULT, posterPath: still.output!.objectPath!, posterUrl: still.output!.url ?? null } : NO_RESULT;
  }
  const cut = jobKind === JOB_KIND.video ? done(TASK_KIND.render) : undefined;
  const video = cut ?? done(unitKindOf(jobKind));
  if (!video) return NO_RESULT;
  return {
    videoPath: video.output!.objectPath!,
    videoUrl: video.output!.url ?? null,
    posterPath: video.output!.posterPath ?? null,
    posterUrl: video.output!.posterUrl ?? null,
  };
}

/** Tasks in position order. A job with a task left to run is pending until one has moved; an ended job completed if any unit of work did. */
export function deriveJob(jobKind: string, tasks: readonly TaskSummary[]): DerivedJob {
  const active = tasks.some((t) => isActive(t.status));
  const touched = tasks.some((t) => t.status !== STATUS.pending);
  const unitKind = unitKindOf(jobKind);
  const anyUnitDone = tasks.some((t) => t.kind === unitKind && t.status === STATUS.completed);
  const status = active ? (touched ? STATUS.processing : STATUS.pending) : anyUnitDone ? STATUS.completed : STATUS.failed;
  return {
    status,
    final: !active,
    error: failureSummary(tasks),
    result: active ? NO_RESULT : resultOf(jobKind, tasks),
    mayWake: active && tasks.some((t) => t.status === STATUS.pending && t.input.waitsFor !== undefined),
  };
}

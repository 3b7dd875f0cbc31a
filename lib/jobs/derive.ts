/**
 * What a job is, derived from its tasks: its status, whether it has ended, the failure summary
 * and what it delivers. Pure, so syncJobs can derive any number of jobs from one read, and a unit
 * test can hold the rules without a database.
 */
import { KINDS } from '../kinds/registry.js';
import type { Kinds } from '../kinds/table.js';
import type { JobResult } from '../kinds/types.js';
import { isActive, STATUS, type Status } from '../states.js';

export type { JobResult } from '../kinds/types.js';

export interface TaskSummary {
  position: number;
  kind: string;
  status: Status;
  /** The scene, still or variation it works on (video_tasks.unit, written when planned); null reads as its position. */
  unit: number | null;
  error: string | null;
  /** Read by its kind's descriptor (label); `waitsFor` by the wake-up rule. */
  input: { waitsFor?: number[]; [field: string]: unknown };
  output: { url?: string; objectPath?: string; posterPath?: string; posterUrl?: string } | null;
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

/** Each failed task named by its kind ("Scene 2: blocked; Final cut: ffmpeg"), or null. */
function failureSummary(tasks: readonly TaskSummary[], kinds: Kinds): string | null {
  const failed = tasks.filter((t) => t.status === STATUS.failed);
  if (failed.length === 0) return null;
  return failed
    .map((t) => {
      const kind = kinds.task(t.kind);
      return `${kind.label(t.unit ?? t.position, t.input)}: ${t.error ?? 'failed'}`;
    })
    .join('; ');
}

/**
 * What a finished job delivers: the first of its job kind's deliverables with a completed, stored
 * task (a video job: its final cut and poster, or, the render failed, its first scene; an image
 * job: its first still, as the poster; variations: the first one), as that task's kind delivers it.
 */
function resultOf(jobKind: string, tasks: readonly TaskSummary[], kinds: Kinds): JobResult {
  for (const kind of kinds.job(jobKind).delivers) {
    const done = tasks.find((t) => t.kind === kind.kind && t.status === STATUS.completed && t.output?.objectPath);
    if (done) return kind.result(done.output!);
  }
  return NO_RESULT;
}

/** Tasks in position order. A job with a task left to run is pending until one has moved; an ended job completed if any unit of work did. */
export function deriveJob(jobKind: string, tasks: readonly TaskSummary[], kinds: Kinds = KINDS): DerivedJob {
  const active = tasks.some((t) => isActive(t.status));
  const touched = tasks.some((t) => t.status !== STATUS.pending);
  const unitKind = kinds.job(jobKind).unit.kind;
  const anyUnitDone = tasks.some((t) => t.kind === unitKind && t.status === STATUS.completed);
  const status = active ? (touched ? STATUS.processing : STATUS.pending) : anyUnitDone ? STATUS.completed : STATUS.failed;
  return {
    status,
    final: !active,
    error: failureSummary(tasks, kinds),
    result: active ? NO_RESULT : resultOf(jobKind, tasks, kinds),
    mayWake: active && tasks.some((t) => t.status === STATUS.pending && t.input.waitsFor !== undefined),
  };
}

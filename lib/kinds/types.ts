/**
 * What a task kind says about itself to the rest of the service: how its tasks are named, which
 * unit of a job (scene, still, variation) each works on, how far along one is, what the job
 * says while one runs, and what a retry does to it. The job modules (progress, derive, plan,
 * view, list, retry) look these up by kind and never name a kind themselves, so a new kind is
 * its descriptor here plus its `advance` in lib/tasks/.
 *
 * Below lib/jobs/ and lib/tasks/ (it imports only lib/states.ts): both read it, and lib/tasks/
 * adds `advance` to each descriptor (lib/tasks/types.ts TaskKind).
 */
import type { Status } from '../states.js';

/** One task as progress and the current step read it. */
export interface TaskProgress {
  position: number;
  status: Status;
  /** Whether a provider operation exists (the scene is being generated, not just queued). */
  started: boolean;
  polls: number;
  /** Absent on rows read by callers that predate task kinds: those are scenes. */
  kind?: string;
  /** The scene, still or variation index (video_tasks.unit); defaults to the position. */
  unit?: number;
  /** 0..1 reported by a running ffmpeg step (renders, variations). */
  fraction?: number;
}

/** A task's input as stored (video_tasks.input). */
export type TaskInput = Readonly<Record<string, unknown>>;

/** What a finished job delivers (written onto the job and its escalation). */
export interface JobResult {
  videoPath: string | null;
  videoUrl: string | null;
  posterPath: string | null;
  posterUrl: string | null;
}

/** A completed task's stored output, as far as a job's result reads it. */
export interface TaskOutput {
  objectPath?: string;
  url?: string;
  posterPath?: string;
  posterUrl?: string;
}

/** What a kind's step is asked with: the whole job, and the parts of it a kind usually needs. */
export interface StepContext {
  /** Every task of the job, in position order. */
  tasks: readonly TaskProgress[];
  /** This kind's tasks. */
  mine: readonly TaskProgress[];
  /** The tasks the job is counted in (its job kind's unit). */
  units: readonly TaskProgress[];
  /** Whether this kind is what the job is counted in ("3 scenes", "2 stills"). */
  counted: boolean;
  /** "2/5": a task's unit, 1-based, out of a list's length. */
  of(task: TaskProgress, list: readonly TaskProgress[]): string;
  /** The task's kind, "rows without a kind are scenes" applied. */
  kindOf(task: TaskProgress): string;
}

export interface TaskKindDescriptor<K extends string = string> {
  kind: K;
  /** What the job is counted in when this is its unit: ['scene', 'scenes']. */
  noun: readonly [singular: string, plural: string];
  /** "Failed: no scene could be <failedVerb>" when a job counted in this kind made none. */
  failedVerb: string;
  /** "Scene 2", "Keyframe 1", "Final cut": how errors, steps and the job view name one task. */
  label(unit: number, input: TaskInput): string;
  /**
   * The unit a task works on (scene, still or variation index), read from its input once when
   * planned and stored as video_tasks.unit; undefined when it works on none (a final cut), and
   * readers then use its position.
   */
  unitOf(input: TaskInput): number | undefined;
  /** How far an active task is, 0..1 (a final one counts as 1). */
  fraction(task: TaskProgress): number;
  /**
   * Where this kind stands in asking "what is the job doing now": kinds are asked in ascending
   * rank, and the first `step` that answers names the job's current step.
   */
  stepRank: number;
  /** The current step while this kind is what the job is doing, or undefined. */
  step?(ctx: StepContext): string | undefined;
  /** Appended to "Done: 2 of 3 scenes ready" when the job completed (", final cut ready"). */
  doneNote?(mine: readonly TaskProgress[]): string;
  /** What the job delivers when this task's output is chosen (a video, or a still as the poster). */
  result(output: TaskOutput): JobResult;
  /**
   * Made from other tasks' outputs by local work: runs again whenever something it waits for
   * runs again after a retry, whatever state it ended in (lib/jobs/retry.ts). A paid kind is not:
   * its completed operation stays as it is.
   */
  rerunsAfterRetry: boolean;
  /** Starting it opens a paid provider operation: counts toward MAX_IN_FLIGHT, obeys the kill switch. */
  usesProvider: boolean;
  /** Its waiting tasks hold while their provider is paused (lib/jobs/provider-pause.ts), and the job says so. */
  pausesWithProvider: boolean;
  /** Seconds one task takes until one of the kind has completed and its median is known (lib/jobs/eta.ts). */
  typicalSeconds: number;
  /** The clip length a task asks for, shown on the job view; undefined for kinds without one. */
  durationSecondsOf?(input: TaskInput): number | undefined;
}

export interface JobKindDescriptor<K extends string = string> {
  kind: K;
  /** The task kind the job is counted in: its noun, and the job completed if any of them did. */
  unit: TaskKindDescriptor;
  /** Whose output the job delivers: the first kind here with a completed, stored task. */
  delivers: readonly TaskKindDescriptor[];
}

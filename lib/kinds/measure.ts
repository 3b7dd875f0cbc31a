/**
 * Pieces several task-kind descriptors share: how a provider operation's progress creeps, how a
 * local step's reported fraction counts, and what a stored clip or still delivers to its job.
 */
import { isActive } from '../states.js';
import type { JobResult, TaskInput, TaskOutput, TaskProgress } from './types.js';

/** Expected polls before a provider operation finishes; only shapes the bar between start and done. */
export const TYPICAL_POLLS = 6;

export const isActiveTask = (t: TaskProgress): boolean => isActive(t.status);

/** The unit a task works on: its stored unit, else its position. */
export const unitOrPosition = (t: TaskProgress): number => t.unit ?? t.position;

/** A provider operation: nothing until started, which counts for a tenth; each poll creeps towards 90%. */
export function operationFraction(t: TaskProgress): number {
  if (!t.started) return 0;
  return 0.1 + 0.8 * Math.min(1, t.polls / TYPICAL_POLLS);
}

/** Local work reporting its own fraction (ffmpeg): what it said, never quite done while it runs. */
export function reportedFraction(t: TaskProgress): number {
  return Math.min(0.95, t.fraction ?? 0);
}

/** " (42%)" while a reported fraction is above zero, else nothing. */
export const percentSuffix = (t: TaskProgress): string => (t.fraction !== undefined && t.fraction > 0 ? ` (${Math.round(t.fraction * 100)}%)` : '');

/** An integer field of a task's input, or undefined. */
export function numberAt(input: TaskInput, key: string): number | undefined {
  const value = input[key];
  return typeof value === 'number' ? value : undefined;
}

/** A stored video (a clip, the final cut, a variation) as the job's video, with its poster if it has one. */
export function videoResult(output: TaskOutput): JobResult {
  return { videoPath: output.objectPath ?? null, videoUrl: output.url ?? null, posterPath: output.posterPath ?? null, posterUrl: output.posterUrl ?? null };
}

/** A stored still as the job's poster. */
export function posterResult(output: TaskOutput): JobResult {
  return { videoPath: null, videoUrl: null, posterPath: output.objectPath ?? null, posterUrl: output.url ?? null };
}

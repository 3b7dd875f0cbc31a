/**
 * Progress and the current step, derived from the tasks every time they are read, never stored
 * by hand in a second place.
 */
import { STATUS, type Status } from './states.ts';

export interface TaskProgress {
  position: number;
  status: Status;
  /** Whether a provider operation exists (the scene is being generated, not just queued). */
  started: boolean;
  polls: number;
}

/** Expected polls before a Veo operation finishes; only shapes the bar between start and done. */
const TYPICAL_POLLS = 6;

function taskFraction(t: TaskProgress): number {
  if (t.status === STATUS.completed || t.status === STATUS.failed || t.status === STATUS.canceled) return 1;
  if (!t.started) return 0;
  // Started counts for a tenth; each poll creeps towards 90% without ever claiming done.
  return 0.1 + 0.8 * Math.min(1, t.polls / TYPICAL_POLLS);
}

export function progressOf(jobStatus: Status, tasks: TaskProgress[]): number {
  if (jobStatus === STATUS.completed || jobStatus === STATUS.failed || jobStatus === STATUS.canceled) return 100;
  if (tasks.length === 0) return 0;
  const sum = tasks.reduce((acc, t) => acc + taskFraction(t), 0);
  // Never 100 while anything is still active.
  return Math.min(99, Math.floor((sum / tasks.length) * 100));
}

export function currentStepOf(jobStatus: Status, tasks: TaskProgress[]): string {
  const total = tasks.length;
  const done = tasks.filter((t) => t.status === STATUS.completed).length;
  switch (jobStatus) {
    case STATUS.completed:
      return done === total ? `Done: ${total} of ${total} scenes ready` : `Done: ${done} of ${total} scenes ready, ${total - done} failed`;
    case STATUS.failed:
      return `Failed: no scene could be generated`;
    case STATUS.canceled:
      return 'Canceled';
    default: {
      const working = tasks.find((t) => t.started && (t.status === STATUS.pending || t.status === STATUS.processing));
      if (working) return `Generating scene ${working.position + 1}/${total}`;
      const waiting = tasks.find((t) => t.status === STATUS.pending);
      if (waiting && done + tasks.filter((t) => t.status === STATUS.failed).length > 0) return `Waiting to start scene ${waiting.position + 1}/${total}`;
      return `Queued: ${total} scene${total === 1 ? '' : 's'} waiting for the next poll`;
    }
  }
}

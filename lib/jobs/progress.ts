/**
 * Progress and the current step, derived from the tasks every time they are read, never stored
 * by hand in a second place. A job's tasks are of a few kinds (lib/jobs/plan.ts); each kind's
 * descriptor (lib/kinds/) gives its own fraction, its label and its step, and the step names
 * whatever the job is doing now: "Making keyframe 1/3", "Generating scene 3/5", "Rendering final
 * cut", "Making variation 2/4". Every function takes the set of kinds last, production's by default.
 */
import { isActiveTask, unitOrPosition } from '../kinds/measure.js';
import { KINDS } from '../kinds/registry.js';
import type { Kinds } from '../kinds/table.js';
import type { StepContext, TaskInput, TaskProgress } from '../kinds/types.js';
import { JOB_KIND, STATUS, type Status } from '../states.js';

export type { TaskProgress } from '../kinds/types.js';

function taskFraction(t: TaskProgress, kinds: Kinds): number {
  if (!isActiveTask(t)) return 1;
  return kinds.task(t.kind).fraction(t);
}

/** One task's own progress, 0–100, on the same scale the job's progress adds up. */
export function taskPercent(t: TaskProgress, kinds: Kinds = KINDS): number {
  if (isActiveTask(t)) return Math.round(taskFraction(t, kinds) * 100);
  return t.status === STATUS.completed ? 100 : 0;
}

export function progressOf(jobStatus: Status, tasks: TaskProgress[], kinds: Kinds = KINDS): number {
  if (jobStatus === STATUS.completed || jobStatus === STATUS.failed || jobStatus === STATUS.canceled) return 100;
  if (tasks.length === 0) return 0;
  const sum = tasks.reduce((acc, t) => acc + taskFraction(t, kinds), 0);
  // Never 100 while anything is still active.
  return Math.min(99, Math.floor((sum / tasks.length) * 100));
}

/** What a job is counted in: scenes, stills or variations (the task kind's name). */
export function unitKindOf(jobKind: string, kinds: Kinds = KINDS): string {
  return kinds.job(jobKind).unit.kind;
}

/** "Scene 2", "Still 1", "Keyframe 3", "Final cut", "Variation 4": how errors and steps name a task. */
export function taskLabel(kind: string, unit: number, input: TaskInput = {}, kinds: Kinds = KINDS): string {
  return kinds.task(kind).label(unit, input);
}

const of = (t: TaskProgress, list: readonly TaskProgress[]) => `${unitOrPosition(t) + 1}/${list.length}`;

/** While the job runs: the first kind (by step rank) that says what it is doing, else waiting or queued. */
function activeStep(tasks: TaskProgress[], units: TaskProgress[], unitKind: string, noun: readonly [string, string], kinds: Kinds): string {
  const kindOf = kinds.kindOf;
  for (const kind of kinds.byStepRank) {
    const ctx: StepContext = { tasks, mine: tasks.filter((t) => kindOf(t) === kind.kind), units, counted: kind.kind === unitKind, of, kindOf };
    const step = kind.step?.(ctx);
    if (step !== undefined) return step;
  }
  const total = units.length;
  const finished = units.filter((t) => !isActiveTask(t)).length;
  const waiting = units.find(isActiveTask);
  if (waiting && finished > 0) return `Waiting to start ${noun[0]} ${of(waiting, units)}`;
  return `Queued: ${total} ${total === 1 ? noun[0] : noun[1]} waiting for the next poll`;
}

export function currentStepOf(jobStatus: Status, tasks: TaskProgress[], jobKind: string = JOB_KIND.video, kinds: Kinds = KINDS): string {
  const unit = kinds.job(jobKind).unit;
  const units = tasks.filter((t) => kinds.kindOf(t) === unit.kind);
  const noun = unit.noun;
  const total = units.length;
  const done = units.filter((t) => t.status === STATUS.completed).length;
  const failed = total - done;
  switch (jobStatus) {
    case STATUS.completed: {
      const notes = kinds.tasks.map((k) => k.doneNote?.(tasks.filter((t) => kinds.kindOf(t) === k.kind)) ?? '').join('');
      const lost = failed > 0 ? `, ${failed} failed` : '';
      return `Done: ${done} of ${total} ${total === 1 ? noun[0] : noun[1]} ready${lost}${notes}`;
    }
    case STATUS.failed:
      return `Failed: no ${noun[0]} could be ${unit.failedVerb}`;
    case STATUS.canceled:
      return 'Canceled';
    default:
      return activeStep(tasks, units, unit.kind, noun, kinds);
  }
}

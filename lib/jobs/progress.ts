/**
 * Progress and the current step, derived from the tasks every time they are read, never stored
 * by hand in a second place. A job's tasks are of a few kinds (lib/jobs/plan.ts); each kind
 * contributes its own fraction, and the step names whatever the job is doing now:
 * "Making keyframe 1/3", "Generating scene 3/5", "Rendering final cut", "Making variation 2/4".
 */
import { isActive as isActiveStatus, JOB_KIND, STATUS, TASK_KIND, type Status } from '../states.js';

export interface TaskProgress {
  position: number;
  status: Status;
  /** Whether a provider operation exists (the scene is being generated, not just queued). */
  started: boolean;
  polls: number;
  /** Absent on rows read by callers that predate task kinds: those are scenes. */
  kind?: string;
  /** The scene, still or variation index (from the task's input); defaults to the position. */
  unit?: number;
  /** 0..1 reported by a running ffmpeg step (renders, variations). */
  fraction?: number;
}

/** Expected polls before a Veo operation finishes; only shapes the bar between start and done. */
const TYPICAL_POLLS = 6;

const isActive = (t: TaskProgress) => isActiveStatus(t.status);
const kindOf = (t: TaskProgress) => t.kind ?? TASK_KIND.veoScene;
const unitOf = (t: TaskProgress) => t.unit ?? t.position;

function taskFraction(t: TaskProgress): number {
  if (!isActive(t)) return 1;
  const kind = kindOf(t);
  if (kind === TASK_KIND.render || kind === TASK_KIND.variation) return Math.min(0.95, t.fraction ?? 0);
  if (!t.started) return 0;
  // Started counts for a tenth; each poll creeps towards 90% without ever claiming done.
  return 0.1 + 0.8 * Math.min(1, t.polls / TYPICAL_POLLS);
}

/** One task's own progress, 0–100, on the same scale the job's progress adds up. */
export function taskPercent(t: TaskProgress): number {
  if (isActive(t)) return Math.round(taskFraction(t) * 100);
  return t.status === STATUS.completed ? 100 : 0;
}

export function progressOf(jobStatus: Status, tasks: TaskProgress[]): number {
  if (jobStatus === STATUS.completed || jobStatus === STATUS.failed || jobStatus === STATUS.canceled) return 100;
  if (tasks.length === 0) return 0;
  const sum = tasks.reduce((acc, t) => acc + taskFraction(t), 0);
  // Never 100 while anything is still active.
  return Math.min(99, Math.floor((sum / tasks.length) * 100));
}

/** What a job is counted in: scenes, stills or variations. */
export function unitKindOf(jobKind: string): string {
  if (jobKind === JOB_KIND.image) return TASK_KIND.imagenStill;
  if (jobKind === JOB_KIND.variations) return TASK_KIND.variation;
  return TASK_KIND.veoScene;
}

const NOUN: Record<string, [string, string]> = {
  [TASK_KIND.veoScene]: ['scene', 'scenes'],
  [TASK_KIND.imagenStill]: ['still', 'stills'],
  [TASK_KIND.variation]: ['variation', 'variations'],
};

/** "Scene 2", "Still 1", "Keyframe 3", "Final cut", "Variation 4": how errors and steps name a task. */
export function taskLabel(kind: string, unit: number, purpose?: string): string {
  if (kind === TASK_KIND.render) return 'Final cut';
  if (kind === TASK_KIND.imagenStill) return `${purpose === 'keyframe' ? 'Keyframe' : 'Still'} ${unit + 1}`;
  if (kind === TASK_KIND.variation) return `Variation ${unit + 1}`;
  return `Scene ${unit + 1}`;
}

const percent = (t: TaskProgress) => (t.fraction !== undefined && t.fraction > 0 ? ` (${Math.round(t.fraction * 100)}%)` : '');

function activeStep(jobKind: string, tasks: TaskProgress[], units: TaskProgress[], noun: [string, string]): string {
  const total = units.length;
  const of = (t: TaskProgress, list: TaskProgress[]) => `${unitOf(t) + 1}/${list.length}`;
  const scene = units.find((t) => kindOf(t) === TASK_KIND.veoScene && t.started && isActive(t));
  if (scene) return `Generating scene ${of(scene, units)}`;
  const render = tasks.find((t) => kindOf(t) === TASK_KIND.render);
  if (render && isActive(render) && !units.some(isActive)) return `Rendering final cut${percent(render)}`;
  const variations = tasks.filter((t) => kindOf(t) === TASK_KIND.variation);
  const variation = variations.find((t) => isActive(t) && (t.fraction !== undefined || jobKind === JOB_KIND.variations));
  if (variation && (!render || !isActive(render))) return `Making variation ${of(variation, variations)}${percent(variation)}`;
  const stills = tasks.filter((t) => kindOf(t) === TASK_KIND.imagenStill);
  const still = stills.find(isActive);
  const touched = tasks.some((t) => t.status !== STATUS.pending || t.started || t.polls > 0);
  if (still && touched) return `Making ${jobKind === JOB_KIND.video ? 'keyframe' : 'still'} ${of(still, stills)}`;
  const finished = units.filter((t) => !isActive(t)).length;
  const waiting = units.find(isActive);
  if (waiting && finished > 0) return `Waiting to start ${noun[0]} ${of(waiting, units)}`;
  return `Queued: ${total} ${total === 1 ? noun[0] : noun[1]} waiting for the next poll`;
}

export function currentStepOf(jobStatus: Status, tasks: TaskProgress[], jobKind: string = JOB_KIND.video): string {
  const unitKind = unitKindOf(jobKind);
  const units = tasks.filter((t) => kindOf(t) === unitKind);
  const noun = NOUN[unitKind] ?? ['scene', 'scenes'];
  const total = units.length;
  const done = units.filter((t) => t.status === STATUS.completed).length;
  const failed = total - done;
  switch (jobStatus) {
    case STATUS.completed: {
      const render = tasks.find((t) => kindOf(t) === TASK_KIND.render);
      const cut = !render ? '' : render.status === STATUS.completed ? ', final cut ready' : ', final cut failed';
      const lost = failed > 0 ? `, ${failed} failed` : '';
      return `Done: ${done} of ${total} ${total === 1 ? noun[0] : noun[1]} ready${lost}${cut}`;
    }
    case STATUS.failed:
      return `Failed: no ${noun[0]} could be ${unitKind === TASK_KIND.veoScene ? 'generated' : 'made'}`;
    case STATUS.canceled:
      return 'Canceled';
    default:
      return activeStep(jobKind, tasks, units, noun);
  }
}

/** The final cut: a video job's scenes joined, with a poster; lib/tasks/render.ts runs it. */
import { STATUS, TASK_KIND } from '../states.js';
import { isActiveTask, percentSuffix, reportedFraction, videoResult } from './measure.js';
import type { TaskKindDescriptor } from './types.js';

export const renderKind: TaskKindDescriptor<typeof TASK_KIND.render> = {
  kind: TASK_KIND.render,
  noun: ['final cut', 'final cuts'],
  failedVerb: 'made',
  label: () => 'Final cut',
  // Works on no one unit: the job view shows its position.
  unitOf: () => undefined,
  fraction: reportedFraction,
  stepRank: 20,
  step: ({ mine, units }) => {
    const cut = mine[0];
    if (!cut || !isActiveTask(cut) || units.some(isActiveTask)) return undefined;
    return `Rendering final cut${percentSuffix(cut)}`;
  },
  doneNote: (mine) => {
    const cut = mine[0];
    if (!cut) return '';
    return cut.status === STATUS.completed ? ', final cut ready' : ', final cut failed';
  },
  result: videoResult,
  rerunsAfterRetry: true,
  usesProvider: false,
  pausesWithProvider: false,
  typicalSeconds: 10,
};

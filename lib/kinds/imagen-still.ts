/** A still: an image job's picture, or a scene's first frame (a keyframe); lib/tasks/imagen-still.ts runs it. */
import { STATUS, TASK_KIND } from '../states.js';
import { isActiveTask, numberAt, operationFraction, posterResult } from './measure.js';
import type { TaskKindDescriptor } from './types.js';

export const imagenStillKind: TaskKindDescriptor<typeof TASK_KIND.imagenStill> = {
  kind: TASK_KIND.imagenStill,
  noun: ['still', 'stills'],
  failedVerb: 'made',
  label: (unit, input) => `${input.purpose === 'keyframe' ? 'Keyframe' : 'Still'} ${unit + 1}`,
  unitOf: (input) => numberAt(input, 'scene'),
  fraction: operationFraction,
  stepRank: 40,
  // Only once the job has moved at all: a fresh job says it is queued, not making its first still.
  step: ({ tasks, mine, counted, of }) => {
    const still = mine.find(isActiveTask);
    const touched = tasks.some((t) => t.status !== STATUS.pending || t.started || t.polls > 0);
    if (!still || !touched) return undefined;
    // Counted in stills: an image job. Otherwise they are a video's keyframes.
    return `Making ${counted ? 'still' : 'keyframe'} ${of(still, mine)}`;
  },
  // An image job's first still becomes its poster.
  result: posterResult,
  rerunsAfterRetry: false,
  usesProvider: true,
  pausesWithProvider: false,
  typicalSeconds: 10,
};

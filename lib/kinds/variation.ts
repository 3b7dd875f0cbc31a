/** A variation of a finished video (random effects); lib/tasks/variation.ts runs it. */
import { TASK_KIND } from '../states.js';
import { isActiveTask, numberAt, percentSuffix, reportedFraction, videoResult } from './measure.js';
import { renderKind } from './render.js';
import type { TaskKindDescriptor } from './types.js';

export const variationKind: TaskKindDescriptor<typeof TASK_KIND.variation> = {
  kind: TASK_KIND.variation,
  noun: ['variation', 'variations'],
  failedVerb: 'made',
  label: (unit) => `Variation ${unit + 1}`,
  unitOf: (input) => numberAt(input, 'index'),
  fraction: reportedFraction,
  stepRank: 30,
  // A variation of this job's own final cut is shown once it reports progress, and never while
  // that cut is still being made; a variations job's own are shown as soon as they wait.
  step: ({ tasks, mine, counted, of, kindOf }) => {
    const making = mine.find((t) => isActiveTask(t) && (t.fraction !== undefined || counted));
    const cut = tasks.find((t) => kindOf(t) === renderKind.kind);
    if (!making || (cut && isActiveTask(cut))) return undefined;
    return `Making variation ${of(making, mine)}${percentSuffix(making)}`;
  },
  result: videoResult,
  rerunsAfterRetry: true,
  usesProvider: false,
  pausesWithProvider: false,
  typicalSeconds: 10,
};

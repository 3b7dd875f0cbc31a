/** A scene's clip, made by a video provider (Veo, Luma, the local stand-in); lib/tasks/veo-scene.ts runs it. */
import { TASK_KIND } from '../states.js';
import { isActiveTask, numberAt, operationFraction, videoResult } from './measure.js';
import type { TaskKindDescriptor } from './types.js';

export const veoSceneKind: TaskKindDescriptor<typeof TASK_KIND.veoScene> = {
  kind: TASK_KIND.veoScene,
  noun: ['scene', 'scenes'],
  failedVerb: 'generated',
  label: (unit) => `Scene ${unit + 1}`,
  // The storyboard index; rows written before it existed have none and use their position.
  unitOf: (input) => numberAt(input, 'scene'),
  fraction: operationFraction,
  stepRank: 10,
  step: ({ mine, units, counted, of }) => {
    if (!counted) return undefined;
    const running = mine.find((t) => t.started && isActiveTask(t));
    return running && `Generating scene ${of(running, units)}`;
  },
  result: videoResult,
  rerunsAfterRetry: false,
  usesProvider: true,
  pausesWithProvider: true,
  // Veo takes about a minute for a clip.
  typicalSeconds: 60,
  durationSecondsOf: (input) => numberAt(input, 'durationSeconds'),
};

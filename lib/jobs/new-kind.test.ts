/**
 * A new task kind is one descriptor: registered in a set of kinds here, and nothing else, the job
 * modules (progress, current step, labels, derive) treat it as they treat the built-in ones. The
 * made-up kind is a narration: a voice track per scene, made by a provider, that runs after the
 * scenes and before the final cut.
 */
import { describe, expect, it } from 'vitest';
import { isActiveTask, numberAt, operationFraction, videoResult } from '../kinds/measure.js';
import { KINDS } from '../kinds/registry.js';
import { defineKinds } from '../kinds/table.js';
import type { TaskKindDescriptor, TaskProgress } from '../kinds/types.js';
import { deriveJob, type TaskSummary } from './derive.js';
import { currentStepOf, progressOf, taskLabel, taskPercent, unitKindOf } from './progress.js';

const narration: TaskKindDescriptor = {
  kind: 'narration',
  noun: ['narration', 'narrations'],
  failedVerb: 'recorded',
  label: (unit) => `Narration ${unit + 1}`,
  unitOf: (input) => numberAt(input, 'line'),
  fraction: operationFraction,
  stepRank: 15,
  step: ({ mine, of }) => {
    const speaking = mine.find((t) => t.started && isActiveTask(t));
    return speaking && `Recording narration ${of(speaking, mine)}`;
  },
  result: videoResult,
  rerunsAfterRetry: false,
  usesProvider: true,
  pausesWithProvider: false,
  typicalSeconds: 20,
};

/** Production's kinds plus the narration; the job kinds as they are. */
const kinds = defineKinds([...KINDS.tasks, narration], KINDS.jobs);

const t = (position: number, kind: string, status: TaskProgress['status'], more: Partial<TaskProgress> = {}): TaskProgress => ({
  position, kind, status, started: false, polls: 0, ...more,
});

describe('a task kind added as a descriptor only', () => {
  const scenes = [t(0, 'veo_scene', 'completed', { unit: 0 }), t(1, 'veo_scene', 'completed', { unit: 1 })];
  const render = t(4, 'render', 'pending');

  it('is named, measured and shown as the current step of a video job', () => {
    expect(taskLabel('narration', 1, {}, kinds)).toBe('Narration 2');
    const speaking = t(3, 'narration', 'processing', { unit: 1, started: true, polls: 3 });
    const job = [...scenes, t(2, 'narration', 'completed', { unit: 0 }), speaking, render];
    expect(taskPercent(speaking, kinds)).toBe(50);
    expect(currentStepOf('processing', job, 'video', kinds)).toBe('Recording narration 2/2');
    // Scenes 1 + 1, narrations 1 + 0.5, a waiting render 0: 3.5 of 5.
    expect(progressOf('processing', job, kinds)).toBe(70);
    // Once it is done the final cut is the step, and the job is still counted in scenes.
    const rendering = [...scenes, t(2, 'narration', 'completed'), t(3, 'narration', 'completed'), t(4, 'render', 'pending', { fraction: 0.5 })];
    expect(currentStepOf('processing', rendering, 'video', kinds)).toBe('Rendering final cut (50%)');
    expect(currentStepOf('completed', [...scenes, t(2, 'narration', 'failed'), t(4, 'render', 'completed')], 'video', kinds)).toBe('Done: 2 of 2 scenes ready, final cut ready');
  });

  it('is named by its own unit in the failure summary, and the job derives as before', () => {
    const summary = (position: number, kind: string, status: TaskSummary['status'], input: TaskSummary['input'], error: string | null = null): TaskSummary => ({
      position, kind, status, error, input,
      // video_tasks.unit, as planning writes it from the kind's descriptor.
      unit: kinds.task(kind).unitOf(input) ?? null,
      output: status === 'completed' ? { objectPath: `j/${kind}-${position}.mp4`, url: `https://x/${kind}-${position}.mp4` } : null,
    });
    const derived = deriveJob('video', [
      summary(0, 'veo_scene', 'completed', { scene: 0 }),
      summary(1, 'narration', 'failed', { line: 0 }, 'voice refused'),
      summary(2, 'render', 'completed', { waitsFor: [0, 1] }),
    ], kinds);
    expect(derived).toMatchObject({ status: 'completed', final: true, error: 'Narration 1: voice refused' });
    expect(derived.result.videoPath).toBe('j/render-2.mp4');
  });

  it('production knows nothing of it: the same rows there read as scenes', () => {
    expect(taskLabel('narration', 1, {})).toBe('Scene 2');
    expect(KINDS.find('narration')).toBeUndefined();
  });

  it('can be what a job is counted in, with one job-kind entry naming it', () => {
    const withJob = defineKinds([...KINDS.tasks, narration], [...KINDS.jobs, { kind: 'podcast', unit: narration, delivers: [narration] }]);
    const lines = [t(0, 'narration', 'pending', { unit: 0 }), t(1, 'narration', 'pending', { unit: 1 })];
    expect(unitKindOf('podcast', withJob)).toBe('narration');
    expect(currentStepOf('pending', lines, 'podcast', withJob)).toBe('Queued: 2 narrations waiting for the next poll');
    expect(currentStepOf('processing', [t(0, 'narration', 'completed', { unit: 0 }), lines[1]!], 'podcast', withJob)).toBe('Waiting to start narration 2/2');
    expect(currentStepOf('failed', lines, 'podcast', withJob)).toBe('Failed: no narration could be recorded');
    const done = deriveJob('podcast', [
      { position: 0, kind: 'narration', status: 'completed', unit: 0, error: null, input: { line: 0 }, output: { objectPath: 'j/line-1.mp4' } },
      { position: 1, kind: 'narration', status: 'failed', unit: 1, error: 'refused', input: { line: 1 }, output: null },
    ], withJob);
    expect(done).toMatchObject({ status: 'completed', error: 'Narration 2: refused' });
    expect(done.result.videoPath).toBe('j/line-1.mp4');
  });
});

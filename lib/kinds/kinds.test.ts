import { describe, expect, it } from 'vitest';
import { JOB_KIND, TASK_KIND } from '../states.js';
import { imagenStillKind } from './imagen-still.js';
import { operationFraction, posterResult, reportedFraction, videoResult } from './measure.js';
import { KINDS } from './registry.js';
import { renderKind } from './render.js';
import { defineKinds } from './table.js';
import type { TaskProgress } from './types.js';
import { variationKind } from './variation.js';
import { veoSceneKind } from './veo-scene.js';

const task = (more: Partial<TaskProgress> = {}): TaskProgress => ({ position: 0, status: 'pending', started: false, polls: 0, ...more });

describe('the production kinds', () => {
  it('describe every task kind and job kind the CHECKs allow, once each', () => {
    expect(KINDS.tasks.map((k) => k.kind).sort()).toEqual(Object.values(TASK_KIND).sort());
    expect(KINDS.jobs.map((k) => k.kind).sort()).toEqual(Object.values(JOB_KIND).sort());
  });

  it('read rows without a kind as scenes, and jobs of an unknown kind as videos', () => {
    expect(KINDS.task(undefined)).toBe(veoSceneKind);
    expect(KINDS.kindOf({})).toBe(TASK_KIND.veoScene);
    expect(KINDS.find('nope')).toBeUndefined();
    expect(KINDS.job('nope').kind).toBe(JOB_KIND.video);
  });

  it('count each job kind in its own unit', () => {
    expect(KINDS.job(JOB_KIND.video).unit).toBe(veoSceneKind);
    expect(KINDS.job(JOB_KIND.image).unit).toBe(imagenStillKind);
    expect(KINDS.job(JOB_KIND.variations).unit).toBe(variationKind);
  });

  it('ask what the job is doing in the order scenes, final cut, variations, stills', () => {
    expect(KINDS.byStepRank).toEqual([veoSceneKind, renderKind, variationKind, imagenStillKind]);
  });
});

describe('each kind', () => {
  it('names a task by its unit', () => {
    expect(veoSceneKind.label(1, {})).toBe('Scene 2');
    expect(imagenStillKind.label(0, { purpose: 'keyframe' })).toBe('Keyframe 1');
    expect(imagenStillKind.label(2, { purpose: 'still' })).toBe('Still 3');
    expect(renderKind.label(7, {})).toBe('Final cut');
    expect(variationKind.label(3, {})).toBe('Variation 4');
  });

  it('reads its unit from its own input field, and a final cut has none', () => {
    expect(veoSceneKind.unitOf({ scene: 2, index: 5 })).toBe(2);
    expect(veoSceneKind.unitOf({})).toBeUndefined();
    expect(imagenStillKind.unitOf({ scene: 1 })).toBe(1);
    expect(variationKind.unitOf({ index: 3 })).toBe(3);
    expect(variationKind.unitOf({ scene: 3 })).toBeUndefined();
    expect(renderKind.unitOf({ waitsFor: [0, 1] })).toBeUndefined();
  });

  it('reruns after a retry only when made locally from other tasks', () => {
    expect(KINDS.tasks.filter((k) => k.rerunsAfterRetry)).toEqual([renderKind, variationKind]);
    expect(KINDS.tasks.filter((k) => k.usesProvider)).toEqual([veoSceneKind, imagenStillKind]);
  });

  it('shows a clip length for scenes only', () => {
    expect(veoSceneKind.durationSecondsOf?.({ durationSeconds: 8 })).toBe(8);
    expect(KINDS.tasks.filter((k) => k.durationSecondsOf)).toEqual([veoSceneKind]);
  });

  it('says ", final cut ready" or "failed" when the job is done, and nothing without a cut', () => {
    expect(renderKind.doneNote?.([task({ status: 'completed' })])).toBe(', final cut ready');
    expect(renderKind.doneNote?.([task({ status: 'failed' })])).toBe(', final cut failed');
    expect(renderKind.doneNote?.([])).toBe('');
  });
});

describe('measures', () => {
  it('an operation creeps from a tenth when started towards 90% with its polls', () => {
    expect(operationFraction(task())).toBe(0);
    expect(operationFraction(task({ started: true }))).toBeCloseTo(0.1);
    expect(operationFraction(task({ started: true, polls: 3 }))).toBeCloseTo(0.5);
    expect(operationFraction(task({ started: true, polls: 60 }))).toBeCloseTo(0.9);
  });

  it('local work counts what it reported, short of done', () => {
    expect(reportedFraction(task())).toBe(0);
    expect(reportedFraction(task({ fraction: 0.4 }))).toBe(0.4);
    expect(reportedFraction(task({ fraction: 1 }))).toBe(0.95);
  });

  it('a stored video delivers itself and its poster; a stored still is the poster', () => {
    expect(videoResult({ objectPath: 'j/final.mp4', url: 'u', posterPath: 'j/p.jpg' })).toEqual({ videoPath: 'j/final.mp4', videoUrl: 'u', posterPath: 'j/p.jpg', posterUrl: null });
    expect(posterResult({ objectPath: 'j/still-1.png' })).toEqual({ videoPath: null, videoUrl: null, posterPath: 'j/still-1.png', posterUrl: null });
  });
});

describe('defineKinds', () => {
  it('refuses a name twice, or a job kind counted in a task kind not in the set', () => {
    expect(() => defineKinds([veoSceneKind, veoSceneKind], [KINDS.jobs[0]!])).toThrow(/share a name/);
    expect(() => defineKinds([veoSceneKind], [KINDS.jobs[0]!])).toThrow(/render/);
    expect(() => defineKinds([], [])).toThrow();
  });
});

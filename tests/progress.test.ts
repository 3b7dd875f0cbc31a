/**
 * Progress and the current step, computed from the tasks of each kind of job.
 */
import { describe, expect, it } from 'vitest';
import { currentStepOf, progressOf, type TaskProgress } from '../lib/jobs/progress.js';

const t = (position: number, kind: string, status: TaskProgress['status'], more: Partial<TaskProgress> = {}): TaskProgress => ({
  position, kind, status, started: false, polls: 0, ...more,
});

describe('progress from tasks', () => {
  it('a video job walks through keyframes, scenes, the final cut and variations', () => {
    const video = (stills: TaskProgress['status'][], scenes: TaskProgress[], render: TaskProgress, variations: TaskProgress[] = []) => [
      ...stills.map((s, i) => t(i, 'imagen_still', s, { unit: i })),
      ...scenes,
      render,
      ...variations,
    ];
    const scene = (i: number, status: TaskProgress['status'], started = false) => t(2 + i, 'veo_scene', status, { unit: i, started });
    const render = (status: TaskProgress['status'], fraction?: number) => t(4, 'render', status, fraction === undefined ? {} : { fraction });

    expect(currentStepOf('pending', video(['pending', 'pending'], [scene(0, 'pending'), scene(1, 'pending')], render('pending')))).toBe('Queued: 2 scenes waiting for the next poll');
    expect(currentStepOf('processing', video(['completed', 'pending'], [scene(0, 'pending'), scene(1, 'pending')], render('pending')))).toBe('Making keyframe 2/2');
    expect(currentStepOf('processing', video(['completed', 'completed'], [scene(0, 'completed'), scene(1, 'processing', true)], render('pending')))).toBe('Generating scene 2/2');
    const rendering = video(['completed', 'completed'], [scene(0, 'completed'), scene(1, 'completed')], render('pending', 0.42));
    expect(currentStepOf('processing', rendering)).toBe('Rendering final cut (42%)');
    const varying = [...video(['completed', 'completed'], [scene(0, 'completed'), scene(1, 'completed')], render('completed')), t(5, 'variation', 'pending', { unit: 0, fraction: 0.5 }), t(6, 'variation', 'pending', { unit: 1 })];
    expect(currentStepOf('processing', varying)).toBe('Making variation 1/2 (50%)');
    expect(currentStepOf('completed', video(['completed', 'failed'], [scene(0, 'completed'), scene(1, 'failed')], render('completed')))).toBe('Done: 1 of 2 scenes ready, 1 failed, final cut ready');

    // A waiting render adds nothing until it works; its fraction then counts.
    const before = progressOf('processing', video(['completed', 'completed'], [scene(0, 'completed'), scene(1, 'completed')], render('pending')));
    expect(progressOf('processing', rendering)).toBeGreaterThan(before);
    expect(progressOf('processing', rendering)).toBeLessThan(100);
  });

  it('image and variation jobs count stills and variations', () => {
    expect(currentStepOf('processing', [t(0, 'imagen_still', 'completed'), t(1, 'imagen_still', 'pending', { unit: 1 })], 'image')).toBe('Making still 2/2');
    expect(currentStepOf('failed', [t(0, 'imagen_still', 'failed')], 'image')).toBe('Failed: no still could be made');
    expect(currentStepOf('processing', [t(0, 'variation', 'pending', { unit: 0 }), t(1, 'variation', 'pending', { unit: 1 })], 'variations')).toBe('Making variation 1/2');
    expect(currentStepOf('completed', [t(0, 'variation', 'completed'), t(1, 'variation', 'failed')], 'variations')).toBe('Done: 1 of 2 variations ready, 1 failed');
  });

  it('rows without a kind (older callers) read as scenes', () => {
    expect(currentStepOf('processing', [{ position: 0, status: 'processing', started: true, polls: 3 }])).toBe('Generating scene 1/1');
  });
});

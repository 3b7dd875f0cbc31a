import { describe, expect, it } from 'vitest';
import { deriveJob, NO_RESULT, type TaskSummary } from './derive.js';

const scene = (position: number, status: TaskSummary['status'], extra: Partial<TaskSummary> = {}): TaskSummary => ({
  position,
  kind: 'veo_scene',
  status,
  unit: position + 1,
  error: null,
  input: { scene: position + 1 },
  output: status === 'completed' ? { objectPath: `j/scene-${position + 1}.mp4`, url: `https://x/scene-${position + 1}.mp4` } : null,
  ...extra,
});
const render = (status: TaskSummary['status'], extra: Partial<TaskSummary> = {}): TaskSummary => ({
  position: 100,
  kind: 'render',
  status,
  unit: null,
  error: null,
  input: { waitsFor: [0, 1] } as TaskSummary['input'],
  output: status === 'completed' ? { objectPath: 'j/final.mp4', url: 'https://x/final.mp4', posterPath: 'j/poster.jpg', posterUrl: 'https://x/poster.jpg' } : null,
  ...extra,
});

describe('deriveJob', () => {
  it('is pending until a task moves, then processing while any runs, and wakes nothing it need not', () => {
    expect(deriveJob('video', [scene(0, 'pending'), scene(1, 'pending')])).toMatchObject({ status: 'pending', final: false, result: NO_RESULT, mayWake: false });
    expect(deriveJob('video', [scene(0, 'completed'), scene(1, 'processing'), render('pending')])).toMatchObject({ status: 'processing', final: false, mayWake: true });
  });

  it('a video job that ended delivers its final cut and poster; without one, its first stored scene', () => {
    const done = deriveJob('video', [scene(0, 'completed'), scene(1, 'completed'), render('completed')]);
    expect(done).toMatchObject({ status: 'completed', final: true, error: null, mayWake: false });
    expect(done.result).toEqual({ videoPath: 'j/final.mp4', videoUrl: 'https://x/final.mp4', posterPath: 'j/poster.jpg', posterUrl: 'https://x/poster.jpg' });
    const noCut = deriveJob('video', [scene(0, 'failed', { error: 'blocked' }), scene(1, 'completed'), render('failed', { error: 'ffmpeg' })]);
    expect(noCut.status).toBe('completed');
    expect(noCut.result.videoPath).toBe('j/scene-2.mp4');
    expect(noCut.error).toContain('blocked');
    expect(noCut.error).toContain('ffmpeg');
  });

  it('fails when no unit of work completed, naming each failed task', () => {
    const failed = deriveJob('video', [scene(0, 'failed', { error: 'safety filter' }), render('failed', { error: 'no scenes' })]);
    expect(failed).toMatchObject({ status: 'failed', final: true, result: NO_RESULT });
    expect(failed.error!.split('; ')).toHaveLength(2);
  });

  it('an image job delivers its first still as the poster', () => {
    const still: TaskSummary = { position: 0, kind: 'imagen_still', status: 'completed', unit: 1, error: null, input: { index: 1 }, output: { objectPath: 'j/still-1.png', url: 'https://x/still-1.png' } };
    expect(deriveJob('image', [still]).result).toEqual({ videoPath: null, videoUrl: null, posterPath: 'j/still-1.png', posterUrl: 'https://x/still-1.png' });
  });
});

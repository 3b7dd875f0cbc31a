import { describe, expect, it } from 'vitest';
import {
  discontinuedSuccessor,
  frameProblems,
  isLumaModel,
  lumaModelLimits,
  lumaProblems,
  nearestDuration,
  toLumaDuration,
  vertexApiVersion,
  videoModelLimits,
} from './model-limits.js';

const fields = (p: Array<{ field: string }>) => p.map((x) => x.field);

describe('frameProblems (Veo documentation rules)', () => {
  const m = 'veo-3.1-generate-001';
  it('accepts interpolation at 8 s and refuses lastFrame without image', () => {
    expect(frameProblems(m, { durationSeconds: 8, aspectRatio: '16:9', image: {}, lastFrame: {} })).toEqual([]);
    expect(fields(frameProblems(m, { durationSeconds: 8, aspectRatio: '16:9', lastFrame: {} }))).toEqual(['lastFrame']);
  });
  it('needs 8 s with interpolation or references on Veo 3.1, not on other models', () => {
    expect(fields(frameProblems(m, { durationSeconds: 6, aspectRatio: '16:9', image: {}, lastFrame: {} }))).toEqual(['durationSeconds']);
    expect(fields(frameProblems(m, { durationSeconds: 4, aspectRatio: '16:9', referenceImages: [{ referenceType: 'asset' }] }))).toEqual(['durationSeconds']);
    expect(frameProblems('veo-2.0-generate-exp', { durationSeconds: 6, aspectRatio: '16:9', image: {}, lastFrame: {} })).toEqual([]);
    // A first frame alone is not interpolation: any duration.
    expect(frameProblems(m, { durationSeconds: 4, aspectRatio: '9:16', image: {} })).toEqual([]);
  });
  it('takes references at 16:9 only, three assets or one style, never a mix', () => {
    const asset = { referenceType: 'asset' as const };
    const style = { referenceType: 'style' as const };
    expect(fields(frameProblems(m, { durationSeconds: 8, aspectRatio: '9:16', referenceImages: [asset] }))).toEqual(['aspectRatio']);
    expect(frameProblems(m, { durationSeconds: 8, aspectRatio: '16:9', referenceImages: [asset, asset, asset] })).toEqual([]);
    expect(fields(frameProblems(m, { durationSeconds: 8, aspectRatio: '16:9', referenceImages: [asset, asset, asset, asset] }))).toEqual(['referenceImages']);
    expect(fields(frameProblems(m, { durationSeconds: 8, aspectRatio: '16:9', referenceImages: [style, style] }))).toEqual(['referenceImages']);
    expect(frameProblems(m, { durationSeconds: 8, aspectRatio: '16:9', referenceImages: [asset, style] })[0]?.message).toMatch(/not a mix/);
    expect(fields(frameProblems('veo-3.0-generate-001', { durationSeconds: 8, aspectRatio: '16:9', referenceImages: [asset] }))).toEqual(['referenceImages']);
  });
});

describe('model catalogue', () => {
  it('names successors of discontinued models and leaves current ones alone', () => {
    expect(discontinuedSuccessor('veo-2.0-generate-001')).toBe('veo-3.1-generate-001');
    expect(discontinuedSuccessor('models/veo-3.0-fast-generate-001')).toBe('veo-3.1-fast-generate-001');
    expect(discontinuedSuccessor('veo-3.1-generate-001')).toBeUndefined();
  });
  it('calls GA -001 models on v1 and previews on the default', () => {
    expect(vertexApiVersion('veo-3.1-generate-001')).toBe('v1');
    expect(vertexApiVersion('veo-3.1-fast-generate-preview')).toBeUndefined();
  });
  it('describes a model as JSON without losing fields', () => {
    const limits = videoModelLimits('veo-3.0-generate-001');
    expect(JSON.parse(JSON.stringify(limits))).toEqual(limits);
    expect(limits).toMatchObject({ model: 'veo-3.0-generate-001', durations: [4, 6, 8], referenceImages: false, successor: 'veo-3.1-generate-001', vertexApiVersion: 'v1' });
  });
});

describe('Luma limits (issue 17)', () => {
  it('pins Ray 2 and Ray Flash 2 at 5 or 9 s, four resolutions, the two shapes the final cut composes', () => {
    for (const m of ['ray-2', 'ray-flash-2'] as const) {
      const limits = lumaModelLimits(m);
      expect(limits).toMatchObject({ model: m, durations: [5, 9], resolutions: ['540p', '720p', '1080p', '4k'], aspectRatios: ['16:9', '9:16'] });
      expect(JSON.parse(JSON.stringify(limits))).toEqual(limits);
    }
    expect(isLumaModel('ray-1-6')).toBe(false);
    expect(isLumaModel('veo-3.1-generate-001')).toBe(false);
  });
  it('speaks seconds to the service and "5s"/"9s" to Luma', () => {
    expect(toLumaDuration(5)).toBe('5s');
    expect(toLumaDuration(9)).toBe('9s');
    expect(toLumaDuration(8)).toBeUndefined();
  });
  it('maps a duration the other provider refuses to its nearest accepted one, ties to the longer', () => {
    expect(nearestDuration([5, 9], 4)).toBe(5);
    expect(nearestDuration([5, 9], 6)).toBe(5);
    expect(nearestDuration([5, 9], 7)).toBe(9);
    expect(nearestDuration([5, 9], 8)).toBe(9);
    expect(nearestDuration([4, 6, 8], 5)).toBe(6);
    expect(nearestDuration([4, 6, 8], 9)).toBe(8);
    expect(() => nearestDuration([], 5)).toThrow();
  });
  it('names each field Luma would refuse', () => {
    expect(lumaProblems('ray-2', { durationSeconds: 5, aspectRatio: '16:9', resolution: '720p' })).toEqual([]);
    expect(fields(lumaProblems('ray-flash-2', { durationSeconds: 8, aspectRatio: '1:1', resolution: '2k', referenceImages: [{}] }))).toEqual([
      'durationSeconds',
      'aspectRatio',
      'resolution',
      'referenceImages',
    ]);
    expect(fields(lumaProblems('ray-1-6', { durationSeconds: 5, aspectRatio: '16:9' }))).toEqual(['model']);
  });
});

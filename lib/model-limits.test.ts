import { describe, expect, it } from 'vitest';
import { discontinuedSuccessor, frameProblems, vertexApiVersion, videoModelLimits } from './model-limits.js';

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

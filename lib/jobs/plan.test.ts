import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { generateRequestSchema } from './generate-request.js';
import { planJob } from './plan.js';

// The stand-in for every job: no key needed, and the splitter writes the storyboard.
const config = loadConfig({ LOG_LEVEL: 'silent', MOCK_MODE: 'true' });
const answer = ['Light bends when it enters water.', 'That is why a straw looks broken.', 'The same bending makes rainbows.'].join('\n\n');
const plan = (body: Record<string, unknown>) => planJob(generateRequestSchema(config).parse({ response: answer, ...body }), config);

describe('planJob', () => {
  it('a video job: one scene per paragraph, then the final cut waiting for every scene', async () => {
    const p = await plan({});
    expect(p).toMatchObject({ kind: 'video', units: 3, storyboardSource: 'splitter' });
    expect(p.tasks.map((t) => t.kind)).toEqual(['veo_scene', 'veo_scene', 'veo_scene', 'render']);
    expect(p.tasks.slice(0, 3).map((t) => t.input.scene)).toEqual([0, 1, 2]);
    expect(p.tasks[3]!.input).toEqual({ waitsFor: [0, 1, 2] });
  });

  it('keyframes come first, each scene waits for its own, and variations wait for the cut', async () => {
    const p = await plan({ keyframes: true, variations: 2, variationSeed: 7 });
    expect(p.units).toBe(3);
    expect(p.tasks.map((t) => t.kind)).toEqual(['imagen_still', 'imagen_still', 'imagen_still', 'veo_scene', 'veo_scene', 'veo_scene', 'render', 'variation', 'variation']);
    expect(p.tasks.slice(0, 3).map((t) => t.input.purpose)).toEqual(['keyframe', 'keyframe', 'keyframe']);
    expect(p.tasks.slice(3, 6).map((t) => t.input.waitsFor)).toEqual([[0], [1], [2]]);
    expect(p.tasks.slice(3, 6).map((t) => t.input.image)).toEqual([{ position: 0 }, { position: 1 }, { position: 2 }]);
    expect(p.tasks[6]!.input).toEqual({ waitsFor: [3, 4, 5] });
    expect(p.tasks.slice(7).map((t) => t.input)).toEqual([
      { index: 0, count: 2, seed: 7, waitsFor: [6] },
      { index: 1, count: 2, seed: 7, waitsFor: [6] },
    ]);
  });

  it('an image job is counted in stills and has no cut', async () => {
    const p = await plan({ kind: 'image' });
    expect(p).toMatchObject({ kind: 'image', units: 3 });
    expect(p.tasks.map((t) => [t.kind, t.input.purpose, t.input.scene])).toEqual([
      ['imagen_still', 'still', 0],
      ['imagen_still', 'still', 1],
      ['imagen_still', 'still', 2],
    ]);
  });

  it('a variations job makes the asked number from its source, with the seed it was given', async () => {
    const sourceJobId = '7f0c3f8e-2a7b-4c51-9a51-0a1b2c3d4e5f';
    const p = await plan({ kind: 'variations', sourceJobId, variations: 4, variationSeed: 11 });
    expect(p).toMatchObject({ kind: 'variations', units: 4, storyboard: [] });
    expect(p.tasks.map((t) => t.input)).toEqual([0, 1, 2, 3].map((index) => ({ index, count: 4, seed: 11, sourceJobId })));
  });
});

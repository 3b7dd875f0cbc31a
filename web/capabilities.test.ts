import { describe, expect, it } from 'vitest';
import { formLimits, offersProviders, providerChoice, retryBody, retryChoice, withProvider } from './capabilities.js';
import type { Capabilities } from '../lib/jobs/capabilities.js';

function capabilities(providers: Capabilities['providers']): Capabilities {
  const first = providers[0]!;
  return {
    provider: first.name,
    providers,
    video: { model: first.model, durations: first.durations, defaultDuration: first.defaultDuration, aspectRatios: first.aspectRatios, defaultAspectRatio: '16:9', referenceImages: false, frames: { referenceAspectRatios: ['16:9'], maxAssetImages: 3, maxStyleImages: 1 } },
    styles: ['calm'],
    defaultStyle: 'calm',
    kinds: ['video'],
    priorities: ['normal'],
    defaultPriority: 'normal',
    keyframes: true,
    modelStoryboard: false,
    limits: { responseChars: 8000, questionChars: 4000, negativePromptChars: 1000, sceneTextChars: 1000, promptChars: 1800, maxScenes: 6, defaultMaxScenes: 5, maxVariations: 6 },
    operator: false,
    quotas: { jobsPerHour: 30, activeJobs: 5 },
  };
}

const VEO = { name: 'veo', label: 'Google Veo', model: 'veo-3.1', durations: [4, 6, 8], defaultDuration: 8, aspectRatios: ['16:9', '9:16'], keyframes: 'inline' } as const;
const LUMA = { name: 'luma', label: 'Luma Dream Machine', model: 'ray-2', durations: [5, 9], defaultDuration: 9, aspectRatios: ['16:9', '9:16'], keyframes: 'url', resolution: '720p' } as const;

describe('the provider choice in the new-explainer form', () => {
  it('is offered only with two or more providers, the default first', () => {
    expect(offersProviders(formLimits(capabilities([{ ...VEO, durations: [...VEO.durations], aspectRatios: [...VEO.aspectRatios] }])))).toBe(false);
    const limits = formLimits(capabilities([{ ...LUMA, durations: [...LUMA.durations], aspectRatios: [...LUMA.aspectRatios] }, { ...VEO, durations: [...VEO.durations], aspectRatios: [...VEO.aspectRatios] }]));
    expect(offersProviders(limits)).toBe(true);
    expect(limits.defaultProvider).toBe('luma');
    expect(limits.providers.map((p) => p.label)).toEqual(['Luma Dream Machine', 'Google Veo']);
  });

  it('offers the chosen provider’s clip lengths, and moves a length it does not make to its default', () => {
    const limits = formLimits(capabilities([{ ...VEO, durations: [...VEO.durations], aspectRatios: [...VEO.aspectRatios] }, { ...LUMA, durations: [...LUMA.durations], aspectRatios: [...LUMA.aspectRatios] }]));
    expect(providerChoice(limits, 'luma').durations).toEqual([5, 9]);
    expect(providerChoice(limits, 'veo').durations).toEqual([4, 6, 8]);
    const onVeo = { provider: 'veo', durationSeconds: 6, aspectRatio: '9:16', response: 'r' };
    expect(withProvider(onVeo, limits, 'luma')).toEqual({ provider: 'luma', durationSeconds: 9, aspectRatio: '9:16', response: 'r' });
    // A length both make is kept.
    const lumaLimits = formLimits(capabilities([{ ...VEO, durations: [4, 5, 8], aspectRatios: ['16:9'] }, { ...LUMA, durations: [...LUMA.durations], aspectRatios: [...LUMA.aspectRatios] }]));
    expect(withProvider({ provider: 'veo', durationSeconds: 5, aspectRatio: '16:9' }, lumaLimits, 'luma').durationSeconds).toBe(5);
    // A shape the provider does not make becomes its first.
    expect(withProvider({ provider: 'luma', durationSeconds: 9, aspectRatio: '9:16' }, lumaLimits, 'veo')).toEqual({ provider: 'veo', durationSeconds: 8, aspectRatio: '16:9' });
  });
});

describe('the provider choice when retrying failed scenes', () => {
  const two = formLimits(capabilities([{ ...VEO, durations: [...VEO.durations], aspectRatios: [...VEO.aspectRatios] }, { ...LUMA, durations: [...LUMA.durations], aspectRatios: [...LUMA.aspectRatios] }]));
  const one = formLimits(capabilities([{ ...VEO, durations: [...VEO.durations], aspectRatios: [...VEO.aspectRatios] }]));

  it('is offered only with two providers and a failed clip, starting at the provider the clip was made on', () => {
    expect(retryChoice(undefined, [{ kind: 'veo_scene', provider: 'veo' }])).toBeUndefined();
    expect(retryChoice(one, [{ kind: 'veo_scene', provider: 'veo' }])).toBeUndefined();
    // A failed still or cut is not made by a video provider: nothing to choose.
    expect(retryChoice(two, [{ kind: 'render' }, { kind: 'imagen_still', provider: 'google' }])).toBeUndefined();
    expect(retryChoice(two, [{ kind: 'render' }, { kind: 'veo_scene', provider: 'luma' }])).toEqual({ providers: two.providers, current: 'luma', initial: 'luma' });
    // A provider this deployment no longer offers: the dialog starts at the default, and sends it.
    const gone = retryChoice(two, [{ kind: 'veo_scene', provider: 'local' }]);
    expect(gone).toMatchObject({ current: undefined, initial: 'veo' });
    expect(retryBody(gone, 'veo')).toEqual({ provider: 'veo' });
  });

  it('sends a provider only when another one was picked', () => {
    const choice = retryChoice(two, [{ kind: 'veo_scene', provider: 'veo' }]);
    expect(retryBody(choice, 'veo')).toBeUndefined();
    expect(retryBody(choice, undefined)).toBeUndefined();
    expect(retryBody(choice, 'luma')).toEqual({ provider: 'luma' });
    expect(retryBody(undefined, 'luma')).toBeUndefined();
  });
});

/**
 * First frame, last frame and reference images on the wire: the REAL `@google/genai` client
 * against the Veo wire double. References go only to models that take them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { createVeoProvider, supportsReferenceImages } from '../lib/providers/veo.js';
import { startVeoWire, type VeoWire } from './doubles/veo-wire.js';

const API_KEY = 'AIzaSy-frames-test-key-00000000000';
const png = (n: number) => ({ bytesBase64: Buffer.from(`image-${n}`).toString('base64'), mimeType: 'image/png' });
let wire: VeoWire;

beforeAll(async () => {
  wire = await startVeoWire({ apiKey: API_KEY });
});
afterAll(() => wire.close());

function provider(model: string) {
  // Set after loadConfig, which refuses discontinued models: the provider's own rule is tested here.
  return createVeoProvider({ ...loadConfig({ GEMINI_API_KEY: API_KEY, GOOGLE_GENAI_BASE_URL: wire.url }), VEO_MODEL: model });
}

describe('Veo frames and references (real @google/genai against the Veo wire double)', () => {
  it('veo-3.1: image, lastFrame and referenceImages all reach the wire', async () => {
    expect(supportsReferenceImages('veo-3.1-generate-preview')).toBe(true);
    await provider('veo-3.1-generate-preview').startVideo({
      prompt: 'A leaf in sunlight', aspectRatio: '16:9', durationSeconds: 8,
      image: png(1), lastFrame: png(2), referenceImages: [{ ...png(3), referenceType: 'asset' }, { ...png(4), referenceType: 'asset' }],
    });
    const instance = (wire.creates.at(-1)!.body as { instances: Array<Record<string, any>> }).instances[0]!;
    expect(JSON.stringify(instance.image)).toContain(png(1).bytesBase64);
    expect(JSON.stringify(instance.lastFrame)).toContain(png(2).bytesBase64);
    expect(instance.referenceImages).toHaveLength(2);
    expect(instance.referenceImages.map((r: { referenceType: string }) => r.referenceType)).toEqual(['ASSET', 'ASSET']);
  });

  // Each case breaks one of Google's documented rules: the provider refuses it with a 400 naming
  // the field and never calls Veo; sent anyway through the SDK, the double refuses it as Veo does.
  const base = { prompt: 'A leaf in sunlight', aspectRatio: '16:9' as const, durationSeconds: 8 };
  const asset = (n: number) => ({ ...png(n), referenceType: 'asset' as const });
  const style = (n: number) => ({ ...png(n), referenceType: 'style' as const });
  it.each([
    ['lastFrame', 'lastFrame without image', { ...base, lastFrame: png(1) }],
    ['durationSeconds', 'interpolation at 6 s on Veo 3.1', { ...base, durationSeconds: 6, image: png(1), lastFrame: png(2) }],
    ['durationSeconds', 'references at 4 s on Veo 3.1', { ...base, durationSeconds: 4, referenceImages: [asset(1)] }],
    ['aspectRatio', 'references at 9:16', { ...base, aspectRatio: '9:16' as const, referenceImages: [asset(1)] }],
    ['referenceImages', 'asset and style mixed', { ...base, referenceImages: [asset(1), style(2)] }],
    ['referenceImages', 'two style images', { ...base, referenceImages: [style(1), style(2)] }],
    ['referenceImages', 'four asset images', { ...base, referenceImages: [asset(1), asset(2), asset(3), asset(4)] }],
  ])('refuses %s (%s) before any paid call; the double refuses it too', async (field, _why, request) => {
    const creates = wire.requests.create;
    await expect(provider('veo-3.1-generate-preview').startVideo(request)).rejects.toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringMatching(new RegExp(`^${field}: `)) });
    expect(wire.requests.create).toBe(creates);
    const { GoogleGenAI } = await import('@google/genai');
    const ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: wire.url } });
    const img = (i: { bytesBase64: string; mimeType: string }) => ({ imageBytes: i.bytesBase64, mimeType: i.mimeType });
    const r = request as typeof base & { image?: ReturnType<typeof png>; lastFrame?: ReturnType<typeof png>; referenceImages?: Array<ReturnType<typeof asset> | ReturnType<typeof style>> };
    await expect(ai.models.generateVideos({
      model: 'veo-3.1-generate-preview',
      source: { prompt: r.prompt, ...(r.image ? { image: img(r.image) } : {}) },
      config: {
        aspectRatio: r.aspectRatio, durationSeconds: r.durationSeconds,
        ...(r.lastFrame ? { lastFrame: img(r.lastFrame) } : {}),
        ...(r.referenceImages ? { referenceImages: r.referenceImages.map((x) => ({ image: img(x), referenceType: x.referenceType === 'style' ? 'STYLE' as never : 'ASSET' as never })) } : {}),
      },
    })).rejects.toMatchObject({ status: 400 });
  });

  it('veo-3.0: reference images are left out (the model refuses them), the first frame still goes', async () => {
    expect(supportsReferenceImages('veo-3.0-generate-001')).toBe(false);
    await provider('veo-3.0-generate-001').startVideo({
      prompt: 'A leaf in sunlight', aspectRatio: '16:9', durationSeconds: 8, image: png(5), referenceImages: [{ ...png(6), referenceType: 'asset' }],
    });
    const instance = (wire.creates.at(-1)!.body as { instances: Array<Record<string, unknown>> }).instances[0]!;
    expect(JSON.stringify(instance.image)).toContain(png(5).bytesBase64);
    expect(instance.referenceImages).toBeUndefined();
  });

  it('generateImage on the Developer API asks a Gemini image model for the IMAGE modality and returns its bytes', async () => {
    const result = await provider('veo-3.1-generate-preview').generateImage({ prompt: 'A diagram of a leaf', aspectRatio: '9:16' });
    expect('image' in result && result.image.mimeType).toBe('image/png');
    const sent = wire.images.at(-1)!;
    expect(sent).toMatchObject({ backend: 'gemini', model: 'gemini-2.5-flash-image' });
    expect(sent.body).toMatchObject({ generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '9:16' } } });
  });
});

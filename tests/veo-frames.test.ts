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
  return createVeoProvider(loadConfig({ GEMINI_API_KEY: API_KEY, GOOGLE_GENAI_BASE_URL: wire.url, VEO_MODEL: model }));
}

describe('Veo frames and references (real @google/genai against the Veo wire double)', () => {
  it('veo-3.1: image, lastFrame and referenceImages all reach the wire', async () => {
    expect(supportsReferenceImages('veo-3.1-generate-preview')).toBe(true);
    await provider('veo-3.1-generate-preview').startVideo({
      prompt: 'A leaf in sunlight', aspectRatio: '16:9', durationSeconds: 8,
      image: png(1), lastFrame: png(2), referenceImages: [{ ...png(3), referenceType: 'asset' }, { ...png(4), referenceType: 'style' }],
    });
    const instance = (wire.creates.at(-1)!.body as { instances: Array<Record<string, any>> }).instances[0]!;
    expect(JSON.stringify(instance.image)).toContain(png(1).bytesBase64);
    expect(JSON.stringify(instance.lastFrame)).toContain(png(2).bytesBase64);
    expect(instance.referenceImages).toHaveLength(2);
    expect(instance.referenceImages.map((r: { referenceType: string }) => r.referenceType)).toEqual(['ASSET', 'STYLE']);
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

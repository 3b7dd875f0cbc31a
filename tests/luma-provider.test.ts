/**
 * The Luma provider through the real `lumaai` SDK against the wire double (issue 17): a
 * generation started, polled to completed and streamed; each refusal and error read back as
 * the AppError or failure the tick acts on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.js';
import { createLumaProvider, type LumaProviderOptions } from '../lib/providers/luma.js';
import type { VideoProvider } from '../lib/providers/types.js';
import { LUMA_VIDEO_BYTES, type LumaWire, startLumaWire } from './doubles/luma-wire.js';
import { caught } from './support/refusals.js';

let wire: LumaWire;
let provider: VideoProvider;

function make(over: Partial<LumaProviderOptions> = {}): VideoProvider {
  return createLumaProvider({
    apiKey: wire.apiKey,
    model: 'ray-2',
    resolution: '720p',
    baseURL: wire.baseUrl,
    videoHosts: ['127.0.0.1'],
    allowHttpVideos: true,
    timeoutMs: 5000,
    ...over,
  });
}

/** The AppError the call rejects with (the tick reads its code and retryability). */
async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await caught(p);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const request = { prompt: 'A cell divides', aspectRatio: '16:9' as const, durationSeconds: 5 };

beforeEach(async () => {
  wire = await startLumaWire();
  provider = make();
});
afterEach(async () => {
  await wire.close();
});

describe('Luma provider against the wire double', () => {
  it('starts a generation in Luma\'s terms, polls it to completed and streams the video', async () => {
    const { operationName } = await provider.startVideo({ ...request, durationSeconds: 9, negativePrompt: 'text' });
    expect(wire.creates[0]).toMatchObject({ model: 'ray-2', aspect_ratio: '16:9', duration: '9s', resolution: '720p' });
    expect(wire.creates[0]!.prompt).toContain('Avoid: text');
    expect(await provider.getVideoOperation(operationName)).toEqual({ done: false });
    const done = await provider.getVideoOperation(operationName);
    expect(done).toMatchObject({ done: true, video: { kind: 'uri' } });
    if (!('video' in done)) throw new Error('no video');
    const download = await provider.openVideo(done.video);
    const chunks: Buffer[] = [];
    for await (const c of download.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(LUMA_VIDEO_BYTES);
    expect(download.contentType).toBe('video/mp4');
  });

  it('hands keyframes to Luma as URLs from the signer, and refuses them without one', async () => {
    const signed = make({ keyframeUrl: async (img) => `https://storage.example/signed/${img.mimeType.replace('/', '-')}?token=t` });
    const image = { bytesBase64: 'AAAA', mimeType: 'image/png' };
    await signed.startVideo({ ...request, image, lastFrame: { ...image, mimeType: 'image/jpeg' } });
    expect(wire.creates[0]!.keyframes).toEqual({
      frame0: { type: 'image', url: 'https://storage.example/signed/image-png?token=t' },
      frame1: { type: 'image', url: 'https://storage.example/signed/image-jpeg?token=t' },
    });
    expect((await rejection(provider.startVideo({ ...request, image }))).code).toBe('invalid_request');
  });

  it('refuses a duration, shape or reference Luma would refuse before any paid call', async () => {
    expect((await rejection(provider.startVideo({ ...request, durationSeconds: 8 }))).message).toMatch(/durationSeconds: must be 5 or 9/);
    expect((await rejection(provider.startVideo({ ...request, referenceImages: [{ bytesBase64: 'A', mimeType: 'image/png', referenceType: 'asset' }] }))).code).toBe(
      'invalid_request',
    );
    expect(wire.creates).toHaveLength(0);
  });

  it('maps 429 and 5xx to retryable errors and a bad key to a named misconfiguration', async () => {
    wire.behavior.script.push({ route: 'create', status: 429, detail: 'Too many requests' }, { route: 'create', status: 503 });
    const limited = await rejection(provider.startVideo(request));
    expect(limited).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(limited.message).toContain('Too many requests');
    expect(await rejection(provider.startVideo(request))).toMatchObject({ code: 'provider_unavailable', retryable: true });
    const badKey = await rejection(make({ apiKey: 'wrong' }).startVideo(request));
    expect(badKey).toMatchObject({ code: 'misconfigured', retryable: false });
    expect(badKey.message).toMatch(/LUMA_API_KEY/);
  });

  it('reads credit exhaustion as its own error, not a retry', async () => {
    wire.behavior.outOfCredits = true;
    expect(await rejection(provider.startVideo(request))).toMatchObject({ code: 'insufficient_credits', retryable: false });
  });

  it('ends moderation as safety_filtered with the reason, and other failures in plain words', async () => {
    wire.behavior.outcome = 'moderation';
    wire.behavior.pollsUntilDone = 1;
    const { operationName } = await provider.startVideo(request);
    const state = await provider.getVideoOperation(operationName);
    expect(state).toMatchObject({ done: true, failure: { code: 'safety_filtered' } });
    if (!('failure' in state)) throw new Error('no failure');
    expect(state.failure.message).toMatch(/moderation policy/);
    wire.behavior.outcome = 'failed';
    const second = await provider.startVideo(request);
    expect(await provider.getVideoOperation(second.operationName)).toMatchObject({ done: true, failure: { code: 'provider_error' } });
  });

  it('ends a generation Luma forgot as a failure, never a wait', async () => {
    const { operationName } = await provider.startVideo(request);
    wire.forget(operationName);
    expect(await provider.getVideoOperation(operationName)).toMatchObject({ done: true, failure: { code: 'provider_lost' } });
    expect(await provider.getVideoOperation('no-such-id')).toMatchObject({ done: true, failure: { code: 'provider_lost' } });
  });

  it("fetches videos only from Luma's hosts", async () => {
    const strict = make({ videoHosts: undefined, allowHttpVideos: false });
    for (const uri of ['https://evil.example/v.mp4', `${wire.origin}/assets/x.mp4`, 'file:///etc/passwd', 'https://notcdn-luma.com/v.mp4']) {
      expect((await rejection(strict.openVideo({ kind: 'uri', uri }))).code).toBe('unsupported_uri');
    }
  });
});

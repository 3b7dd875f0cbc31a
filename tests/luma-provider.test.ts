/**
 * The Luma provider through the real `lumaai` SDK against the wire double (issue 17): a
 * generation started, polled to completed and streamed; each refusal and error read back as
 * the AppError or failure the tick acts on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.js';
import { createLumaProvider, type LumaProviderOptions } from '../lib/providers/luma.js';
import type { OperationState, VideoProvider } from '../lib/providers/types.js';
import { LUMA_FAILURE_REASONS, LUMA_VIDEO_BYTES, type LumaWire, startLumaWire } from './doubles/luma-wire.js';
import { caught } from './support/refusals.js';

let wire: LumaWire;
let provider: VideoProvider;

/** Where keyframes live for these tests, as Storage serves them: `/frame.png` an image, anything else 404. */
let frames: Server;
let framesOrigin: string;
beforeAll(async () => {
  frames = createServer((req, res) => {
    if (req.url === '/frame.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      return void res.end(Buffer.from('89504e470d0a1a0a', 'hex'));
    }
    if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<p>not an image</p>');
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"statusCode":"404","error":"not_found","message":"Object not found"}');
  });
  await new Promise<void>((resolve) => frames.listen(0, '127.0.0.1', resolve));
  framesOrigin = `http://127.0.0.1:${(frames.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => frames.close(resolve));
});

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
const image = { bytesBase64: 'AAAA', mimeType: 'image/png' };

/** Starts with a keyframe Luma fetches from `path` on the frames server, and polls once Luma has fetched it. */
async function failedWithKeyframe(path: string): Promise<OperationState> {
  const signed = make({ keyframeUrl: async () => `${framesOrigin}${path}` });
  const fetched = wire.keyframeFetches.length;
  const { operationName } = await signed.startVideo({ ...request, image });
  for (let i = 0; i < 100 && wire.keyframeFetches.length === fetched; i++) await new Promise((r) => setTimeout(r, 10));
  return signed.getVideoOperation(operationName);
}

function failureOf(state: OperationState): { code: string; message: string; restartable?: boolean } {
  if (!('failure' in state)) throw new Error(`no failure: ${JSON.stringify(state)}`);
  return state.failure;
}

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
    // Payment Required says the same whatever its wording.
    wire.behavior.outOfCredits = false;
    wire.behavior.script.push({ route: 'create', status: 402, detail: 'Payment Required' });
    expect(await rejection(provider.startVideo(request))).toMatchObject({ code: 'insufficient_credits', retryable: false });
  });

  it("refuses a prompt Luma's reference calls too short, in Luma's words", async () => {
    const refused = await rejection(provider.startVideo({ ...request, prompt: 'ab' }));
    expect(refused).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect(refused.message).toBe('Luma start failed (HTTP 400): Prompt is too short, minimum length is 3 characters');
  });

  it("ends Luma's moderation of the prompt as safety_filtered, saying what was refused and Luma's reason", async () => {
    wire.behavior.outcome = 'moderation';
    wire.behavior.pollsUntilDone = 1;
    const { operationName } = await provider.startVideo(request);
    expect(failureOf(await provider.getVideoOperation(operationName))).toEqual({
      code: 'safety_filtered',
      message: `Luma's moderation refused the video: its language check judged the scene's prompt unsuitable (Luma said: "Advanced prompt moderation failed")`,
    });
  });

  it('ends a prompt refused for blacklisted words as safety_filtered, not a provider error', async () => {
    wire.behavior.outcome = 'moderation';
    wire.behavior.moderatedBy = 'words';
    wire.behavior.pollsUntilDone = 1;
    const { operationName } = await provider.startVideo(request);
    expect(failureOf(await provider.getVideoOperation(operationName))).toEqual({
      code: 'safety_filtered',
      message: `Luma's moderation refused the video: the scene's prompt contains words Luma does not accept (Luma said: "Contains blacklisted words")`,
    });
  });

  it("ends Luma's image moderation of a keyframe it could read as safety_filtered naming the keyframe", async () => {
    wire.behavior.outcome = 'moderation';
    wire.behavior.pollsUntilDone = 1;
    const failure = failureOf(await failedWithKeyframe('/frame.png'));
    expect(wire.keyframeFetches.at(-1)).toEqual({ url: `${framesOrigin}/frame.png`, status: 200 });
    expect(failure).toEqual({
      code: 'safety_filtered',
      message: `Luma's moderation refused the video: its image check judged the scene's keyframe image unsuitable (Luma said: "Frame moderation failed")`,
    });
  });

  it('ends a keyframe Luma could not read as its own failure, never a safety refusal; the next start signs a fresh link', async () => {
    wire.behavior.pollsUntilDone = 1;
    for (const path of ['/gone.png', '/page.html']) {
      const failure = failureOf(await failedWithKeyframe(path));
      expect(failure.code).toBe('provider_rejected');
      // Not final: the tick starts a new generation (lib/tasks/apply.ts, restart), which signs a fresh link.
      expect(failure.restartable).toBe(true);
      expect(failure.message).toBe(
        `Luma could not fetch the scene's keyframe image from its Storage link, so it made no video; this is not a content refusal, and a new generation sends Luma a fresh link to the image (Luma said: "${LUMA_FAILURE_REASONS.framesUnreadable}")`,
      );
    }
    // A retried scene starts again: the signer is asked anew, and a link Luma can read makes the video.
    const links = [`${framesOrigin}/gone.png`, `${framesOrigin}/frame.png`];
    const signer = make({ keyframeUrl: async () => links.shift()! });
    const first = await signer.startVideo({ ...request, image });
    const second = await signer.startVideo({ ...request, image });
    expect(wire.creates.slice(-2).map((c) => (c.keyframes as { frame0: { url: string } }).frame0.url)).toEqual([`${framesOrigin}/gone.png`, `${framesOrigin}/frame.png`]);
    for (let i = 0; i < 100 && wire.keyframeFetches.filter((f) => f.url.startsWith(framesOrigin)).length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    expect(failureOf(await signer.getVideoOperation(first.operationName)).code).toBe('provider_rejected');
    expect(await signer.getVideoOperation(second.operationName)).toMatchObject({ done: true, video: { kind: 'uri' } });
  });

  it('reads a create refused with "failed to moderate image" as a keyframe Luma could not check, tried again, not a safety refusal', async () => {
    wire.behavior.script.push({ route: 'create', status: 400, detail: 'failed to moderate image' });
    const refused = await rejection(provider.startVideo(request));
    expect(refused).toMatchObject({ code: 'provider_rejected', retryable: true });
    expect(refused.message).toBe(
      `Luma could not check the scene's keyframe image, most likely because it could not fetch it from its Storage link; this is not a content refusal, and a new generation sends Luma a fresh link to the image (Luma said: "failed to moderate image")`,
    );
  });

  it("ends Luma's prompt and job failures as provider errors in plain words", async () => {
    wire.behavior.outcome = 'failed';
    wire.behavior.pollsUntilDone = 1;
    const job = await provider.startVideo(request);
    expect(failureOf(await provider.getVideoOperation(job.operationName))).toEqual({
      code: 'provider_error',
      message: `Luma could not make the video: its servers failed the job on Luma's side; a retry may work (Luma said: "Job failed")`,
      restartable: true,
    });
    wire.behavior.failureReason = LUMA_FAILURE_REASONS.promptProcessing;
    const prompt = await provider.startVideo(request);
    expect(failureOf(await provider.getVideoOperation(prompt.operationName))).toEqual({
      code: 'provider_error',
      message: `Luma could not make the video: its prompt system ran into a problem on Luma's side; a retry may work (Luma said: "Prompt processing failed")`,
      restartable: true,
    });
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

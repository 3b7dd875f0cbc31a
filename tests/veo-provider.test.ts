/**
 * The Veo provider driven through the real `@google/genai` client (and, for service accounts,
 * the real google-auth-library JWT login) against the in-process Veo wire double. Nothing in
 * the SDK is mocked: every assertion is about what went over HTTP and what came back.
 */
import { getEventListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { setLogSilent } from '../lib/log.js';
import type { OperationState, VideoProvider, VideoSource } from '../lib/providers/types.js';
import { allowedDurations, createVeoProvider } from '../lib/providers/veo.js';
import { startVeoWire, type VeoWire, type VeoWireOptions } from './doubles/veo-wire.js';
import { fetchVia, vertexEnv } from './support/vertex.js';

const API_KEY = 'AIzaSy-test-secret-key-0123456789';
const MODEL = 'veo-3.1-fast-generate-preview';

/** An ftyp box followed by a free box: the first bytes of every MP4, recognisable when they come back. */
const MP4 = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2'),
  Buffer.from([0, 0, 0, 0x10]), Buffer.from('free'), Buffer.from('veo-wire'),
]);

type Backend = 'gemini' | 'vertex-service-account';

const BACKEND_ENV: Record<Backend, Record<string, string>> = {
  gemini: { GEMINI_API_KEY: API_KEY },
  'vertex-service-account': vertexEnv(),
};

function providerFor(wire: VeoWire, backend: Backend, env: Record<string, string> = {}): VideoProvider {
  const config = loadConfig({ ...BACKEND_ENV[backend], GOOGLE_GENAI_BASE_URL: wire.url, VEO_MODEL: MODEL, REQUEST_TIMEOUT_MS: '2000', ...env });
  return createVeoProvider(config, { fetch: fetchVia(wire) });
}

async function pollUntilDone(provider: VideoProvider, name: string, maxPolls = 10): Promise<{ state: OperationState; polls: number }> {
  for (let polls = 1; polls <= maxPolls; polls++) {
    const state = await provider.getVideoOperation(name);
    if (state.done) return { state, polls };
  }
  throw new Error(`operation ${name} not done after ${maxPolls} polls`);
}

async function readAll(body: Readable): Promise<{ bytes: Buffer; chunks: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

function videoOf(state: OperationState): VideoSource {
  if (!state.done || !('video' in state)) throw new Error(`expected a video, got ${JSON.stringify(state)}`);
  return state.video;
}

async function appErrorFrom(promise: Promise<unknown>): Promise<AppError> {
  const thrown = await promise.then(() => undefined, (e: unknown) => e);
  expect(thrown).toBeInstanceOf(AppError);
  return thrown as AppError;
}

const REQUEST = { prompt: 'A chalkboard drawing of the water cycle', aspectRatio: '9:16', durationSeconds: 6 } as const;

describe('Veo provider: real @google/genai client against the in-process Veo wire double', () => {
  let wire: VeoWire;
  const extraWires: VeoWire[] = [];

  async function startWire(options: VeoWireOptions = {}): Promise<VeoWire> {
    return startVeoWire({ apiKey: API_KEY, video: MP4, pollsUntilDone: 3, ...options });
  }

  beforeEach(async () => {
    wire = await startWire();
  });

  afterEach(async () => {
    await wire.close();
    await Promise.all(extraWires.splice(0).map((w) => w.close()));
  });

  test('Developer API: create → poll until done → download streams the file URI (uri source)', async () => {
    const provider = providerFor(wire, 'gemini');
    const image = { bytesBase64: Buffer.from('first-frame').toString('base64'), mimeType: 'image/png' };
    const { operationName } = await provider.startVideo({ ...REQUEST, negativePrompt: 'text, watermarks', image });

    expect(operationName).toBe(`models/${MODEL}/operations/op-1`);
    expect(wire.creates).toEqual([
      {
        backend: 'gemini',
        model: MODEL,
        body: {
          instances: [{ prompt: REQUEST.prompt, image: { bytesBase64Encoded: image.bytesBase64, mimeType: 'image/png' } }],
          parameters: { sampleCount: 1, durationSeconds: 6, aspectRatio: '9:16', negativePrompt: 'text, watermarks' },
        },
      },
    ]);

    const { state, polls } = await pollUntilDone(provider, operationName);
    expect(polls).toBe(3);
    const video = videoOf(state);
    expect(video).toEqual({ kind: 'uri', uri: `${wire.url}/v1beta/files/file-1:download?alt=media` });

    const download = await provider.openVideo(video);
    expect(download.contentType).toBe('video/mp4');
    expect(download.contentLength).toBe(MP4.length);
    expect((await readAll(download.body)).bytes.equals(MP4)).toBe(true);
    expect(wire.requests).toMatchObject({ create: 1, poll: 3, download: 1, token: 0 });
  });

  test('Vertex AI with a service account: JWT login, create → poll until done → inline bytes', async () => {
    const provider = providerFor(wire, 'vertex-service-account');
    // Interpolation as Veo 3.1 takes it: both frames, 8 s (lib/model-limits.ts).
    const { operationName } = await provider.startVideo({ ...REQUEST, durationSeconds: 8, image: { bytesBase64: 'BBBB', mimeType: 'image/png' }, lastFrame: { bytesBase64: 'AAAA', mimeType: 'image/jpeg' } });

    expect(operationName).toBe(`projects/demo-project/locations/us-central1/publishers/google/models/${MODEL}/operations/op-1`);
    expect(wire.creates[0]?.body).toEqual({
      instances: [{ prompt: REQUEST.prompt, image: { bytesBase64Encoded: 'BBBB', mimeType: 'image/png' }, lastFrame: { bytesBase64Encoded: 'AAAA', mimeType: 'image/jpeg' } }],
      parameters: { sampleCount: 1, durationSeconds: 8, aspectRatio: '9:16' },
    });

    const video = videoOf((await pollUntilDone(provider, operationName)).state);
    expect(video).toEqual({ kind: 'bytes', bytesBase64: MP4.toString('base64'), mimeType: 'video/mp4' });
    const download = await provider.openVideo(video);
    expect(download.contentLength).toBe(MP4.length);
    expect((await readAll(download.body)).bytes.equals(MP4)).toBe(true);
    // The double refuses Vertex calls without the bearer token, so one login served them all.
    expect(wire.requests).toMatchObject({ create: 1, poll: 3, download: 0, token: 1 });
  });

  test('Vertex with a key beside the project sends no key: the project and the service account carry the calls', async () => {
    const sent: Array<string | null> = [];
    const recording: typeof fetch = (input, init) => {
      sent.push(new Headers(input instanceof Request ? input.headers : init?.headers).get('x-goog-api-key'));
      return fetchVia(wire)(input, init);
    };
    const config = loadConfig({ ...vertexEnv(), GOOGLE_API_KEY: API_KEY, GOOGLE_GENAI_BASE_URL: wire.url, VEO_MODEL: MODEL, REQUEST_TIMEOUT_MS: '2000' });
    const provider = createVeoProvider(config, { fetch: recording });
    const { operationName } = await provider.startVideo(REQUEST);
    expect(operationName).toMatch(new RegExp(`^projects/demo-project/locations/us-central1/publishers/google/models/${MODEL}/operations/`));
    expect(videoOf((await pollUntilDone(provider, operationName)).state).kind).toBe('bytes');
    expect(sent.length).toBeGreaterThanOrEqual(5);
    expect(sent.every((key) => key === null)).toBe(true);
    expect(wire.requests).toMatchObject({ create: 1, poll: 3, token: 1 });
  });

  test('a project-less Vertex path (what express mode would send) has no Veo route', async () => {
    const res = await fetch(`${wire.url}/v1beta1/publishers/google/models/${MODEL}:predictLongRunning`, {
      method: 'POST', headers: { 'x-goog-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ instances: [{ prompt: 'x' }] }),
    });
    expect(res.status).toBe(404);
    expect(wire.requests.create).toBe(0);
  });

  test('a reloaded operation works from its stored name alone, in a fresh provider instance', async () => {
    const { operationName } = await providerFor(wire, 'gemini').startVideo(REQUEST);
    const stored = JSON.parse(JSON.stringify({ operationName })) as { operationName: string };
    const { state } = await pollUntilDone(providerFor(wire, 'gemini'), stored.operationName);
    expect(videoOf(state).kind).toBe('uri');
  });

  test('an unknown operation name is a 404: not retryable', async () => {
    const error = await appErrorFrom(providerFor(wire, 'gemini').getVideoOperation(`models/${MODEL}/operations/nope`));
    expect(error).toMatchObject({ status: 404, retryable: false });
  });

  test.each(['gemini', 'vertex-service-account'] as const)('safety filtered (%s) → failure safety_filtered with the reasons', async (backend) => {
    wire.setBehavior({ outcome: 'safety', safetyReasons: ['The prompt could not be submitted. It may violate our policies.'], pollsUntilDone: 1 });
    const provider = providerFor(wire, backend);
    const { operationName } = await provider.startVideo(REQUEST);
    const { state } = await pollUntilDone(provider, operationName);
    expect(state).toEqual({
      done: true,
      failure: { code: 'safety_filtered', message: "Veo's safety filter blocked the video: The prompt could not be submitted. It may violate our policies." },
    });
  });

  test.each(['gemini', 'vertex-service-account'] as const)('safety block reported as a failed operation (%s, code 3 Responsible AI) → safety_filtered', async (backend) => {
    wire.setBehavior({ outcome: 'safety-error', pollsUntilDone: 1 });
    const provider = providerFor(wire, backend);
    const { operationName } = await provider.startVideo(REQUEST);
    const { state } = await pollUntilDone(provider, operationName);
    expect(state).toMatchObject({ done: true, failure: { code: 'safety_filtered' } });
    expect(state.done && 'failure' in state && state.failure.message).toMatch(/^Veo's safety filter blocked the video: .*Responsible AI practices.*Support codes: \d+/);
  });

  test('Vertex: a GA -001 model is called on v1, a preview model on the SDK default v1beta1', async () => {
    await providerFor(wire, 'vertex-service-account', { VEO_MODEL: 'veo-3.1-fast-generate-001' }).startVideo(REQUEST);
    expect(wire.createPaths.at(-1)).toMatch(/^\/v1\/projects\/demo-project\/locations\/us-central1\/publishers\/google\/models\/veo-3.1-fast-generate-001:predictLongRunning$/);
    await providerFor(wire, 'vertex-service-account').startVideo(REQUEST);
    expect(wire.createPaths.at(-1)).toMatch(/^\/v1beta1\/projects\/demo-project\//);
  });

  test('an operation ending in error → provider_error failure carrying Google’s message', async () => {
    wire.setBehavior({ outcome: 'error', errorMessage: 'Internal error encountered.', pollsUntilDone: 1 });
    const provider = providerFor(wire, 'gemini');
    const { operationName } = await provider.startVideo(REQUEST);
    expect((await pollUntilDone(provider, operationName)).state).toEqual({
      done: true,
      failure: { code: 'provider_error', message: 'Veo could not make the video: Internal error encountered.' },
    });
  });

  test('done without a video and without a filter → no_video', async () => {
    wire.setBehavior({ outcome: 'empty', pollsUntilDone: 1 });
    const provider = providerFor(wire, 'vertex-service-account');
    const { operationName } = await provider.startVideo(REQUEST);
    const { state } = await pollUntilDone(provider, operationName);
    expect(state.done && 'failure' in state ? state.failure.code : 'none').toBe('no_video');
  });

  test.each([429, 500, 503])('HTTP %i → AppError, retryable, status kept', async (status) => {
    wire.setBehavior({ script: [{ route: 'create', status }] });
    const provider = providerFor(wire, 'gemini');
    const error = await appErrorFrom(provider.startVideo(REQUEST));
    expect(error).toMatchObject({ status, retryable: true });
    // The SDK did not retry behind our back: the tick owns retries.
    expect(wire.requests.create).toBe(1);
    await expect(provider.startVideo(REQUEST)).resolves.toMatchObject({ operationName: expect.any(String) });
  });

  test('HTTP 400 (a wrong API key) → AppError, not retryable', async () => {
    const provider = providerFor(wire, 'gemini', { GEMINI_API_KEY: 'AIzaSy-wrong-key' });
    const error = await appErrorFrom(provider.startVideo(REQUEST));
    expect(error).toMatchObject({ status: 400, retryable: false, code: 'provider_rejected' });
    expect(error.message).toContain('API key not valid');
  });

  test('a hung poll → timeout AppError, retryable', async () => {
    const provider = providerFor(wire, 'vertex-service-account', { REQUEST_TIMEOUT_MS: '200' });
    const { operationName } = await provider.startVideo(REQUEST);
    wire.setBehavior({ script: [{ route: 'poll', hang: true }] });
    const error = await appErrorFrom(provider.getVideoOperation(operationName));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
  });

  test("the caller's abort signal stops a slow Vertex poll", async () => {
    const provider = providerFor(wire, 'vertex-service-account');
    const { operationName } = await provider.startVideo(REQUEST);
    wire.setBehavior({ script: [{ route: 'poll', delayMs: 1500 }] });
    const started = Date.now();
    const error = await appErrorFrom(provider.getVideoOperation(operationName, AbortSignal.timeout(100)));
    expect(error).toMatchObject({ code: 'aborted', retryable: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });


  test("calls under one long-lived signal (a tick's) leave no abort listener on it", async () => {
    // The SDK keeps its listener on the abortSignal it is given after a call succeeds; a tick
    // polls hundreds of scenes under one signal, so each call must get a signal of its own.
    const tick = new AbortController();
    const listeners = () => getEventListeners(tick.signal, 'abort').length;
    for (const backend of ['gemini', 'vertex-service-account'] as const) {
      const provider = providerFor(wire, backend);
      const { operationName } = await provider.startVideo(REQUEST, tick.signal);
      for (let i = 0; i < 4; i++) await provider.getVideoOperation(operationName, tick.signal);
      expect(listeners()).toBe(0);
    }
    // And the caller's abort still reaches a call in flight.
    const provider = providerFor(wire, 'gemini');
    const { operationName } = await provider.startVideo(REQUEST);
    wire.setBehavior({ script: [{ route: 'poll', delayMs: 1500 }] });
    const polling = appErrorFrom(provider.getVideoOperation(operationName, tick.signal));
    setTimeout(() => tick.abort(), 50);
    expect(await polling).toMatchObject({ code: 'aborted', retryable: true });
    expect(listeners()).toBe(0);
  });
  test('a failed download (500) is retryable; a non-video content type is refused', async () => {
    const provider = providerFor(wire, 'gemini');
    const { operationName } = await provider.startVideo(REQUEST);
    const video = videoOf((await pollUntilDone(provider, operationName)).state);

    wire.setBehavior({ failDownloads: true });
    expect(await appErrorFrom(provider.openVideo(video))).toMatchObject({ status: 500, retryable: true });

    wire.setBehavior({ failDownloads: false, contentType: 'text/html; charset=utf-8' });
    expect(await appErrorFrom(provider.openVideo(video))).toMatchObject({ code: 'not_a_video', retryable: false });
  });

  test('a download redirected to a signed URL elsewhere does not carry the API key there', async () => {
    const storage = await startWire();
    extraWires.push(storage);
    wire.setBehavior({ redirectDownloads: true, signedBaseUrl: storage.url });
    const provider = providerFor(wire, 'gemini');
    const { operationName } = await provider.startVideo(REQUEST);
    const download = await provider.openVideo(videoOf((await pollUntilDone(provider, operationName)).state));
    expect((await readAll(download.body)).bytes.equals(MP4)).toBe(true);
    expect(storage.requests.signed).toBe(1);
    expect(storage.keyLeaks).toBe(0);
  });

  test('a large generated video streams in many chunks with its length', async () => {
    const big = await startVeoWire({ apiKey: API_KEY, videoSize: 8 * 1024 * 1024, chunkSize: 64 * 1024, pollsUntilDone: 1 });
    extraWires.push(big);
    const provider = providerFor(big, 'gemini');
    const { operationName } = await provider.startVideo(REQUEST);
    const download = await provider.openVideo(videoOf((await pollUntilDone(provider, operationName)).state));
    expect(download.contentLength).toBe(8 * 1024 * 1024);
    const { bytes, chunks } = await readAll(download.body);
    expect(bytes.length).toBe(8 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(8);
    expect(bytes[300]).toBe(300 % 251);
  });

  test('seeded chaos replays the same faults in the same order', async () => {
    const outcomes = async (seed: number) => {
      const chaotic = await startWire({ chaos: { seed, routes: ['create'], p429: 0.3, p500: 0.2, pSlow: 0, slowMs: 0, pHang: 0 } });
      extraWires.push(chaotic);
      const provider = providerFor(chaotic, 'gemini');
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) {
        seen.push(await provider.startVideo(REQUEST).then(() => 'ok', (e: AppError) => String(e.status)));
      }
      return seen;
    };
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', '429', '500']));
  });

  test('startVideo refuses a duration the model does not make, before any request', async () => {
    const error = await appErrorFrom(providerFor(wire, 'gemini').startVideo({ ...REQUEST, durationSeconds: 5 }));
    expect(error).toMatchObject({ code: 'invalid_request', retryable: false, status: 400 });
    expect(wire.requests.create).toBe(0);
  });

  test('allowedDurations: Veo 2 makes 5–8 s, Veo 3.x makes 4, 6 or 8 s', () => {
    expect(allowedDurations('veo-2.0-generate-001')).toEqual([5, 6, 7, 8]);
    expect(allowedDurations('models/veo-2.0-generate-001')).toEqual([5, 6, 7, 8]);
    expect(allowedDurations('veo-3.0-generate-001')).toEqual([4, 6, 8]);
    expect(allowedDurations('veo-3.1-fast-generate-preview')).toEqual([4, 6, 8]);
  });

  describe('logging', () => {
    let lines: string[];

    beforeEach(() => {
      lines = [];
      setLogSilent(false);
      const capture = (...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.message} ${String(a.cause)}` : JSON.stringify(a))).join(' '));
      };
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        capture(String(chunk));
        return true;
      });
      for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, method).mockImplementation(capture);
    });

    afterEach(() => {
      vi.restoreAllMocks();
      setLogSilent(true);
    });

    test('the API key and signed URLs never appear in anything logged or thrown', async () => {
      const storage = await startWire();
      extraWires.push(storage);
      wire.setBehavior({ redirectDownloads: true, signedBaseUrl: storage.url });
      const errors: string[] = [];
      for (const backend of ['gemini', 'vertex-service-account'] as const) {
        const provider = providerFor(wire, backend);
        const { operationName } = await provider.startVideo(REQUEST);
        const download = await provider.openVideo(videoOf((await pollUntilDone(provider, operationName)).state));
        await readAll(download.body);
        wire.setBehavior({ script: [{ route: 'create', status: 429 }, { route: 'poll', status: 500 }] });
        errors.push((await appErrorFrom(provider.startVideo(REQUEST))).message);
        errors.push((await appErrorFrom(provider.getVideoOperation(operationName))).message);
      }
      errors.push((await appErrorFrom(providerFor(wire, 'gemini', { GEMINI_API_KEY: `${API_KEY}-x` }).startVideo(REQUEST))).message);

      const everything = [...lines, ...errors].join('\n');
      expect(lines.some((l) => l.includes('"event":"veo_started"'))).toBe(true);
      expect(lines.some((l) => l.includes('"event":"veo_download_opened"'))).toBe(true);
      expect(errors).toHaveLength(5);
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain('X-Goog-Signature');
    });
  });
});

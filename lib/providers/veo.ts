/**
 * Google Veo behind the VideoProvider contract, through the official `@google/genai` client.
 *
 * The SDK owns the wire format. Two backends:
 *  - Gemini Developer API (an API key): a finished video is a file URI that needs the key to download.
 *  - Vertex AI (a project and location, with a service account or ADC): a finished video comes
 *    back inline as base64. Not express mode (an API key on Vertex): loadConfig refuses it.
 * Operations are reloaded from their stored name on every poll, so whichever instance runs the
 * tick can poll what another one started. SDK retries stay off: the tick owns retry policy.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { GenerateVideosOperation, GoogleGenAI } from '@google/genai';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { log } from '../log.js';
import { generateStill } from './google-images.js';
import { clientOptions, fetchWithSignal, loadGenAI, toAppError, usesVertex, withCallSignal, type Backend, type Fetch } from './google-client.js';
import { allowedDurations, frameProblems, supportsReferenceImages } from '../model-limits.js';
import type { ImageInput, OperationState, VideoDownload, VideoProvider, VideoRequest, VideoSource } from './types.js';

const GEMINI_ORIGIN = 'https://generativelanguage.googleapis.com';
const MAX_REDIRECTS = 5;

export { allowedDurations, supportsReferenceImages } from '../model-limits.js';

// ---------------------------------------------------------------------------------------------
// Operation state (the SDK's parsed operation is the boundary)

const videoSchema = z.object({ uri: z.string().optional(), videoBytes: z.string().optional(), mimeType: z.string().optional() });
const operationSchema = z.object({
  name: z.string().optional(),
  done: z.boolean().optional(),
  error: z.object({ code: z.number().optional(), message: z.string().optional() }).optional(),
  response: z
    .object({
      generatedVideos: z.array(z.object({ video: videoSchema.optional() })).optional(),
      raiMediaFilteredCount: z.number().optional(),
      raiMediaFilteredReasons: z.array(z.string()).optional(),
    })
    .optional(),
});

type ParsedOperation = z.infer<typeof operationSchema>;

function parseOperation(value: unknown): ParsedOperation {
  const parsed = operationSchema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('provider_bad_response', `Veo returned an operation this service cannot read: ${parsed.error.message}`, {
      status: 502,
      retryable: true,
    });
  }
  return parsed.data;
}

function safetyMessage(reasons: string[] | undefined): string {
  const words = (reasons ?? []).map((r) => r.trim()).filter(Boolean);
  return words.length > 0
    ? `Veo's safety filter blocked the video: ${words.join('; ')}`
    : "Veo's safety filter blocked the video (Google gave no reason)";
}

/** Maps a finished-or-not operation onto the provider contract. */
function operationState(op: ParsedOperation): OperationState {
  if (!op.done) return { done: false };
  if (op.error) {
    const message = op.error.message ?? `error code ${op.error.code ?? 'unknown'}`;
    // Veo also reports a safety block as a failed operation: INVALID_ARGUMENT (3) with a
    // "…Responsible AI practices… Support codes: …" message. It is the same outcome as a filtered response.
    if (op.error.code === 3 && /responsible ai/i.test(message)) {
      return { done: true, failure: { code: 'safety_filtered', message: `Veo's safety filter blocked the video: ${message}` } };
    }
    return { done: true, failure: { code: 'provider_error', message: `Veo could not make the video: ${message}` } };
  }
  const response = op.response;
  const video = response?.generatedVideos?.find((v) => v.video?.uri || v.video?.videoBytes)?.video;
  if ((response?.raiMediaFilteredCount ?? 0) > 0 || (!video && (response?.raiMediaFilteredReasons?.length ?? 0) > 0)) {
    return { done: true, failure: { code: 'safety_filtered', message: safetyMessage(response?.raiMediaFilteredReasons) } };
  }
  const mime = video?.mimeType ? { mimeType: video.mimeType } : {};
  if (video?.uri) return { done: true, video: { kind: 'uri', uri: video.uri, ...mime } };
  if (video?.videoBytes) return { done: true, video: { kind: 'bytes', bytesBase64: video.videoBytes, ...mime } };
  return { done: true, failure: { code: 'no_video', message: 'Veo finished without returning a video' } };
}

// ---------------------------------------------------------------------------------------------
// Download

function acceptableContentType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('video/') || type === 'application/octet-stream';
}

function contentLengthOf(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  const n = header === null ? NaN : Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function fromBytes(source: Extract<VideoSource, { kind: 'bytes' }>): VideoDownload {
  const buffer = Buffer.from(source.bytesBase64, 'base64');
  return { body: Readable.from([buffer]), contentType: source.mimeType ?? 'video/mp4', contentLength: buffer.length };
}

function toImage(image: ImageInput): { imageBytes: string; mimeType: string } {
  return { imageBytes: image.bytesBase64, mimeType: image.mimeType };
}

// ---------------------------------------------------------------------------------------------
// The provider

export function createVeoProvider(config: Config, options: { fetch?: Fetch } = {}): VideoProvider {
  // Looked up per call, so a fetch swapped in after construction (a test stub) is honoured.
  const baseFetch: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  let client: Promise<GoogleGenAI> | undefined;
  const genai = () => (client ??= loadGenAI().then(({ GoogleGenAI }) => new GoogleGenAI(clientOptions(config, options.fetch))));
  const backend: Backend = usesVertex(config) ? 'vertex' : 'gemini';
  const model = config.VEO_MODEL;
  // The key goes only to the API's own origin, never to wherever a download redirects.
  const keyOrigin = new URL(config.GOOGLE_GENAI_BASE_URL ?? GEMINI_ORIGIN).origin;

  /** Per-call HTTP options: the caller's signal has to reach the fetch on every backend. */
  const callHttp = (signal?: AbortSignal) => (signal ? { httpOptions: { fetch: fetchWithSignal(baseFetch, signal) } } : {});

  async function startVideo(request: VideoRequest, signal?: AbortSignal): Promise<{ operationName: string }> {
    const durations = allowedDurations(model);
    if (!durations.includes(request.durationSeconds)) {
      throw new AppError('invalid_request', `${model} makes ${durations.join(', ')} second videos, not ${request.durationSeconds}`, { status: 400 });
    }
    // References a model does not take are left out (as before); the rest must satisfy Veo's
    // frame rules here, before the paid call, since Veo refuses them only after a round trip.
    const references = supportsReferenceImages(model) ? request.referenceImages : undefined;
    const problem = frameProblems(model, { ...request, referenceImages: references })[0];
    if (problem) throw new AppError('invalid_request', `${problem.field}: ${problem.message}`, { status: 400 });
    const { VideoGenerationReferenceType } = await loadGenAI();
    const ai = await genai();
    let operation: GenerateVideosOperation;
    try {
      operation = await withCallSignal(signal, (own) => ai.models.generateVideos({
        model,
        // `source` rather than top-level prompt/image: the SDK deprecates the latter and warns on every call.
        source: { prompt: request.prompt, ...(request.image ? { image: toImage(request.image) } : {}) },
        config: {
          numberOfVideos: 1,
          aspectRatio: request.aspectRatio,
          durationSeconds: request.durationSeconds,
          ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
          ...(request.lastFrame ? { lastFrame: toImage(request.lastFrame) } : {}),
          ...(references?.length
            ? {
                referenceImages: references.map((r) => ({
                  image: toImage(r),
                  referenceType: r.referenceType === 'style' ? VideoGenerationReferenceType.STYLE : VideoGenerationReferenceType.ASSET,
                })),
              }
            : {}),
          ...(own ? { abortSignal: own } : {}),
          ...callHttp(own),
        },
      }));
    } catch (thrown) {
      throw toAppError(thrown, 'start', signal);
    }
    const name = parseOperation(operation).name;
    if (!name) throw new AppError('provider_bad_response', 'Veo started an operation without a name', { status: 502, retryable: true });
    log('veo_started', { backend, model, operation: name, durationSeconds: request.durationSeconds });
    return { operationName: name };
  }

  async function getVideoOperation(operationName: string, signal?: AbortSignal): Promise<OperationState> {
    // Must be a real GenerateVideosOperation: the SDK calls its _fromAPIResponse (js-genai #1074).
    const { GenerateVideosOperation } = await loadGenAI();
    const ai = await genai();
    const operation = new GenerateVideosOperation();
    operation.name = operationName;
    let fresh: GenerateVideosOperation;
    try {
      fresh = await withCallSignal(signal, (own) =>
        ai.operations.getVideosOperation({ operation, config: { ...(own ? { abortSignal: own } : {}), ...callHttp(own) } }),
      );
    } catch (thrown) {
      throw toAppError(thrown, 'poll', signal);
    }
    const state = operationState(parseOperation(fresh));
    if (state.done) log('veo_finished', { backend, operation: operationName, outcome: 'video' in state ? state.video.kind : state.failure.code });
    return state;
  }

  /** Fetches a URI, following redirects by hand so the API key never leaves the API's origin. */
  async function fetchFollowing(uri: string, signal: AbortSignal): Promise<Response> {
    let url = new URL(uri);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = {};
      if (url.origin === keyOrigin && config.googleApiKey) headers['x-goog-api-key'] = config.googleApiKey;
      const response = await baseFetch(url, { headers, signal, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      url = new URL(location, url);
    }
    throw new AppError('provider_bad_response', 'Veo download redirected too many times', { status: 502, retryable: true });
  }

  async function openUri(uri: string, signal?: AbortSignal): Promise<VideoDownload> {
    if (!URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol)) {
      throw new AppError('unsupported_uri', 'Veo returned a video location this service cannot download', { status: 502 });
    }
    // The timeout bounds the wait for headers only; a 200 MB body may rightly take longer.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('Download timed out', 'TimeoutError')), config.REQUEST_TIMEOUT_MS);
    const combined = signal ? AbortSignal.any([controller.signal, signal]) : controller.signal;
    let response: Response;
    try {
      response = await fetchFollowing(uri, combined);
    } catch (thrown) {
      throw toAppError(controller.signal.aborted ? controller.signal.reason : thrown, 'download', signal);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw toAppError(Object.assign(new Error(response.statusText || 'download refused'), { status: response.status }), 'download', signal);
    }
    const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
    if (!acceptableContentType(contentType) || !response.body) {
      await response.body?.cancel();
      throw new AppError('not_a_video', `Veo download is not a video (content-type ${contentType.split(';')[0]})`, { status: 502 });
    }
    const length = contentLengthOf(response);
    log('veo_download_opened', { backend, contentType, contentLength: length ?? null });
    const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
    return { body, contentType, ...(length !== undefined ? { contentLength: length } : {}) };
  }

  async function openVideo(source: VideoSource, signal?: AbortSignal): Promise<VideoDownload> {
    if (source.kind === 'bytes') return fromBytes(source);
    return openUri(source.uri, signal);
  }

  return {
    name: 'veo',
    startVideo,
    getVideoOperation,
    openVideo,
    generateImage: async (request, signal) => {
      const ai = await genai();
      // The per-call signal aborts only when the caller's does, so generateStill still tells an abort from a timeout.
      return withCallSignal(signal, (own) => generateStill(ai, config, backend, request, callHttp(own), own));
    },
  };
}

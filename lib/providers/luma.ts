/**
 * Luma Dream Machine behind the same VideoProvider contract as Veo (issue 17), through the
 * official `lumaai` SDK. A generation's id is its operation name; the tick polls it by id and
 * streams `assets.video` into Storage as it does Veo's file.
 *
 * The SDK's own retries are off: a 429 or 5xx becomes a retryable AppError and the tick's backoff
 * decides when to try again, as for Veo, so retries are counted in one place.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { APIError } from 'lumaai';
import { z } from 'zod';
import { AppError, ERROR_CODE, isRetryableStatus } from '../errors.js';
import { type LumaModel, type LumaResolution, lumaProblems, toLumaDuration } from '../model-limits.js';
import { readLumaReason } from './luma-failures.js';
import type { ImageInput, OperationState, VideoDownload, VideoProvider, VideoRequest, VideoSource } from './types.js';

export interface LumaProviderOptions {
  apiKey: string;
  model: LumaModel;
  resolution: LumaResolution;
  /** The SDK's baseURL (the wire double in tests); Luma's own API when absent. */
  baseURL?: string;
  /**
   * Hosts `assets.video` may be fetched from. Luma serves finished videos from its CDN; any
   * other host in a generation is refused, so a tampered answer cannot make this service fetch
   * an arbitrary URL.
   */
  videoHosts?: readonly string[];
  /** Allow http: video URLs (the wire double only). */
  allowHttpVideos?: boolean;
  /**
   * Turns a keyframe into a URL Luma can fetch while the generation waits in its queue (a signed
   * Storage URL). Without it, requests with keyframes are refused before any paid call.
   */
  keyframeUrl?: (image: ImageInput, signal?: AbortSignal) => Promise<string>;
  /** Bounds each API call and the wait for a download's headers. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Luma's CDN: the hosts its documented answers put `assets.video` on. */
export const LUMA_VIDEO_HOSTS = ['storage.cdn-luma.com', 'cdn-luma.com', 'lumalabs.ai'] as const;

/** The part of a Generation this service reads; anything else in it is ignored. */
const generationSchema = z.object({
  id: z.string().min(1),
  state: z.enum(['queued', 'dreaming', 'completed', 'failed']),
  failure_reason: z.string().nullish(),
  assets: z.object({ video: z.string().nullish() }).passthrough().nullish(),
});

/**
 * Words of a refusal for want of credits. Luma's Dream Machine reference documents neither the
 * wording nor the status of this refusal; 402 (Payment Required) is read the same way.
 */
const CREDITS = /insufficient credits|not enough credits|out of credits|credit balance/i;

function detailOf(err: APIError): string {
  const body = err.error as { detail?: unknown } | undefined;
  const detail = body?.detail;
  if (typeof detail === 'string') return detail;
  // FastAPI validation answers carry a list of {loc, msg}.
  if (Array.isArray(detail)) {
    return detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ');
  }
  return err.message;
}

/**
 * lumaai, loaded on first use (as @google/genai is, lib/providers/google-client.ts): its load
 * costs about 110 ms, which every cold function paid before, Luma configured or not (BENCHMARKS.md,
 * figure 5).
 */
let lumaSdk: typeof import('lumaai') | undefined;
async function loadLuma(): Promise<typeof import('lumaai')> {
  lumaSdk ??= await import('lumaai');
  return lumaSdk;
}

/** Only a loaded lumaai can have thrown one, so an unloaded module means "no". */
function isApiError(thrown: unknown): thrown is APIError {
  return lumaSdk !== undefined && thrown instanceof lumaSdk.APIError;
}

/** Wraps anything the SDK throws into an AppError that says whether a retry may help. */
export function toLumaError(thrown: unknown, action: string): AppError {
  if (thrown instanceof AppError) return thrown;
  if (isApiError(thrown) && typeof thrown.status === 'number') {
    const status = thrown.status;
    const detail = detailOf(thrown);
    if (status === 402 || CREDITS.test(detail)) {
      // Not retryable by backoff: the operator must top up; the scheduler pauses new Luma starts.
      return new AppError(ERROR_CODE.insufficientCredits, `Luma ${action} refused: the Luma account has no credits left (${detail})`, { status: 402, cause: thrown });
    }
    if (status === 401 || status === 403) {
      return new AppError('misconfigured', `Luma ${action} refused the API key (HTTP ${status}): check LUMA_API_KEY`, { status: 502, cause: thrown });
    }
    if (status === 400) {
      const reading = readLumaReason(detail);
      if (reading.kind === 'refused') return new AppError(reading.code, reading.message, { status: 422, cause: thrown });
      // Luma could not fetch or check a keyframe: the next start signs a fresh Storage link, so the
      // tick's backoff tries again (a refused create makes no generation) before the scene fails.
      if (reading.kind === 'unreadable') return new AppError(reading.code, reading.message, { status: 502, retryable: true, cause: thrown });
    }
    const code = status === 429 ? 'rate_limited' : status >= 500 ? 'provider_unavailable' : 'provider_rejected';
    return new AppError(code, `Luma ${action} failed (HTTP ${status}): ${detail}`, { status, retryable: isRetryableStatus(status), cause: thrown });
  }
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  if (err.name === 'APIUserAbortError' || err.name === 'AbortError') {
    return new AppError('aborted', `Luma ${action} was cancelled`, { status: 504, retryable: true, cause: err });
  }
  if (err.name === 'APIConnectionTimeoutError' || err.name === 'TimeoutError') {
    return new AppError('timeout', `Luma ${action} timed out`, { status: 504, retryable: true, cause: err });
  }
  if (err.name === 'APIConnectionError') {
    return new AppError('network_error', `Luma ${action} could not reach Luma: ${err.message}`, { status: 502, retryable: true, cause: err });
  }
  return new AppError('provider_error', `Luma ${action} failed: ${err.message}`, { status: 500, cause: err });
}

function hostAllowed(host: string, hosts: readonly string[]): boolean {
  return hosts.some((h) => host === h || host.endsWith(`.${h}`));
}

export function createLumaProvider(options: LumaProviderOptions): VideoProvider {
  let made: Promise<InstanceType<typeof import('lumaai').default>> | undefined;
  const client = () =>
    (made ??= loadLuma().then(
      ({ default: LumaAI }) =>
        new LumaAI({
          authToken: options.apiKey,
          ...(options.baseURL ? { baseURL: options.baseURL } : {}),
          maxRetries: 0,
          ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
          ...(options.fetch ? { fetch: options.fetch as never } : {}),
        }),
    ));
  const hosts = options.videoHosts ?? LUMA_VIDEO_HOSTS;
  const baseFetch = options.fetch ?? fetch;

  async function startVideo(request: VideoRequest, signal?: AbortSignal): Promise<{ operationName: string }> {
    const problem = lumaProblems(options.model, {
      durationSeconds: request.durationSeconds,
      aspectRatio: request.aspectRatio,
      resolution: options.resolution,
      ...(request.referenceImages ? { referenceImages: request.referenceImages } : {}),
    })[0];
    if (problem) throw new AppError('invalid_request', `${problem.field}: ${problem.message}`, { status: 400 });
    const duration = toLumaDuration(request.durationSeconds)!;
    const frames = [request.image, request.lastFrame].filter((f): f is ImageInput => f !== undefined);
    if (frames.length > 0 && !options.keyframeUrl) {
      throw new AppError('invalid_request', 'Luma takes keyframes only as URLs, and no Storage signer is configured', { status: 400 });
    }
    const keyframes: Record<string, { type: 'image'; url: string }> = {};
    if (request.image) keyframes.frame0 = { type: 'image', url: await options.keyframeUrl!(request.image, signal) };
    if (request.lastFrame) keyframes.frame1 = { type: 'image', url: await options.keyframeUrl!(request.lastFrame, signal) };
    let created: unknown;
    try {
      created = await (await client()).generations.create(
        {
          model: options.model,
          // Luma has no negative prompt; the words to avoid are said in the prompt instead.
          prompt: request.negativePrompt ? `${request.prompt}\nAvoid: ${request.negativePrompt}` : request.prompt,
          aspect_ratio: request.aspectRatio,
          duration,
          resolution: options.resolution,
          ...(Object.keys(keyframes).length > 0 ? { keyframes } : {}),
          ...(request.callbackUrl ? { callback_url: request.callbackUrl } : {}),
        },
        signal ? { signal } : {},
      );
    } catch (thrown) {
      throw toLumaError(thrown, 'start');
    }
    const parsed = generationSchema.safeParse(created);
    if (!parsed.success) {
      throw new AppError('provider_bad_response', `Luma started a generation this service cannot read: ${parsed.error.message}`, { status: 502, retryable: true });
    }
    return { operationName: parsed.data.id };
  }

  async function getVideoOperation(operationName: string, signal?: AbortSignal): Promise<OperationState> {
    let got: unknown;
    try {
      got = await (await client()).generations.get(operationName, signal ? { signal } : {});
    } catch (thrown) {
      // Luma forgets generations (expiry, deletion): a failure the scene can retry, never a wait.
      if (isApiError(thrown) && thrown.status === 404) {
        return { done: true, failure: { code: 'provider_lost', message: `Luma no longer knows generation ${operationName} (it expired or was deleted)` } };
      }
      throw toLumaError(thrown, 'poll');
    }
    const parsed = generationSchema.safeParse(got);
    if (!parsed.success) {
      throw new AppError('provider_bad_response', `Luma returned a generation this service cannot read: ${parsed.error.message}`, { status: 502, retryable: true });
    }
    const g = parsed.data;
    if (g.state === 'queued' || g.state === 'dreaming') return { done: false };
    if (g.state === 'failed') {
      // Polling again would read the same failed generation. A failure on Luma's side (a keyframe
      // it could not fetch, a failed job) is worth a new generation, which signs fresh links.
      const { code, message, restartable } = readLumaReason(g.failure_reason);
      return { done: true, failure: { code, message, ...(restartable ? { restartable } : {}) } };
    }
    const video = g.assets?.video;
    if (!video) return { done: true, failure: { code: 'no_video', message: 'Luma finished the generation without a video' } };
    return { done: true, video: { kind: 'uri', uri: video, mimeType: 'video/mp4' } };
  }

  async function openVideo(source: VideoSource, signal?: AbortSignal): Promise<VideoDownload> {
    if (source.kind !== 'uri' || !URL.canParse(source.uri)) {
      throw new AppError('unsupported_uri', 'Luma returned a video location this service cannot download', { status: 502 });
    }
    const url = new URL(source.uri);
    const schemeOk = url.protocol === 'https:' || (options.allowHttpVideos === true && url.protocol === 'http:');
    if (!schemeOk || !hostAllowed(url.hostname, hosts)) {
      throw new AppError('unsupported_uri', `Luma video is on ${url.host}, not one of Luma's hosts`, { status: 502 });
    }
    const controller = new AbortController();
    const timer = options.timeoutMs
      ? setTimeout(() => controller.abort(new DOMException('Download timed out', 'TimeoutError')), options.timeoutMs)
      : undefined;
    const combined = signal ? AbortSignal.any([controller.signal, signal]) : controller.signal;
    let response: Response;
    try {
      // No credentials: the asset URL is public, and redirects could leave Luma's hosts.
      response = await baseFetch(url, { signal: combined, redirect: 'error' });
    } catch (thrown) {
      const err = thrown instanceof Error ? thrown : new Error(String(thrown));
      const code = controller.signal.aborted ? 'timeout' : signal?.aborted ? 'aborted' : 'network_error';
      throw new AppError(code, `Luma download failed: ${err.message}`, { status: 502, retryable: true, cause: err });
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new AppError(response.status === 404 ? 'provider_lost' : 'provider_unavailable', `Luma download failed (HTTP ${response.status})`, {
        status: 502,
        retryable: isRetryableStatus(response.status),
      });
    }
    const contentType = response.headers.get('content-type') ?? 'video/mp4';
    if (!/^(video\/|application\/octet-stream)/i.test(contentType)) {
      await response.body.cancel();
      throw new AppError('not_a_video', `Luma download is not a video (content-type ${contentType.split(';')[0]})`, { status: 502 });
    }
    const lengthHeader = Number(response.headers.get('content-length'));
    return {
      body: Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      contentType,
      ...(Number.isSafeInteger(lengthHeader) && lengthHeader > 0 ? { contentLength: lengthHeader } : {}),
    };
  }

  return {
    name: 'luma',
    startVideo,
    getVideoOperation,
    openVideo,
    // Stills (keyframes) come from the image provider; Luma's image models are not used here.
    generateImage: async () => {
      throw new AppError('unsupported', 'Luma makes no stills in this service; keyframes come from the image provider', { status: 400 });
    },
  };
}

/**
 * The contract every video provider meets: Google Veo through `@google/genai`, and the local
 * stand-in used when no Google key is set. The tick only ever talks to this interface, so it
 * cannot tell the two apart.
 */
import type { Readable } from 'node:stream';

export type AspectRatio = '16:9' | '9:16';

/** An image handed to the provider (first frame, last frame, reference). */
export interface ImageInput {
  bytesBase64: string;
  mimeType: string;
  /** Where the still is stored, for providers that fetch keyframes by URL (Luma). */
  objectPath?: string;
}

export interface VideoRequest {
  prompt: string;
  aspectRatio: AspectRatio;
  durationSeconds: number;
  negativePrompt?: string;
  /** First frame. */
  image?: ImageInput;
  lastFrame?: ImageInput;
  /** Subject (`asset`) or look (`style`) references; only some models take them (`supportsReferenceImages`). */
  referenceImages?: ReferenceImage[];
  /** Where a provider that announces state changes (Luma) may POST them; a hint to poll, never trusted as state. */
  callbackUrl?: string;
}

export interface ReferenceImage extends ImageInput {
  referenceType: 'asset' | 'style';
}

/** A still: Imagen on Vertex, a Gemini image model on the Developer API, ffmpeg in the stand-in. */
export interface ImageRequest {
  prompt: string;
  aspectRatio: AspectRatio;
}

/** Image generation answers at once (no long-running operation): an image, or why there is none. */
export type ImageResult = { image: ImageInput } | { failure: OperationFailure };

/** Where a finished video can be read from: Developer API hands a file URI, Vertex inline bytes. */
export type VideoSource =
  | { kind: 'uri'; uri: string; mimeType?: string }
  | { kind: 'bytes'; bytesBase64: string; mimeType?: string };

/** Why an operation ended without a video, in words a professor can read. */
export interface OperationFailure {
  /** `safety_filtered`, `provider_error`, `no_video` … */
  code: string;
  message: string;
  /**
   * The provider failed it on its own side, for a reason a new operation may get past (Luma: a
   * keyframe it could not fetch, a job its servers failed), and a failed one is not billed: start
   * a new one rather than fail the scene (bounded by MAX_PROVIDER_RESTARTS).
   */
  restartable?: boolean;
}

export type OperationState =
  | { done: false }
  | { done: true; video: VideoSource }
  | { done: true; failure: OperationFailure };

export interface VideoDownload {
  body: Readable;
  contentType: string;
  /** From Content-Length when the provider sends one. */
  contentLength?: number;
}

export interface VideoProvider {
  /** `veo`, `luma` or `local`; recorded on tasks so an operation is always polled by the provider that made it. */
  readonly name: string;
  /** Starts one long-running generation and returns its operation name. Never waits for the video. */
  startVideo(request: VideoRequest, signal?: AbortSignal): Promise<{ operationName: string }>;
  /** Reloads an operation from its stored name and reports where it stands. */
  getVideoOperation(operationName: string, signal?: AbortSignal): Promise<OperationState>;
  /** Opens the finished video as a stream; never buffers the whole file. */
  openVideo(source: VideoSource, signal?: AbortSignal): Promise<VideoDownload>;
  /** Makes one still. Throws (an AppError saying whether a retry may help) when the call itself fails. */
  generateImage(request: ImageRequest, signal?: AbortSignal): Promise<ImageResult>;
}

/**
 * One resumable (TUS 1.0.0) upload to Supabase Storage with tus-js-client.
 *
 * Why tus-js-client with a source of our own: its Node HTTP stack sends each chunk as one request
 * with a Content-Length, retries a failed chunk by asking the server for its offset (HEAD) and
 * resending from there, and defers the length when it is unknown. What it reads is ours
 * (ChunkSource): one 6 MB chunk of the stream at a time, so memory stays flat whatever the size.
 *
 * A retry stays inside the one step: a bounded number of tries per chunk, with backoff, and the
 * count starts again once a chunk gets through. A request that stalls is cut off and retried the
 * same way (stall-guarded-stack.ts). What cannot succeed on a retry (the object is
 * over the bucket's size limit, a bad key or type) fails at once with a non-retryable AppError.
 */
import type { DetailedError, HttpResponse, Upload, UploadOptions } from 'tus-js-client';
import { AppError, isRetryableStatus } from '../errors.js';
import { ChunkSource } from './chunk-source.js';
import { resumableMetadata, TUS_CHUNK_BYTES, TUS_ENDPOINT_PATH } from './resumable.js';
import { stallGuardedStack } from './stall-guarded-stack.js';

/** Waits before the 1st, 2nd, … retry of one chunk; then the step fails (retryably). */
export const TUS_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 3_000, 6_000];

export interface ResumableUpload {
  /** The project URL (SUPABASE_URL). */
  projectUrl: string;
  serviceKey: string;
  bucket: string;
  key: string;
  body: AsyncIterable<Buffer | string> & { destroy?: () => void };
  contentType: string;
  /** Declared up front when known (Upload-Length); deferred otherwise (Upload-Defer-Length: 1). */
  contentLength?: number;
  /** Stops the upload; the promise then rejects with the signal's reason. */
  signal: AbortSignal;
  /** Called whenever bytes go out or a retry is scheduled: feeds the caller's idle timer. */
  onActivity?: () => void;
  retryDelaysMs?: readonly number[];
  /**
   * A request (a chunk's PATCH above all) that sends nothing and gets no answer for this long is
   * aborted and retried from the server's offset. Shorter than the caller's idle timeout, so the
   * retry happens within the step.
   */
  stallMs: number;
}

let tusJs: typeof import('tus-js-client') | undefined;

/** Resolves once the server holds the whole object. */
export async function uploadResumably(input: ResumableUpload): Promise<void> {
  // Loaded on first use, as supabase-js is: handlers that never upload a large file skip it.
  tusJs ??= await import('tus-js-client');
  const { Upload: TusUpload, DefaultHttpStack } = tusJs;
  const source = new ChunkSource(input.body, input.contentLength, TUS_CHUNK_BYTES);
  const { key, signal } = input;
  if (signal.aborted) throw signal.reason;

  return new Promise<void>((resolve, reject) => {
    let upload: Upload | undefined;
    const onAbort = () => {
      void upload?.abort();
      reject(signal.reason);
    };
    const settle = (error?: unknown) => {
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const options: UploadOptions = {
      endpoint: `${input.projectUrl.replace(/\/+$/, '')}${TUS_ENDPOINT_PATH}`,
      headers: { authorization: `Bearer ${input.serviceKey}`, apikey: input.serviceKey, 'x-upsert': 'true' },
      metadata: resumableMetadata({ bucketName: input.bucket, objectName: key, contentType: input.contentType }),
      chunkSize: TUS_CHUNK_BYTES,
      httpStack: stallGuardedStack(new DefaultHttpStack({}), input.stallMs),
      ...(input.contentLength !== undefined ? { uploadSize: input.contentLength } : { uploadLengthDeferred: true }),
      retryDelays: [...(input.retryDelaysMs ?? TUS_RETRY_DELAYS_MS)],
      // A stream cannot be picked up by a later process, so no upload URL is kept anywhere.
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      fileReader: { openFile: () => Promise.resolve(source) },
      onProgress: () => input.onActivity?.(),
      onShouldRetry: (error) => {
        // A broken source is not the network's fault: sending again cannot mend it.
        const retry = source.failure === undefined && shouldRetryChunk(error);
        if (retry) input.onActivity?.();
        return retry;
      },
      onSuccess: () => settle(),
      onError: (error) => settle(source.failure ?? resumableError(key, input.contentLength, error)),
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // tus-js-client hands `file` to the fileReader only; ours ignores it and reads `source`.
    upload = new TusUpload(input.body as unknown as Buffer, options);
    upload.start();
  }).finally(() => source.close());
}

/**
 * Whether tus-js-client should ask for the offset and resend: no answer at all (a dropped
 * connection), a timeout, a rate limit, a server fault, or an offset conflict (409) or lock
 * (423) that a HEAD resolves. Any other 4xx will be refused again.
 */
export function shouldRetryChunk(error: Pick<DetailedError, 'originalResponse'>): boolean {
  const status = error.originalResponse?.getStatus() ?? 0;
  return status === 0 || isRetryableStatus(status) || status === 409 || status === 423;
}

/** Turns what tus-js-client reports into the AppError the engine classifies. */
export function resumableError(key: string, declaredLength: number | undefined, thrown: Error): Error {
  const detailed = thrown as Partial<DetailedError>;
  // Not a request's failure (the source stream broke): the caller surfaces the source's own error.
  if (detailed.originalRequest === undefined) return thrown;
  const response: HttpResponse | null = detailed.originalResponse ?? null;
  if (!response) {
    const cause = detailed.causingError ?? thrown;
    return new AppError('storage_unreachable', `Storage resumable upload of "${key}" failed: ${cause.message}`, { status: 502, retryable: true, cause: thrown });
  }
  const status = response.getStatus();
  const body = response.getBody().trim();
  const method = detailed.originalRequest?.getMethod();
  if (status === 413) {
    const size = declaredLength === undefined ? 'its length' : `${declaredLength} bytes`;
    return new AppError('storage_object_too_large', `Storage refused "${key}": ${size} exceeds the bucket's size limit (${body || '413'})`, {
      status: 413,
      retryable: false,
      cause: thrown,
    });
  }
  // Only creating an upload names the bucket; later a 404 (never had it, or cleaned up) or a 410
  // (past TUS_URL_EXPIRY_MS: @tus/server's PatchHandler and HeadHandler) means the upload itself
  // is gone, which a fresh upload on the step's retry gets past.
  if ((status === 404 && method !== 'POST') || status === 410) {
    return new AppError('storage_upload_lost', `Storage lost the resumable upload of "${key}" (${status}): ${body}`, { status: 502, retryable: true, cause: thrown });
  }
  const retryable = shouldRetryChunk({ originalResponse: response });
  return new AppError(retryable ? 'storage_unavailable' : 'storage_rejected', `Storage resumable upload of "${key}" failed (${status}): ${body}`, {
    status,
    retryable,
    cause: thrown,
  });
}

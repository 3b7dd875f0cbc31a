/**
 * The contract every object store meets: Supabase Storage in production, a local folder
 * under `npm start`. Writes are upserts so a retried upload is harmless.
 */
import type { Readable } from 'node:stream';

export interface PutOptions {
  contentType: string;
  contentLength?: number;
  signal?: AbortSignal;
}

/** An object opened for reading: a stream, never a buffer of the whole file. */
export interface StoredObject {
  body: Readable;
  contentType: string;
  contentLength?: number;
}

export interface ObjectStore {
  readonly name: string;
  /** Streams `body` to `path`, replacing any object already there. */
  put(path: string, body: Readable, options: PutOptions): Promise<void>;
  /** A URL a browser can fetch: public, or signed for `expiresInSeconds`. */
  url(path: string, expiresInSeconds?: number): Promise<string>;
  /** Whether an object exists at `path` (used to make uploads and renders resumable). */
  exists(path: string): Promise<boolean>;
  /**
   * Opens the object at `path` for reading (renders download scenes this way). Rejects with
   * `object_not_found` (404, not retryable) when there is none.
   */
  get(path: string, options?: { signal?: AbortSignal }): Promise<StoredObject>;
}

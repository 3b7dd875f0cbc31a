/**
 * Supabase Storage behind the ObjectStore contract, through the official storage-js client: the
 * one part of supabase-js a server holding the service key uses (see createStorageClient).
 *
 * Uploads stream: storage-js hands a Node Readable straight to `fetch` (with `duplex: 'half'`)
 * and Node's fetch pulls it chunk by chunk, so a 500 MB video never sits in memory; that holds
 * only with the redirect options `signalledFetch` adds (see there).
 * Deadlines: ordinary calls get REQUEST_TIMEOUT_MS in total; an upload gets it as an idle
 * timeout (no byte pulled and no answer for that long), since a large file may rightly take
 * longer than any fixed total. Both ride on an AbortSignal that reaches `fetch` through
 * AsyncLocalStorage, because storage-js methods take no signal of their own.
 * Large uploads: an object above RESUMABLE_THRESHOLD_BYTES, or of unknown length, goes through
 * Storage's resumable (TUS) endpoint in 6 MB chunks instead (tus-upload.ts), so a failure resends
 * one chunk rather than the whole object, and the bucket's size limit is checked up front.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { StorageApiError, StorageClient } from '@supabase/storage-js';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import { AppError, isRetryableStatus } from '../errors.js';
import { log } from '../log.js';
import { BUCKET_SETTINGS } from './bucket-settings.js';
import { shouldUploadResumably } from './resumable.js';
import { uploadResumably } from './tus-upload.js';
import type { ObjectStore, PutOptions } from './types.js';

export interface SupabaseStoreOptions {
  /** Replaces the global fetch (tests, proxies). The service key is still added to every request. */
  fetch?: typeof fetch;
  /** Waits between retries of one resumable chunk (tests shorten them). */
  tusRetryDelaysMs?: readonly number[];
}

type Bucket = ReturnType<StorageClient['from']>;
/** What every storage-js method resolves to; its errors are StorageError subclasses. */
type Outcome<T> = { data: T; error: null } | { data: T | null; error: Error };

const requestSignal = new AsyncLocalStorage<AbortSignal>();
/** Sees the response of the call in progress: storage-js hands a download's body over without its headers. */
const responseSeen = new AsyncLocalStorage<(response: Response) => void>();

// storage-js glues the server's `signedURL` onto its base URL unchecked, so a reply without one
// still yields a URL-shaped string; the token is what tells a real signed URL apart.
const signedUrlSchema = z.object({
  signedUrl: z.url().refine((url) => new URL(url).searchParams.has('token'), 'has no token'),
});
const bucketSchema = z.object({ id: z.string(), public: z.boolean() });

export function createSupabaseStore(config: Config, options: SupabaseStoreOptions = {}): ObjectStore {
  requireCredentials(config);
  let client: Promise<StorageClient> | undefined;
  const storage = () => (client ??= createStorageClient(config, options));
  let opened: Promise<Bucket> | undefined;
  const open = () => (opened ??= storage().then((s) => s.from(config.SUPABASE_STORAGE_BUCKET)));
  const timeoutMs = config.REQUEST_TIMEOUT_MS;
  const { url: projectUrl, key: serviceKey } = requireCredentials(config);
  const resumable: ResumableTarget = {
    projectUrl,
    serviceKey,
    bucket: config.SUPABASE_STORAGE_BUCKET,
    ...(options.tusRetryDelaysMs ? { retryDelaysMs: options.tusRetryDelaysMs } : {}),
  };

  return {
    name: 'supabase',

    async put(path, body, putOptions) {
      const bucket = await open();
      const key = objectKey(path);
      const started = Date.now();
      let bytes: number;
      try {
        bytes = await upload(bucket, key, body, putOptions, timeoutMs, resumable);
      } catch (err) {
        // A fresh project has no bucket, and `supabase db push` does not make one. An upload can
        // only be refused with a 404 for that: make the bucket, and let the step's retry upload
        // again (the body was a stream, already spent). Nothing is asked on the common path.
        if (!(err instanceof AppError && err.status === 404)) throw err;
        const { created } = await ensureBucketWith(await storage(), config);
        throw new AppError('storage_bucket_missing', `Storage bucket "${config.SUPABASE_STORAGE_BUCKET}" did not exist${created ? '; it has been created, private' : ''}: upload again`, {
          status: 503,
          retryable: true,
          cause: err,
        });
      }
      log('storage_put', { store: 'supabase', path: key, bytes, ms: Date.now() - started });
    },

    async url(path, expiresInSeconds) {
      const bucket = await open();
      const key = objectKey(path);
      if (config.STORAGE_PUBLIC_BUCKET) return bucket.getPublicUrl(key).data.publicUrl;
      const ttl = expiresInSeconds ?? config.SIGNED_URL_TTL_SECONDS;
      if (!Number.isInteger(ttl) || ttl < 1) {
        throw new AppError('invalid_signed_url_ttl', `Signed URL lifetime must be a whole number of seconds, got ${ttl}`, { status: 400 });
      }
      const data = await call('sign', key, timeoutMs, () => bucket.createSignedUrl(key, ttl));
      const parsed = signedUrlSchema.safeParse(data);
      if (!parsed.success) {
        throw new AppError('storage_bad_response', `Storage sign of "${key}" returned no usable URL`, { status: 502, retryable: true });
      }
      return parsed.data.signedUrl;
    },

    async exists(path) {
      const bucket = await open();
      const key = objectKey(path);
      // storage-js answers false only for "no such object"; any other failure (bad key, outage)
      // it throws, and that must not read as "missing", or a resumable step would redo work.
      return call('exists', key, timeoutMs, async () => {
        const outcome = await bucket.exists(key);
        return outcome.error ? { data: false, error: null } : outcome;
      });
    },

    async get(path, getOptions = {}) {
      const bucket = await open();
      const key = objectKey(path);
      // The deadline covers the answer's headers; the body then streams for as long as it takes,
      // stopped only by the caller's signal.
      const dog = watchdog(timeoutMs, getOptions.signal);
      try {
        // asStream() hands back a lazy builder whose request starts at `then`: awaited outside
        // run(), the fetch would start without the deadline or the caller's signal.
        let storedType: string | undefined;
        const noteType = (response: Response) => { storedType = response.headers.get('content-type') ?? undefined; };
        const outcome = await responseSeen.run(noteType, () => requestSignal.run(dog.signal, async () => await bucket.download(key).asStream()));
        if (outcome.error) {
          if (dog.signal.aborted) throw dog.signal.reason;
          if (isNotFound(outcome.error)) {
            throw new AppError('object_not_found', `No stored object at "${key}"`, { status: 404, retryable: false, cause: outcome.error });
          }
          throw toAppError('download', key, outcome.error);
        }
        const body = Readable.fromWeb(outcome.data as NodeReadableStream<Uint8Array>);
        // The type the object was stored with, as the server answers it; the key only when absent.
        return { body, contentType: storedType ?? contentTypeOf(key) };
      } catch (thrown) {
        if (dog.signal.aborted) throw dog.signal.reason;
        throw toAppError('download', key, thrown);
      } finally {
        dog.dispose();
      }
    },
  };
}

const TYPE_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  png: 'image/png', webp: 'image/webp', gif: 'image/gif', json: 'application/json', txt: 'text/plain', vtt: 'text/vtt',
};

/** A fallback for an answer without a content type: from the extension this service wrote. */
export function contentTypeOf(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return TYPE_BY_EXTENSION[ext] ?? 'application/octet-stream';
}

/**
 * Creates the configured bucket when it is missing (private unless STORAGE_PUBLIC_BUCKET).
 * Safe to run on every start and from several instances at once: "already exists" is success.
 */
export async function ensureBucket(config: Config, options: SupabaseStoreOptions = {}): Promise<{ created: boolean }> {
  return ensureBucketWith(await createStorageClient(config, options), config);
}

/** ensureBucket on a client already made (a store's own: a second client costs memory and time). */
async function ensureBucketWith(storage: StorageClient, config: Config): Promise<{ created: boolean }> {
  const name = config.SUPABASE_STORAGE_BUCKET;
  const wantPublic = config.STORAGE_PUBLIC_BUCKET;
  const timeoutMs = config.REQUEST_TIMEOUT_MS;

  const found = await callAllowing('get bucket', name, timeoutMs, isNotFound, () => storage.getBucket(name));
  if (found !== undefined) {
    const bucket = bucketSchema.safeParse(found);
    // Flipping visibility on a live bucket would expose or hide every video, so only report it.
    if (bucket.success && bucket.data.public !== wantPublic) {
      log('storage_bucket_visibility_mismatch', { bucket: name, public: bucket.data.public, configuredPublic: wantPublic });
    }
    return { created: false };
  }

  const created = await callAllowing('create bucket', name, timeoutMs, isConflict, () =>
    storage.createBucket(name, { public: wantPublic, fileSizeLimit: BUCKET_SETTINGS.fileSizeLimit, allowedMimeTypes: [...BUCKET_SETTINGS.allowedMimeTypes] }),
  );
  if (created === undefined) return { created: false };
  log('storage_bucket_created', { bucket: name, public: wantPublic });
  return { created: true };
}

function requireCredentials(config: Config): { url: string; key: string } {
  const url = config.SUPABASE_URL;
  const key = config.SUPABASE_SERVICE_ROLE_KEY;
  if (!url || !key) {
    const missing = url ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL';
    throw new ConfigError([missing], `${missing}: required for Supabase Storage`);
  }
  return { url, key };
}

let storageJs: typeof import('@supabase/storage-js') | undefined;

/**
 * The storage client, loaded on first use: handlers that never touch storage skip its cold start.
 *
 * storage-js alone, as supabase-js builds it for `client.storage` (same URL, same headers, same
 * fetch), without the rest of supabase-js: its auth, realtime, PostgREST and functions clients
 * serve no purpose to a server holding the service key, and loading them cost the step that
 * first stores a video several MB of memory (BENCHMARKS.md, figure 4). With no session,
 * supabase-js sends the key as both `apikey` and the bearer token; so does this.
 */
async function createStorageClient(config: Config, options: SupabaseStoreOptions): Promise<StorageClient> {
  const { url, key } = requireCredentials(config);
  storageJs ??= await import('@supabase/storage-js');
  // storage-js adds its own X-Client-Info.
  return new storageJs.StorageClient(storageUrl(url), { apikey: key, Authorization: `Bearer ${key}` }, signalledFetch(options.fetch));
}

/** supabase-js's storage URL: `storage/v1` under the project URL, whatever its trailing slash. */
function storageUrl(projectUrl: string): string {
  const base = projectUrl.trim();
  return new URL('storage/v1', base.endsWith('/') ? base : `${base}/`).href;
}

/**
 * Adds the AbortSignal of the storage call in progress to every request storage-js makes.
 *
 * For a streamed body it also sets `redirect: 'error'` and `window: null`. Without them Node's
 * fetch (undici, nodejs/undici#4058) clones the request in case of a redirect, which tees the
 * body and keeps every chunk for a branch nobody reads: a 1 GB upload held 1 GB of memory.
 * With them the fetch spec sends the request itself, uncloned. A stream cannot be replayed
 * across a redirect anyway, so nothing is lost.
 */
function signalledFetch(base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const scoped = requestSignal.getStore();
    const streamed = (init as { duplex?: string } | undefined)?.duplex === 'half';
    const seen = responseSeen.getStore();
    const signal = scoped && init?.signal ? AbortSignal.any([init.signal, scoped]) : (scoped ?? init?.signal);
    const sent = !scoped && !streamed
      ? base(input, init)
      : base(input, { ...init, ...(signal ? { signal } : {}), ...(streamed ? { redirect: 'error', window: null } : {}) });
    return seen ? sent.then((response) => (seen(response), response)) : sent;
  };
}

/** Where a resumable upload goes: tus-js-client speaks HTTP itself, not through supabase-js. */
interface ResumableTarget {
  projectUrl: string;
  serviceKey: string;
  bucket: string;
  retryDelaysMs?: readonly number[];
}

async function upload(
  bucket: Bucket,
  key: string,
  body: Readable,
  options: PutOptions,
  idleMs: number,
  resumable: ResumableTarget,
): Promise<number> {
  const dog = watchdog(idleMs, options.signal);
  let bytes = 0;
  let sourceError: unknown;
  // Wrapping the caller's stream lets every pulled chunk feed the idle timer and lets a failure
  // of the source itself be told apart from a failure of the network.
  const metered = Readable.from(
    (async function* () {
      try {
        for await (const chunk of body) {
          const piece = chunk as Buffer | string;
          bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
          dog.touch();
          yield piece;
        }
      } catch (error) {
        sourceError = error;
        throw error;
      }
    })(),
    { objectMode: false },
  );
  const headers = options.contentLength === undefined ? undefined : { 'content-length': String(options.contentLength) };

  try {
    if (shouldUploadResumably(options.contentLength)) {
      await uploadResumably({
        ...resumable,
        key,
        body: metered,
        contentType: options.contentType,
        ...(options.contentLength !== undefined ? { contentLength: options.contentLength } : {}),
        signal: dog.signal,
        onActivity: dog.touch,
        // Half the idle timeout: a stalled chunk is cut off and resent (which counts as activity)
        // before the idle timer would give up on the whole upload.
        stallMs: Math.floor(idleMs / 2),
      }).catch((error: unknown) => {
        if (sourceError !== undefined) throw sourceError;
        if (dog.signal.aborted) throw dog.signal.reason;
        throw toAppError('upload', key, error);
      });
      return bytes;
    }
    await requestSignal.run(dog.signal, async () => {
      const { error } = await bucket.upload(key, metered, {
        contentType: options.contentType,
        upsert: true,
        duplex: 'half',
        ...(headers ? { headers } : {}),
      });
      if (!error) return;
      // The client's error then only says "fetch failed"; the cause is more useful.
      if (sourceError !== undefined) throw sourceError;
      if (dog.signal.aborted) throw dog.signal.reason;
      throw toAppError('upload', key, error);
    });
    return bytes;
  } finally {
    dog.dispose();
    // A refused or aborted upload stops reading early; release the caller's stream either way.
    if (!metered.destroyed) metered.destroy();
    if (!body.destroyed) body.destroy();
  }
}

/** Runs one storage-js call under a total deadline and turns its `{ error }` into a throw. */
async function call<T>(
  op: string,
  subject: string,
  timeoutMs: number,
  run: () => Promise<Outcome<T>>,
): Promise<T> {
  const dog = watchdog(timeoutMs);
  try {
    const outcome = await requestSignal.run(dog.signal, run).catch((thrown: unknown) => {
      // storage-js throws (rather than returns) some of its errors, `exists` among them.
      if (isStorageError(thrown)) return { data: null, error: thrown };
      throw thrown;
    });
    if (!outcome.error) return outcome.data as T;
    if (dog.signal.aborted) throw dog.signal.reason;
    throw toAppError(op, subject, outcome.error);
  } finally {
    dog.dispose();
  }
}

/** Like `call`, but an error `allowed` accepts yields `undefined` instead of a throw. */
async function callAllowing<T>(
  op: string,
  subject: string,
  timeoutMs: number,
  allowed: (error: Error) => boolean,
  run: () => Promise<Outcome<T>>,
): Promise<T | undefined> {
  return call<T | undefined>(op, subject, timeoutMs, async () => {
    const outcome = await run();
    return outcome.error && allowed(outcome.error) ? { data: undefined, error: null } : outcome;
  });
}

/** An abort signal that fires after `ms` without a `touch()`, or when the caller aborts. */
function watchdog(ms: number, caller?: AbortSignal) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      controller.abort(new AppError('storage_timeout', `Storage did not make progress for ${ms} ms`, { status: 504, retryable: true }));
    }, ms);
  };
  touch();
  return {
    signal: caller ? AbortSignal.any([caller, controller.signal]) : controller.signal,
    touch,
    dispose: () => clearTimeout(timer),
  };
}

/**
 * Supabase Storage answers most client errors with HTTP 400 and puts the meaningful status
 * ("404", "409", "413", even "503" for a lock timeout) in the body's `statusCode`; storage-js
 * keeps both. The body's status is the one worth reporting; either may mark a retry.
 */
function toAppError(op: string, subject: string, thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  if (isApiError(thrown)) {
    const status = bodyStatus(thrown) ?? thrown.status;
    const retryable = isRetryableStatus(thrown.status) || isRetryableStatus(status);
    const code = thrown.code ? ` ${thrown.code}` : '';
    return new AppError(retryable ? 'storage_unavailable' : 'storage_rejected', `Storage ${op} of "${subject}" failed (${status}${code}): ${thrown.message}`, {
      status,
      retryable,
      cause: thrown,
    });
  }
  // No HTTP answer at all: DNS, refused or reset connection. storage-js keeps the fetch error.
  const original = (thrown as { originalError?: unknown }).originalError ?? thrown;
  const reason = original instanceof Error ? (original.cause instanceof Error ? original.cause.message : original.message) : String(original);
  return new AppError('storage_unreachable', `Storage ${op} of "${subject}" failed: ${reason}`, { status: 502, retryable: true, cause: thrown });
}

/** Only a loaded storage-js can have thrown one, so an unloaded module means "no". */
function isApiError(thrown: unknown): thrown is StorageApiError {
  return storageJs !== undefined && thrown instanceof storageJs.StorageApiError;
}

function bodyStatus(error: StorageApiError): number | undefined {
  const n = Number(error.statusCode);
  return Number.isInteger(n) && n >= 400 && n < 600 ? n : undefined;
}

function isStorageError(thrown: unknown): thrown is Error {
  return thrown instanceof Error && '__isStorageError' in thrown;
}

function isNotFound(error: Error): boolean {
  if (!isApiError(error)) return false;
  return error.status === 404 || bodyStatus(error) === 404 || error.code === 'NoSuchBucket';
}

function isConflict(error: Error): boolean {
  if (!isApiError(error)) return false;
  return error.status === 409 || bodyStatus(error) === 409 || error.code === 'BucketAlreadyExists' || error.code === 'ResourceAlreadyExists';
}

/**
 * Object keys are made by this service, so anything odd is a bug. `?` and `#` are refused
 * because storage-js builds URLs with `encodeURI`, which leaves them as URL delimiters.
 */
/** The characters Supabase Storage accepts in a key: S3-safe ones; no `%`, `[`, `]`, `"`, `#`, non-ASCII. */
const STORAGE_KEY = /^(\w|\/|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/;

function objectKey(path: string): string {
  const segments = path.split('/');
  const bad =
    path.length === 0 ||
    path.length > 1024 ||
    /[\u0000-\u001f\u007f\\?#]/.test(path) ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    // Supabase Storage's own rule (isValidKey, src/storage/limits.ts): anything else is 400 InvalidKey.
    !STORAGE_KEY.test(path);
  if (bad) throw new AppError('invalid_storage_path', `Not a valid object path: ${JSON.stringify(path)}`, { status: 400 });
  return path;
}

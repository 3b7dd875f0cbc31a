/**
 * The local-folder store for `npm start`: objects live under LOCAL_STORAGE_DIR/<bucket>/<path>
 * and the local HTTP server serves them at `/files/<bucket>/<path>` (with byte ranges, which
 * video players rely on to seek). As in a private Supabase bucket, each URL carries a signed
 * token (`?token=`, the format Supabase Storage issues) that expires after SIGNED_URL_TTL_SECONDS,
 * and a missing, expired or forged token gets Storage's own 400; STORAGE_PUBLIC_BUCKET serves
 * them unsigned.
 *
 * A write lands in a temporary file beside its target and is renamed into place, so a crashed
 * or retried upload never leaves a half file where a finished one is expected. The content
 * type sits in a hidden sidecar (`.<name>.meta.json`). Path segments may not start with a dot,
 * which rules out `.`/`..` and keeps temporary and sidecar files unreachable by URL.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { log } from '../log.js';
import { localUrlSecret } from './local-url-secret.js';
import { signUrlToken, verifyUrlToken } from './signed-url-token.js';
import type { ObjectStore, PutOptions } from './types.js';

export interface LocalFile {
  stream: Readable;
  size: number;
  contentType: string;
}

interface OpenedObject {
  handle: FileHandle;
  size: number;
  contentType: string;
  modifiedAt: Date;
}

type ByteRange = { start: number; end: number };

const metaSchema = z.object({ contentType: z.string().min(1) });

const EXTENSION_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.vtt': 'text/vtt',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export function createLocalStore(config: Config): ObjectStore {
  const bucket = config.SUPABASE_STORAGE_BUCKET;

  return {
    name: 'local',

    async put(objectPath, body, options) {
      const target = requireFile(config, bucket, objectPath);
      const started = Date.now();
      const bytes = await writeAtomically(target, body, options);
      log('storage_put', { store: 'local', path: objectPath, bytes, ms: Date.now() - started });
    },

    async url(objectPath) {
      const segments = requireSegments(objectPath);
      const plain = `${config.publicBaseUrl}/files/${encodeURIComponent(bucket)}/${segments.map(encodeURIComponent).join('/')}`;
      if (config.STORAGE_PUBLIC_BUCKET) return plain;
      const token = signUrlToken({ url: `${bucket}/${segments.join('/')}` }, await localUrlSecret(config), config.SIGNED_URL_TTL_SECONDS);
      return `${plain}?token=${token}`;
    },

    async exists(objectPath) {
      const file = requireFile(config, bucket, objectPath);
      const info = await stat(file).catch(ignoreMissing);
      return info?.isFile() ?? false;
    },

    async get(objectPath, options = {}) {
      options.signal?.throwIfAborted();
      requireFile(config, bucket, objectPath);
      const opened = await openLocalFile(config, bucket, objectPath);
      if (!opened) throw objectNotFound(objectPath);
      return { body: opened.stream, contentType: opened.contentType, contentLength: opened.size };
    },
  };
}

function objectNotFound(objectPath: string): AppError {
  return new AppError('object_not_found', `No stored object at ${JSON.stringify(objectPath)}`, { status: 404, retryable: false });
}

/** Opens a stored object for reading, or `undefined` when the path is missing or not allowed. */
export async function openLocalFile(config: Config, bucket: string, objectPath: string): Promise<LocalFile | undefined> {
  const segments = segmentsOf(objectPath);
  const opened = segments && (await openObject(config, bucket, segments));
  if (!opened) return undefined;
  return { stream: opened.handle.createReadStream(), size: opened.size, contentType: opened.contentType };
}

/** Supabase Storage's error body (`{ statusCode, error, message }` as a 400), for the same refusals. */
function storageError(code: string, message: string): Response {
  return Response.json({ statusCode: '400', code, error: code, message }, { status: 400, headers: { 'cache-control': 'no-store' } });
}

/** Why a signed file URL's token does not open `key` (`bucket/path`), as Storage words it; undefined when it does. */
async function refusedToken(config: Config, token: string | null, key: string): Promise<Response | undefined> {
  if (!token) return storageError('InvalidRequest', "querystring must have required property 'token'");
  const checked = verifyUrlToken(token, await localUrlSecret(config));
  if (!checked.ok) return storageError('InvalidJWT', checked.reason);
  if (checked.claims.url !== key) return storageError('InvalidSignature', 'The url do not match the signature');
  return undefined;
}

/** Answers `GET|HEAD /files/<bucket>/<path>`: 200, 206 for a single byte range, 404, 405 or 416. */
export async function serveLocalFile(config: Config, request: Request): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  const url = new URL(request.url);
  const segments = decodeSegments(url.pathname);
  if (segments && !config.STORAGE_PUBLIC_BUCKET) {
    const refused = await refusedToken(config, url.searchParams.get('token'), segments.join('/'));
    if (refused) return refused;
  }
  const [bucket, ...rest] = segments ?? [];
  const opened = bucket === undefined ? undefined : await openObject(config, bucket, rest);
  if (!opened) return new Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });

  const { handle, size } = opened;
  const etag = `W/"${size.toString(16)}-${Math.floor(opened.modifiedAt.getTime()).toString(16)}"`;
  const lastModified = opened.modifiedAt.toUTCString();
  const headers = new Headers({
    'content-type': opened.contentType,
    'accept-ranges': 'bytes',
    etag,
    'last-modified': lastModified,
    'x-content-type-options': 'nosniff',
  });
  // If-Range: the client's partial copy is of an older version, so it needs the whole file.
  const ifRange = request.headers.get('if-range');
  const rangeHeader = ifRange === null || ifRange === etag || ifRange === lastModified ? request.headers.get('range') : null;
  const range = rangeHeader === null ? undefined : parseRange(rangeHeader, size);

  if (range === 'unsatisfiable') {
    await handle.close();
    headers.set('content-range', `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  headers.set('content-length', String(Math.max(0, end - start + 1)));
  if (range) headers.set('content-range', `bytes ${start}-${end}/${size}`);
  const status = range ? 206 : 200;

  if (request.method === 'HEAD' || size === 0) {
    await handle.close();
    return new Response(null, { status, headers });
  }
  const stream = handle.createReadStream({ start, end });
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
}

/**
 * One `bytes=a-b`, `bytes=a-` or `bytes=-n` range. Anything else (several ranges, other units,
 * a malformed header) is ignored, which RFC 9110 allows: the client gets the whole file.
 */
function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

async function writeAtomically(target: string, body: Readable, options: PutOptions): Promise<number> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(target)}.${randomUUID()}.part`);
  // `flush`: the bytes reach the disk before the rename makes them visible, so a power cut
  // cannot leave an empty file at the path. pipeline resolves only once the file is closed.
  const sink = createWriteStream(temp, { flags: 'wx', flush: true });
  try {
    await (options.signal ? pipeline(body, sink, { signal: options.signal }) : pipeline(body, sink));
    const { size } = await stat(temp);
    if (options.contentLength !== undefined && size !== options.contentLength) {
      throw new AppError('storage_length_mismatch', `Expected ${options.contentLength} bytes for ${path.basename(target)}, got ${size}`, {
        status: 502,
        retryable: true,
      });
    }
    await writeMeta(target, options.contentType);
    await rename(temp, target);
    return size;
  } catch (error) {
    // The file is opened asynchronously: a source failing at once can reject before the open
    // lands, so wait for the sink to close or the open would recreate the file after the rm.
    if (!sink.closed) await once(sink, 'close').catch(() => {});
    await rm(temp, { force: true });
    // pipeline wraps an abort in its own AbortError; callers expect their own reason back.
    throw options.signal?.aborted ? options.signal.reason : error;
  }
}

async function writeMeta(target: string, contentType: string): Promise<void> {
  const meta = metaPath(target);
  const temp = `${meta}.${randomUUID()}.part`;
  try {
    await writeFile(temp, JSON.stringify({ contentType }), { flag: 'wx' });
    await rename(temp, meta);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function readContentType(file: string): Promise<string> {
  const text = await readFile(metaPath(file), 'utf8').catch(ignoreMissing);
  if (text !== undefined) {
    try {
      const meta = metaSchema.safeParse(JSON.parse(text));
      if (meta.success) return meta.data.contentType;
    } catch {
      // A damaged sidecar only costs the exact type; the extension still gives a good guess.
    }
  }
  return EXTENSION_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function metaPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`);
}

/** Opens the file first and stats the handle, so size and bytes agree even if a put replaces it. */
async function openObject(config: Config, bucket: string, segments: string[]): Promise<OpenedObject | undefined> {
  const file = fileFor(config, bucket, segments);
  if (!file) return undefined;
  const handle = await open(file, 'r').catch(ignoreMissing);
  if (!handle) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    return { handle, size: info.size, contentType: await readContentType(file), modifiedAt: info.mtime };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fileFor(config: Config, bucket: string, segments: string[]): string | undefined {
  if (!validSegment(bucket) || segments.length === 0 || !segments.every(validSegment)) return undefined;
  const root = path.resolve(config.LOCAL_STORAGE_DIR, bucket);
  const file = path.resolve(root, ...segments);
  const relative = path.relative(root, file);
  // Belt and braces: the segment rules already keep every path inside the bucket folder.
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return file;
}

function requireFile(config: Config, bucket: string, objectPath: string): string {
  const file = fileFor(config, bucket, requireSegments(objectPath));
  if (!file) throw invalidPath(objectPath);
  return file;
}

function requireSegments(objectPath: string): string[] {
  const segments = segmentsOf(objectPath);
  if (!segments) throw invalidPath(objectPath);
  return segments;
}

function segmentsOf(objectPath: string): string[] | undefined {
  if (objectPath.length === 0 || objectPath.length > 1024) return undefined;
  const segments = objectPath.split('/');
  return segments.every(validSegment) ? segments : undefined;
}

function validSegment(segment: string): boolean {
  return segment.length > 0 && segment.length <= 255 && !segment.startsWith('.') && !/[\u0000-\u001f\u007f/\\]/.test(segment);
}

/** `/files/a/b%20c.mp4` → `['a', 'b c.mp4']`; undefined for anything else or bad escapes. */
function decodeSegments(pathname: string): string[] | undefined {
  const prefix = '/files/';
  if (!pathname.startsWith(prefix)) return undefined;
  try {
    return pathname.slice(prefix.length).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function invalidPath(objectPath: string): AppError {
  return new AppError('invalid_storage_path', `Not a valid object path: ${JSON.stringify(objectPath)}`, { status: 400 });
}

function ignoreMissing(error: unknown): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw error;
}

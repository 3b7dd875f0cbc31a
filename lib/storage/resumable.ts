/**
 * The pure rules of resumable (TUS) uploads to Supabase Storage: which uploads take that path,
 * the chunk size the server wants, and the Upload-Metadata it reads. No I/O here.
 */

const MiB = 1024 * 1024;

/**
 * Supabase recommends resumable uploads above 6 MB: a standard upload restarts from zero after any
 * failure, and one sent without Content-Length is not held to the bucket's size limit up front.
 */
export const RESUMABLE_THRESHOLD_BYTES = 6 * MiB;

/** Supabase's TUS server stores 6 MB parts and asks clients for exactly 6 MB chunks (bar the last). */
export const TUS_CHUNK_BYTES = 6 * MiB;

/** The path of Supabase Storage's TUS endpoint under the project URL. */
export const TUS_ENDPOINT_PATH = '/storage/v1/upload/resumable';

/** Objects above the threshold, and those whose length is unknown (it may be anything), go resumable. */
export function shouldUploadResumably(contentLength: number | undefined): boolean {
  return contentLength === undefined || contentLength > RESUMABLE_THRESHOLD_BYTES;
}

export interface ResumableObject {
  bucketName: string;
  objectName: string;
  contentType: string;
  /** Seconds, as Supabase reads it: a number becomes `max-age=<n>`, anything else `no-cache`. */
  cacheControl?: number;
}

/** The Upload-Metadata pairs Supabase Storage reads (src/http/routes/tus/lifecycle.ts). */
export function resumableMetadata(object: ResumableObject): Record<string, string> {
  return {
    bucketName: object.bucketName,
    objectName: object.objectName,
    contentType: object.contentType,
    ...(object.cacheControl !== undefined ? { cacheControl: String(object.cacheControl) } : {}),
  };
}

/** TUS 1.0.0 Upload-Metadata: comma-separated `key base64(value)` pairs; a key may stand alone. */
export function encodeUploadMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value, 'utf8').toString('base64')}`)
    .join(',');
}

/**
 * Parses Upload-Metadata as tus-node-server does (Metadata.parse): a bad pair, a duplicate key
 * or a value that is not base64 makes the whole header invalid (`undefined`).
 */
export function decodeUploadMetadata(header: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const parts = pair.trim().split(' ');
    const [key, value] = parts;
    if (parts.length > 2 || !key || /[\s,]/.test(key) || key in out) return undefined;
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
    out[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i;
const UNIT: Record<string, number> = { b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, tb: 1000 ** 4, kib: 1024, mib: MiB, gib: 1024 ** 3, tib: 1024 ** 4 };

/**
 * A bucket's file_size_limit as Supabase accepts it ("512MiB", "50MB", or bytes as a number) in
 * bytes; `undefined` when it sets no limit or cannot be read.
 */
export function parseSizeLimit(limit: string | number | null | undefined): number | undefined {
  if (limit === null || limit === undefined) return undefined;
  if (typeof limit === 'number') return Number.isFinite(limit) && limit > 0 ? limit : undefined;
  const match = SIZE.exec(limit.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * (UNIT[(match[2] ?? 'b').toLowerCase()] ?? 1));
  return bytes > 0 ? bytes : undefined;
}

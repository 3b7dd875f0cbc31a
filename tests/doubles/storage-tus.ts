/**
 * The resumable (TUS 1.0.0) routes of the Storage double: `/storage/v1/upload/resumable`, as
 * Supabase Storage serves them through @tus/server (src/http/routes/tus/ in supabase/storage):
 * its status codes, its plain-text error bodies (tus-node-server's ERRORS, Supabase's own errors
 * rendered as their message), `Tus-Resumable: 1.0.0` on every answer, and upload URLs that carry
 * base64url(`bucket/object/version`).
 *
 * Faults are scripted per PATCH (counted over the wire's life), so a test can drop one chunk's
 * connection part-way and see the client resume from the offset a HEAD reports.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import type http from 'node:http';
import { decodeUploadMetadata, encodeUploadMetadata, parseSizeLimit } from '../../lib/storage/resumable.js';

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

/** tus-node-server's ERRORS (packages/utils/src/constants.ts), the ones this double can answer. */
export const TUS_ERRORS = {
  MISSING_OFFSET: { status: 403, body: 'Upload-Offset header required\n' },
  INVALID_CONTENT_TYPE: { status: 403, body: 'Content-Type header required\n' },
  FILE_NOT_FOUND: { status: 404, body: 'The file for this url was not found\n' },
  INVALID_OFFSET: { status: 409, body: 'Upload-Offset conflict\n' },
  ERR_MAX_SIZE_EXCEEDED: { status: 413, body: 'Maximum size exceeded\n' },
  INVALID_LENGTH: { status: 400, body: 'Upload-Length or Upload-Defer-Length header required\n' },
  INVALID_METADATA: {
    status: 400,
    body: 'Upload-Metadata is invalid. It MUST consist of one or more comma-separated key-value pairs. The key and value MUST be separated by a space. The key MUST NOT contain spaces and commas and MUST NOT be empty. The key SHOULD be ASCII encoded and the value MUST be Base64 encoded. All keys MUST be unique',
  },
  FILE_WRITE_ERROR: { status: 500, body: 'Something went wrong receiving the file\n' },
} as const;

/** A scripted fault for the n-th PATCH (1-based, over the wire's life). */
export interface TusPatchFault {
  patch: number;
  /** Reset the connection once this many body bytes have arrived (they are kept, as tus does). */
  dropAfterBytes?: number;
  /** Or read the whole body, keep none of it, and answer this status. */
  status?: number;
  /**
   * Or stall: once this many body bytes have arrived (they are kept), stop reading and never
   * answer, until the client gives up on the request. 0 reads nothing at all.
   */
  hangAfterBytes?: number;
}

export interface TusObjectWrite {
  bucketId: string;
  path: string;
  size: number;
  contentType: string;
  cacheControl: string;
  sha256: string;
  data?: Buffer;
}

export interface TusDeps {
  baseUrl: () => string;
  bucket: (id: string) => { fileSizeLimit?: string | number | null; allowedMimeTypes?: string[] | null } | undefined;
  objectExists: (bucketId: string, path: string) => boolean;
  /** Called when an upload's last byte arrives: the object appears, replacing any before it. */
  commit: (write: TusObjectWrite) => void;
  keepBytes: () => boolean;
  /** The project's global limit (Supabase Free: 50 MB), under which a bucket's own limit sits. */
  globalFileSizeLimit: () => number | undefined;
  faults: () => TusPatchFault[];
  onBytes: (n: number) => void;
}

interface TusUpload {
  bucketId: string;
  path: string;
  size: number | undefined;
  offset: number;
  metadata: Record<string, string>;
  rawMetadata: string;
  isUpsert: boolean;
  hash: Hash;
  chunks: Buffer[];
}

export interface TusStats {
  creates: number;
  /** The Upload-Length each creation declared; `undefined` when it deferred the length. */
  declaredLengths: Array<number | undefined>;
  /** Body bytes of each PATCH as received, in order. */
  patches: number[];
  heads: number;
  /** PATCHes left hanging by a `hangAfterBytes` fault. */
  hangs: number;
}

const KEY = /^(\w|\/|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/;
/** tus-node-server's HeaderValidator, for the headers a client of this service sends. */
const VALID: Record<string, (value: string) => boolean> = {
  'upload-offset': (v) => /^\d+$/.test(v),
  'upload-length': (v) => /^\d+$/.test(v),
  'upload-defer-length': (v) => v === '1',
  'tus-resumable': (v) => v === '1.0.0',
};
const URL_EXPIRY_MS = 60 * 60 * 1000;

export function createTusRoutes(deps: TusDeps) {
  const uploads = new Map<string, TusUpload & { createdAt: number }>();
  const stats: TusStats = { creates: 0, declaredLengths: [], patches: [], heads: 0, hangs: 0 };

  async function handle(req: Req, res: Res, method: string, id: string | undefined): Promise<void> {
    res.setHeader('Tus-Resumable', '1.0.0');
    if (method === 'OPTIONS') {
      res.writeHead(204, { 'Tus-Version': '1.0.0', 'Tus-Extension': 'creation,creation-with-upload,termination,creation-defer-length,expiration' });
      return void res.end();
    }
    if (req.headers['tus-resumable'] === undefined) return text(req, res, 412, 'Tus-Resumable Required\n');
    const invalid = Object.keys(req.headers).filter((name) => {
      if (name === 'content-type') return method === 'PATCH' && req.headers[name] !== 'application/offset+octet-stream';
      const check = VALID[name];
      return check !== undefined && !check(String(req.headers[name]));
    });
    if (invalid.length > 0) return text(req, res, 400, `Invalid ${invalid.join(' ')}\n`);
    if (method === 'POST' && id === undefined) return create(req, res);
    if (id === undefined) return text(req, res, 404, TUS_ERRORS.FILE_NOT_FOUND.body);
    if (method === 'HEAD') return head(req, res, id);
    if (method === 'PATCH') return patch(req, res, id);
    return text(req, res, 405, `${method} not supported here\n`);
  }

  async function create(req: Req, res: Res): Promise<void> {
    const length = header(req, 'upload-length');
    const deferred = header(req, 'upload-defer-length');
    if ((length === undefined) === (deferred === undefined)) return text(req, res, 400, TUS_ERRORS.INVALID_LENGTH.body);
    const raw = header(req, 'upload-metadata');
    const metadata = raw === undefined ? undefined : decodeUploadMetadata(raw);
    if (!metadata) return text(req, res, 400, TUS_ERRORS.INVALID_METADATA.body);
    const bucketId = metadata.bucketName ?? '';
    const path = metadata.objectName ?? '';
    // Supabase's own errors (UploadId, findBucket, canUpload, validateMimeType) go out as
    // onResponseError renders them: their status, their message as the body.
    if (!path || !KEY.test(path)) return text(req, res, 400, `Invalid key: ${path}`);
    const bucket = deps.bucket(bucketId);
    if (!bucket) return text(req, res, 404, 'Bucket not found');
    const size = length === undefined ? undefined : Number(length);
    const max = maxSize(bucketId);
    if (size !== undefined && max !== undefined && size > max) return text(req, res, 413, TUS_ERRORS.ERR_MAX_SIZE_EXCEEDED.body);
    const isUpsert = req.headers['x-upsert'] === 'true';
    if (!isUpsert && deps.objectExists(bucketId, path)) return text(req, res, 409, 'The resource already exists');
    const contentType = metadata.contentType;
    if (contentType && bucket.allowedMimeTypes && !bucket.allowedMimeTypes.includes(contentType)) {
      return text(req, res, 415, `mime type ${contentType} is not supported`);
    }
    await drain(req);
    const id = Buffer.from(`${bucketId}/${path}/${randomUUID()}`, 'utf8').toString('base64url');
    uploads.set(id, { bucketId, path, size, offset: 0, metadata, rawMetadata: encodeUploadMetadata(metadata), isUpsert, hash: createHash('sha256'), chunks: [], createdAt: Date.now() });
    stats.creates += 1;
    stats.declaredLengths.push(size);
    res.writeHead(201, { Location: `${deps.baseUrl()}/storage/v1/upload/resumable/${id}`, 'Upload-Expires': new Date(Date.now() + URL_EXPIRY_MS).toUTCString() });
    res.end();
  }

  async function head(req: Req, res: Res, id: string): Promise<void> {
    stats.heads += 1;
    const upload = uploads.get(id);
    if (!upload) return text(req, res, 404, TUS_ERRORS.FILE_NOT_FOUND.body);
    res.writeHead(200, {
      'Cache-Control': 'no-store',
      'Upload-Offset': String(upload.offset),
      ...(upload.size === undefined ? { 'Upload-Defer-Length': '1' } : { 'Upload-Length': String(upload.size) }),
      'Upload-Metadata': upload.rawMetadata,
    });
    res.end();
  }

  async function patch(req: Req, res: Res, id: string): Promise<void> {
    const offsetHeader = header(req, 'upload-offset');
    if (offsetHeader === undefined) return text(req, res, 403, TUS_ERRORS.MISSING_OFFSET.body);
    if (req.headers['content-type'] === undefined) return text(req, res, 403, TUS_ERRORS.INVALID_CONTENT_TYPE.body);
    const upload = uploads.get(id);
    if (!upload) return text(req, res, 404, TUS_ERRORS.FILE_NOT_FOUND.body);
    const offset = Number(offsetHeader);
    if (offset !== upload.offset) return text(req, res, 409, TUS_ERRORS.INVALID_OFFSET.body);
    const max = maxSize(upload.bucketId);
    const declared = header(req, 'upload-length');
    if (declared !== undefined) {
      const size = Number(declared);
      if (upload.size !== undefined || size < upload.offset) return text(req, res, 400, TUS_ERRORS.INVALID_LENGTH.body);
      if (max !== undefined && size > max) return text(req, res, 413, TUS_ERRORS.ERR_MAX_SIZE_EXCEEDED.body);
      upload.size = size;
    }
    // As tus's StreamLimiter: the body may not run past the declared length, or the limit.
    const limit = (upload.size ?? max ?? Number.POSITIVE_INFINITY) - upload.offset;
    const index = stats.patches.length + 1;
    const fault = deps.faults().find((f) => f.patch === index);
    const keep = deps.keepBytes();
    // Written as it arrives (tus's stores stream too), never held per PATCH: the memory bench runs
    // this double in the service's process. A PATCH that fails keeps nothing: back to these.
    const hashBefore = upload.hash.copy();
    const chunksBefore = upload.chunks.length;
    let bytes = 0;
    // Read by events, not `for await`: leaving that loop early destroys the socket, and a stall
    // must leave the connection open with nothing read and nothing answered.
    const stop = await new Promise<'end' | 'drop' | 'hang' | 'gone'>((resolve) => {
      if (fault?.hangAfterBytes === 0) return resolve('hang');
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        deps.onBytes(chunk.length);
        if (bytes <= limit) {
          upload.hash.update(chunk);
          if (keep) upload.chunks.push(chunk);
        }
        if (fault?.dropAfterBytes !== undefined && bytes >= fault.dropAfterBytes) resolve('drop');
        else if (fault?.hangAfterBytes !== undefined && bytes >= fault.hangAfterBytes) resolve('hang');
        else return;
        req.pause();
      });
      req.once('end', () => resolve('end'));
      req.once('close', () => resolve('gone'));
    });
    const dropped = stop === 'drop' || stop === 'gone';
    const hung = stop === 'hang';
    stats.patches.push(bytes);
    if (fault?.status !== undefined || bytes > limit) {
      upload.hash = hashBefore;
      upload.chunks.length = chunksBefore;
      if (fault?.status !== undefined) return text(req, res, fault.status, fault.status >= 500 ? TUS_ERRORS.FILE_WRITE_ERROR.body : 'Injected failure\n');
      return text(req, res, 413, TUS_ERRORS.ERR_MAX_SIZE_EXCEEDED.body);
    }
    // What arrived is written, as tus's stores do, so a HEAD after a dropped PATCH reports it.
    upload.offset += bytes;
    if (dropped) {
      req.socket?.destroy();
      return;
    }
    if (hung) {
      stats.hangs += 1;
      // Breaking out of the loop above destroyed the request stream; the socket stays open and
      // unanswered until the client aborts (or the double closes).
      return new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
    }
    const finished = upload.size !== undefined && upload.offset === upload.size;
    if (finished) {
      uploads.delete(id);
      deps.commit({
        bucketId: upload.bucketId,
        path: upload.path,
        size: upload.offset,
        contentType: upload.metadata.contentType || 'application/octet-stream',
        cacheControl: /^-?\d+$/.test(upload.metadata.cacheControl ?? '') ? `max-age=${upload.metadata.cacheControl}` : 'no-cache',
        sha256: upload.hash.digest('hex'),
        ...(keep ? { data: Buffer.concat(upload.chunks) } : {}),
      });
    }
    res.writeHead(204, {
      'Upload-Offset': String(upload.offset),
      ...(finished ? { 'Tus-Complete': '1' } : { 'Upload-Expires': new Date(upload.createdAt + URL_EXPIRY_MS).toUTCString() }),
    });
    res.end();
  }

  /** Supabase's maxSize: the bucket's limit, never above the project's global one. */
  function maxSize(bucketId: string): number | undefined {
    const global = deps.globalFileSizeLimit();
    const own = parseSizeLimit(deps.bucket(bucketId)?.fileSizeLimit);
    if (own === undefined) return global;
    return global === undefined ? own : Math.min(own, global);
  }

  return { handle, stats, uploads };
}

function header(req: Req, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function drain(req: Req): Promise<void> {
  if (req.readableEnded) return;
  for await (const _ of req as AsyncIterable<Buffer>) void _;
}

/** tus-node-server's error answer: plain text, no content type, after the body is read. */
async function text(req: Req, res: Res, status: number, body: string): Promise<void> {
  await drain(req).catch(() => undefined);
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The resumable (TUS 1.0.0) routes of the Storage double: `/storage/v1/upload/resumable`, as
 * Supabase Storage serves them through @tus/server 2.4 and @tus/s3-store 2.0 (supabase/storage
 * src/http/routes/tus/index.ts; tus/tus-node-server packages/server/src at @tus/server@2.4.2):
 * its status codes, its plain-text error bodies (tus-node-server's ERRORS, Supabase's own errors
 * rendered as their message; a web Response of a string, so `text/plain;charset=UTF-8`),
 * `Tus-Resumable: 1.0.0` on every answer, and upload URLs that carry base64url(`bucket/object/version`).
 *
 * Extensions are the S3 store's: creation, creation-with-upload, creation-defer-length,
 * termination, expiration. Not checksum: @tus/server has no validator or handler for
 * Upload-Checksum, so the header is ignored and the bytes are taken as sent (never a 460).
 * Termination is on with `disableTerminationForFinishedUploads: true`: DELETE removes an
 * unfinished upload (204) and refuses a finished one (400). An upload past its expiry
 * (TUS_URL_EXPIRY_MS, 1 hour) answers HEAD and PATCH with 410; one the server never had, 404.
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
  FILE_NO_LONGER_EXISTS: { status: 410, body: 'The file for this url no longer exists\n' },
  INVALID_TERMINATION: { status: 400, body: 'Cannot terminate an already completed upload' },
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
  /** After this PATCH (and its fault), the upload expires: HEAD and PATCH then answer 410. */
  thenExpire?: boolean;
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
  uploadExpiryMs: () => number;
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
  createdAt: number;
  /** Expired by a `thenExpire` fault, whatever the clock says. */
  expired?: boolean;
  /** Its last byte arrived and the object was written. */
  committed?: boolean;
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
/** The S3 store's extensions, in its order (@tus/s3-store 2.0's constructor). */
const EXTENSIONS = 'creation,creation-with-upload,creation-defer-length,termination,expiration';
/** @tus/utils' REQUEST_METHODS and HEADERS, as the OPTIONS answer lists them. */
const ALLOWED_METHODS = 'POST, HEAD, PATCH, OPTIONS, DELETE';
const ALLOWED_HEADERS = [
  'Authorization', 'Content-Type', 'Location', 'Tus-Extension', 'Tus-Max-Size', 'Tus-Resumable', 'Tus-Version',
  'Upload-Concat', 'Upload-Defer-Length', 'Upload-Length', 'Upload-Metadata', 'Upload-Offset', 'X-HTTP-Method-Override',
  'X-Requested-With', 'X-Forwarded-Host', 'X-Forwarded-Proto', 'Forwarded',
  // Supabase's allowedHeaders (src/http/routes/tus/index.ts)
  'Authorization', 'X-Upsert', 'Upload-Expires', 'ApiKey', 'x-signature',
].join(', ');

export function createTusRoutes(deps: TusDeps) {
  const uploads = new Map<string, TusUpload>();
  const expired = (upload: TusUpload) => upload.expired === true || Date.now() > upload.createdAt + deps.uploadExpiryMs();
  const stats: TusStats = { creates: 0, declaredLengths: [], patches: [], heads: 0, hangs: 0 };

  async function handle(req: Req, res: Res, method: string, id: string | undefined): Promise<void> {
    res.setHeader('Tus-Resumable', '1.0.0');
    if (method === 'OPTIONS') {
      const max = deps.globalFileSizeLimit();
      res.writeHead(204, {
        'Tus-Version': '1.0.0',
        'Tus-Extension': EXTENSIONS,
        ...(max ? { 'Tus-Max-Size': String(max) } : {}),
        'Access-Control-Allow-Methods': ALLOWED_METHODS,
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '86400',
      });
      return void res.end();
    }
    // An empty header counts as none (server.ts tests `!req.headers.get('tus-resumable')`).
    if (!req.headers['tus-resumable']) return text(req, res, 412, 'Tus-Resumable Required\n');
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
    if (method === 'DELETE') return terminate(req, res, id);
    // PUT is routed to the tus server too, which has no handler for it.
    return text(req, res, 404, 'Not found\n');
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
    res.writeHead(201, { Location: `${deps.baseUrl()}/storage/v1/upload/resumable/${id}`, 'Upload-Expires': new Date(Date.now() + deps.uploadExpiryMs()).toUTCString() });
    res.end();
  }

  async function head(req: Req, res: Res, id: string): Promise<void> {
    stats.heads += 1;
    const upload = uploads.get(id);
    if (!upload) return text(req, res, 404, TUS_ERRORS.FILE_NOT_FOUND.body);
    if (expired(upload)) return text(req, res, 410, TUS_ERRORS.FILE_NO_LONGER_EXISTS.body);
    res.writeHead(200, {
      'Content-Type': 'text/plain;charset=UTF-8',
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
    if (expired(upload)) return text(req, res, 410, TUS_ERRORS.FILE_NO_LONGER_EXISTS.body);
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
    if (fault?.thenExpire) upload.expired = true;
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
    if (finished && !upload.committed) {
      upload.committed = true;
      // The upload stays (the S3 store keeps its info until it expires): a HEAD reports it whole.
      deps.commit({
        bucketId: upload.bucketId,
        path: upload.path,
        size: upload.offset,
        contentType: upload.metadata.contentType || 'application/octet-stream',
        cacheControl: /^-?\d+$/.test(upload.metadata.cacheControl ?? '') ? `max-age=${upload.metadata.cacheControl}` : 'no-cache',
        sha256: upload.hash.digest('hex'),
        ...(keep ? { data: Buffer.concat(upload.chunks) } : {}),
      });
      upload.chunks = [];
    }
    res.writeHead(204, {
      'Upload-Offset': String(upload.offset),
      ...(finished ? { 'Tus-Complete': '1' } : { 'Upload-Expires': new Date(upload.createdAt + deps.uploadExpiryMs()).toUTCString() }),
    });
    res.end();
  }

  /** Termination (DeleteHandler with disableTerminationForFinishedUploads). */
  async function terminate(req: Req, res: Res, id: string): Promise<void> {
    const upload = uploads.get(id);
    // Supabase's onIncomingRequest reads the upload first: one the store does not have is a 404.
    if (!upload) return text(req, res, 404, TUS_ERRORS.FILE_NOT_FOUND.body);
    if (upload.size !== undefined && upload.offset === upload.size) return text(req, res, 400, TUS_ERRORS.INVALID_TERMINATION.body);
    uploads.delete(id);
    await drain(req);
    res.writeHead(204);
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

/**
 * tus-node-server's error answer (server.ts write()): a web Response of the text, so it carries
 * the type a string body gets, `text/plain;charset=UTF-8`, and its Content-Length; after the body is read.
 */
async function text(req: Req, res: Res, status: number, body: string): Promise<void> {
  await drain(req).catch(() => undefined);
  res.writeHead(status, { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * An in-process Supabase Storage API (node:http on 127.0.0.1) speaking the routes, headers and
 * error shapes the real `@supabase/supabase-js` client uses, so tests run the real client over
 * a real socket. Like the real service it answers most client errors with HTTP 400 and the
 * meaningful status in the body's `statusCode`, and it checks `apikey` and the Bearer token.
 *
 * Objects live in memory, or (keepBytes: false) are only counted and hashed, so a 200 MB
 * streaming benchmark costs no memory. Faults and latency come from a seeded PRNG, so a
 * failing run can be replayed exactly.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import { seededRandom } from '../../lib/random.js';
import { parseSizeLimit } from '../../lib/storage/resumable.js';
import { signUrlToken, verifyUrlToken } from '../../lib/storage/signed-url-token.js';
import { createTusRoutes, type TusPatchFault, type TusStats } from './storage-tus.js';

export type { TusPatchFault, TusStats } from './storage-tus.js';

export interface WireObject {
  id: string;
  size: number;
  contentType: string;
  cacheControl: string | undefined;
  sha256: string;
  /** Successful writes to this path; an upsert adds one. */
  writes: number;
  /** The bytes, unless the wire runs with `keepBytes: false`. */
  data?: Buffer;
  updatedAt: Date;
}

export interface WireBucket {
  id: string;
  public: boolean;
  createdAt: Date;
  /** As created: the size limit (storage-js sends the string, e.g. "512MiB") and MIME allow-list. */
  fileSizeLimit?: string | number | null;
  allowedMimeTypes?: string[] | null;
}

export interface StorageWireBehavior {
  /** Keep uploaded bytes (default) or only count and hash them. */
  keepBytes: boolean;
  /** Share (0..1) of uploads answered with one of `failureStatuses` after the body is read. */
  uploadFailureRate: number;
  failureStatuses: number[];
  /** Delay before each answer: a fixed number or a [min, max] range. */
  latencyMs: number | [number, number];
  /** Scripted faults of resumable uploads' PATCH requests (see storage-tus.ts). */
  tusPatchFaults: TusPatchFault[];
  /** The project's global object size limit in bytes (Supabase Free: 50 MB); none by default. */
  globalFileSizeLimit: number | undefined;
  /** How long a resumable upload lives (Supabase's TUS_URL_EXPIRY_MS, 1 hour by default). */
  tusUploadExpiryMs: number;
}

export interface StorageWireOptions extends Partial<StorageWireBehavior> {
  seed?: number;
  serviceKey?: string;
  buckets?: Array<{ id: string; public?: boolean; fileSizeLimit?: string | number; allowedMimeTypes?: string[] }>;
}

export interface StorageWire {
  /** The SUPABASE_URL to hand the client (the API lives under /storage/v1). */
  url: string;
  serviceKey: string;
  /** Keyed by `bucket/path`. */
  objects: Map<string, WireObject>;
  buckets: Map<string, WireBucket>;
  /** Upload requests received, failed ones included. */
  readonly uploads: number;
  readonly failedUploads: number;
  /** Upload body bytes received so far, counted as they arrive. */
  readonly bytesReceived: number;
  /** Resumable uploads: creations, each PATCH's body size, HEADs. */
  readonly tus: TusStats;
  setBehavior(change: Partial<StorageWireBehavior>): void;
  close(): Promise<void>;
}

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

const signBodySchema = z.object({ expiresIn: z.number().int().min(1) });
const bucketBodySchema = z.object({ id: z.string().optional(), name: z.string().min(1), public: z.boolean().optional(),
  file_size_limit: z.union([z.string(), z.number()]).nullable().optional(), allowed_mime_types: z.array(z.string()).nullable().optional() });

export async function startStorageWire(options: StorageWireOptions = {}): Promise<StorageWire> {
  const serviceKey = options.serviceKey ?? `sb_secret_test-${randomBytes(8).toString('hex')}`;
  const signingSecret = randomBytes(32);
  const random = seededRandom(options.seed ?? 1);
  const behavior: StorageWireBehavior = {
    keepBytes: options.keepBytes ?? true,
    uploadFailureRate: options.uploadFailureRate ?? 0,
    failureStatuses: options.failureStatuses ?? [503],
    latencyMs: options.latencyMs ?? 0,
    tusPatchFaults: options.tusPatchFaults ?? [],
    globalFileSizeLimit: options.globalFileSizeLimit,
    tusUploadExpiryMs: options.tusUploadExpiryMs ?? 60 * 60 * 1000,
  };
  const objects = new Map<string, WireObject>();
  const buckets = new Map<string, WireBucket>();
  for (const b of options.buckets ?? []) {
    buckets.set(b.id, { id: b.id, public: b.public ?? false, createdAt: new Date(), fileSizeLimit: b.fileSizeLimit ?? null, allowedMimeTypes: b.allowedMimeTypes ?? null });
  }
  const counters = { uploads: 0, failedUploads: 0, bytesReceived: 0 };
  let baseUrl = '';
  const tus = createTusRoutes({
    baseUrl: () => baseUrl,
    bucket: (id) => buckets.get(id),
    objectExists: (bucketId, path) => objects.has(`${bucketId}/${path}`),
    commit: (write) => {
      const key = `${write.bucketId}/${write.path}`;
      const existing = objects.get(key);
      objects.set(key, {
        id: existing?.id ?? randomUUID(),
        size: write.size,
        contentType: write.contentType,
        cacheControl: write.cacheControl,
        sha256: write.sha256,
        writes: (existing?.writes ?? 0) + 1,
        updatedAt: new Date(),
        ...(write.data ? { data: write.data } : {}),
      });
    },
    keepBytes: () => behavior.keepBytes,
    globalFileSizeLimit: () => behavior.globalFileSizeLimit,
    faults: () => behavior.tusPatchFaults,
    uploadExpiryMs: () => behavior.tusUploadExpiryMs,
    onBytes: (n) => {
      counters.bytesReceived += n;
    },
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, { statusCode: '500', error: 'InternalError', message: String(error) });
    });
  });

  async function handle(req: Req, res: Res): Promise<void> {
    await sleep(latency());
    const url = new URL(req.url ?? '/', 'http://wire');
    const prefix = '/storage/v1/';
    if (!url.pathname.startsWith(prefix)) return fail(req, res, 404, 'NotFound', `No route ${url.pathname}`);
    const [area = '', first = '', ...rest] = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
    const method = req.method ?? 'GET';

    // The routes reached without the service key.
    if (area === 'object' && method === 'GET' && first === 'sign') return getSigned(req, res, rest, url.searchParams.get('token'));
    if (area === 'object' && method === 'GET' && first === 'public') return serveFrom(req, res, rest, (b) => b.public);
    // OPTIONS on the resumable endpoint is among supabase/storage's publicRoutes (no JWT).
    if (area === 'upload' && first === 'resumable' && method === 'OPTIONS') return tus.handle(req, res, method, undefined);

    if (req.headers.apikey !== serviceKey || req.headers.authorization !== `Bearer ${serviceKey}`) {
      return fail(req, res, 401, 'InvalidJWT', 'Invalid API key or token', 401);
    }
    if (area === 'bucket') return bucketRoute(req, res, method, first);
    if (area === 'upload' && first === 'resumable') {
      if (method === 'POST' && rest.length === 0) counters.uploads += 1;
      return tus.handle(req, res, method, rest.length === 0 || rest[0] === '' ? undefined : rest.join('/'));
    }
    if (area !== 'object') return fail(req, res, 404, 'NotFound', `No route ${url.pathname}`);
    if (method === 'POST' && first === 'sign') return sign(req, res, rest);
    if (method === 'GET' && first === 'info') return info(req, res, rest);
    if (method === 'POST' || method === 'PUT') return upload(req, res, method, [first, ...rest]);
    if (method === 'GET') return serveFrom(req, res, [first, ...rest], () => true);
    return fail(req, res, 405, 'InvalidRequest', `${method} not supported here`);
  }

  async function upload(req: Req, res: Res, method: string, [bucketId = '', ...segments]: string[]): Promise<void> {
    counters.uploads += 1;
    if (!buckets.has(bucketId)) return fail(req, res, 404, 'NoSuchBucket', 'Bucket not found');
    const path = segments.join('/');
    // The server's isValidKey (src/storage/limits.ts): S3-safe characters only.
    if (!path || !/^(\w|\/|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/.test(path)) return fail(req, res, 400, 'InvalidKey', `Invalid key: ${path}`);
    const key = `${bucketId}/${path}`;
    const existing = objects.get(key);
    if (method === 'POST' && existing && req.headers['x-upsert'] !== 'true') {
      return fail(req, res, 409, 'Duplicate', 'The resource already exists');
    }
    if (method === 'PUT' && !existing) return fail(req, res, 404, 'NoSuchKey', 'Object not found');
    const contentType = req.headers['content-type'] ?? 'application/octet-stream';
    if (contentType.startsWith('multipart/form-data')) {
      return fail(req, res, 415, 'InvalidMimeType', 'this double takes raw upload bodies only');
    }

    const fault = random() < behavior.uploadFailureRate ? pick(behavior.failureStatuses) : undefined;
    const limit = maxObjectSize(bucketId);
    const declared = Number(req.headers['content-length']);
    // The server refuses a declared length over the limit before reading, and stops one that runs over.
    if (limit !== undefined && declared > limit) return fail(req, res, 413, 'EntityTooLarge', 'The object exceeded the maximum allowed size');
    const keep = behavior.keepBytes && fault === undefined;
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      counters.bytesReceived += chunk.length;
      hash.update(chunk);
      if (keep) chunks.push(chunk);
    }
    if (limit !== undefined && size > limit) return fail(req, res, 413, 'EntityTooLarge', 'The object exceeded the maximum allowed size');
    if (fault !== undefined) {
      counters.failedUploads += 1;
      // A 503 is what the gateway sends (not JSON); anything else is the storage server's JSON.
      if (fault === 503) return send(res, 503, 'upstream connect error', 'text/plain');
      return fail(req, res, fault, 'InternalError', 'Injected failure');
    }
    const object: WireObject = {
      id: existing?.id ?? randomUUID(),
      size,
      contentType,
      cacheControl: req.headers['cache-control'],
      sha256: hash.digest('hex'),
      writes: (existing?.writes ?? 0) + 1,
      updatedAt: new Date(),
      ...(keep ? { data: Buffer.concat(chunks) } : {}),
    };
    objects.set(key, object);
    send(res, 200, { Id: object.id, Key: key });
  }

  async function sign(req: Req, res: Res, segments: string[]): Promise<void> {
    const body = signBodySchema.safeParse(await readJson(req));
    if (!body.success) return fail(req, res, 400, 'InvalidRequest', 'body must have expiresIn >= 1');
    const key = segments.join('/');
    if (!objects.has(key)) return fail(req, res, 404, 'NoSuchKey', 'Object not found');
    // As the server issues it: an HS256 JWT of { url, iat, exp } (lib/storage/signed-url-token.ts).
    const token = signUrlToken({ url: key }, signingSecret, body.data.expiresIn);
    send(res, 200, { signedURL: `/object/sign/${key}?token=${token}` });
  }

  async function getSigned(req: Req, res: Res, segments: string[], token: string | null): Promise<void> {
    const key = segments.join('/');
    if (!token) return fail(req, res, 400, 'InvalidRequest', 'querystring must have required property \'token\'');
    const checked = verifyUrlToken(token, signingSecret);
    if (!checked.ok) return fail(req, res, 400, 'InvalidJWT', checked.reason);
    if (checked.claims.url !== key) return fail(req, res, 400, 'InvalidSignature', 'The url do not match the signature');
    return serveFrom(req, res, segments, () => true);
  }

  async function info(req: Req, res: Res, [bucketId = '', ...segments]: string[]): Promise<void> {
    const path = segments.join('/');
    const object = objects.get(`${bucketId}/${path}`);
    if (!object) return fail(req, res, 404, 'NoSuchKey', 'Object not found');
    const at = object.updatedAt.toISOString();
    const { id, size, contentType: content_type, cacheControl } = object;
    send(res, 200, { id, name: path, bucket_id: bucketId, version: id, size, content_type, cache_control: cacheControl ?? null,
      etag: `"${object.sha256}"`, last_modified: at, created_at: at, updated_at: at, metadata: {} });
  }

  async function serveFrom(req: Req, res: Res, [bucketId = '', ...segments]: string[], allowed: (b: WireBucket) => boolean): Promise<void> {
    const bucket = buckets.get(bucketId);
    if (!bucket || !allowed(bucket)) return fail(req, res, 404, 'NoSuchBucket', 'Bucket not found');
    const object = objects.get(`${bucketId}/${segments.join('/')}`);
    if (!object) return fail(req, res, 404, 'NoSuchKey', 'Object not found');
    if (!object.data) return fail(req, res, 501, 'NotImplemented', 'bytes were not kept (keepBytes: false)');
    res.writeHead(200, { 'content-type': object.contentType, 'content-length': object.size, etag: `"${object.sha256}"` });
    res.end(object.data);
  }

  async function bucketRoute(req: Req, res: Res, method: string, id: string): Promise<void> {
    if (method === 'GET' && id) {
      const bucket = buckets.get(id);
      return bucket ? send(res, 200, renderBucket(bucket)) : fail(req, res, 404, 'NoSuchBucket', 'Bucket not found');
    }
    if (method === 'GET') return send(res, 200, [...buckets.values()].map(renderBucket));
    if (method !== 'POST' || id) return fail(req, res, 405, 'InvalidRequest', `${method} not supported here`);
    const body = bucketBodySchema.safeParse(await readJson(req));
    if (!body.success) return fail(req, res, 400, 'InvalidRequest', 'body must have a name');
    const bucketId = body.data.id ?? body.data.name;
    if (buckets.has(bucketId)) return fail(req, res, 409, 'BucketAlreadyExists', 'The resource already exists');
    buckets.set(bucketId, { id: bucketId, public: body.data.public ?? false, createdAt: new Date(), fileSizeLimit: body.data.file_size_limit ?? null, allowedMimeTypes: body.data.allowed_mime_types ?? null });
    send(res, 200, { name: bucketId });
  }

  /** The bucket's own limit, never above the project's global one (supabase/storage getFileSizeLimit). */
  function maxObjectSize(bucketId: string): number | undefined {
    const own = parseSizeLimit(buckets.get(bucketId)?.fileSizeLimit);
    const global = behavior.globalFileSizeLimit;
    if (own === undefined) return global;
    return global === undefined ? own : Math.min(own, global);
  }

  function latency(): number {
    const l = behavior.latencyMs;
    return typeof l === 'number' ? l : l[0] + random() * (l[1] - l[0]);
  }

  function pick(statuses: number[]): number {
    return statuses[Math.floor(random() * statuses.length)] ?? 503;
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    serviceKey,
    objects,
    buckets,
      get uploads() {
      return counters.uploads;
    },
    get failedUploads() {
      return counters.failedUploads;
    },
    get bytesReceived() {
      return counters.bytesReceived;
    },
    get tus() {
      return tus.stats;
    },
    setBehavior(change) {
      Object.assign(behavior, change);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function renderBucket({ id, public: isPublic, createdAt, fileSizeLimit, allowedMimeTypes }: WireBucket) {
  const at = createdAt.toISOString();
  return { id, name: id, owner: '', public: isPublic, file_size_limit: parseSizeLimit(fileSizeLimit) ?? null, allowed_mime_types: allowedMimeTypes ?? null, created_at: at, updated_at: at };
}

async function readJson(req: Req): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The storage server's error shape. HTTP 400 carries every client error (the real status is in
 * `statusCode`); 5xx stays 5xx; the gateway's 401 is passed as `httpStatus`.
 */
async function fail(req: Req, res: Res, status: number, code: string, message: string, httpStatus?: number): Promise<void> {
  // Answering before the body is read would reset the connection under the client's upload.
  if (!req.readableEnded) {
    req.resume();
    await finished(req).catch(() => undefined);
  }
  send(res, httpStatus ?? (status >= 500 ? status : 400), { statusCode: String(status), code, error: code, message });
}

function send(res: Res, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Both object stores. The Supabase store runs the real `@supabase/storage-js` client (the one
 * supabase-js builds for `client.storage`) over a real socket against the in-process Storage API
 * double (tests/doubles/storage-wire.ts), so these tests check the wire format it actually
 * sends, not a mock of it.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { createLocalStore, openLocalFile, serveLocalFile } from '../lib/storage/local.js';
import { createSupabaseStore, ensureBucket } from '../lib/storage/supabase.js';
import { BUCKET_SETTINGS } from '../lib/storage/bucket-settings.js';
import { readUrlTokenClaims, signUrlToken } from '../lib/storage/signed-url-token.js';
import { startStorageWire, type StorageWire } from './doubles/storage-wire.js';
import { caught } from './support/refusals.js';

const BUCKET = 'explainer-test';
const CHUNK = 64 * 1024;

function configFor(wire: StorageWire, extra: Record<string, string> = {}): Config {
  return loadConfig({
    SUPABASE_URL: wire.url,
    SUPABASE_SERVICE_ROLE_KEY: wire.serviceKey,
    SUPABASE_STORAGE_BUCKET: BUCKET,
    ...extra,
  });
}

function bytes(n: number, seed = 7): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function chunked(data: Buffer, size = CHUNK): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
    })(),
  );
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Supabase store: real @supabase/supabase-js client against the in-process Storage API double', () => {
  let wire: StorageWire;

  beforeAll(async () => {
    wire = await startStorageWire({ buckets: [{ id: BUCKET }], seed: 42 });
  });
  afterAll(async () => {
    await wire.close();
  });
  afterEach(() => {
    wire.setBehavior({ uploadFailureRate: 0, failureStatuses: [503], latencyMs: 0 });
  });

  // Objects of known length up to RESUMABLE_THRESHOLD_BYTES take the standard upload tested here;
  // larger ones and those of unknown length go resumable (tests/storage-tus.test.ts).
  it('put streams the body: the server receives bytes before the source has produced the rest, stored as video/mp4', async () => {
    const head = bytes(CHUNK, 1);
    const tail = bytes(3 * CHUNK + 17, 2);
    const before = wire.bytesReceived;
    // The second part is only produced once the server holds the first: a client that buffered
    // the whole body before sending would never get there.
    const body = Readable.from(
      (async function* () {
        yield head;
        await until(() => wire.bytesReceived - before >= head.length, 'the first chunk to reach the server');
        yield tail;
      })(),
    );
    const store = createSupabaseStore(configFor(wire));
    await store.put('jobs/j1/scene-1.mp4', body, { contentType: 'video/mp4', contentLength: head.length + tail.length });

    const object = wire.objects.get(`${BUCKET}/jobs/j1/scene-1.mp4`);
    expect(object?.contentType).toBe('video/mp4');
    expect(object?.size).toBe(head.length + tail.length);
    expect(object?.data?.equals(Buffer.concat([head, tail]))).toBe(true);
    expect(object?.writes).toBe(1);
  });

  it('put of a 192 MB stream holds far less than the file in memory (works around undici#4058)', async () => {
    const counting = await startStorageWire({ buckets: [{ id: BUCKET }], keepBytes: false });
    try {
      const total = 192 * 2 ** 20;
      const chunk = Buffer.alloc(256 * 1024, 9);
      const body = Readable.from(
        (function* () {
          for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
        })(),
      );
      const base = process.memoryUsage().arrayBuffers;
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }, 5);
      try {
        await createSupabaseStore(configFor(counting)).put('big/video.mp4', body, { contentType: 'video/mp4', contentLength: total });
      } finally {
        clearInterval(sampler);
      }
      expect(counting.objects.get(`${BUCKET}/big/video.mp4`)?.size).toBe(total);
      // With the bug, fetch's redirect clone keeps every chunk: the peak reaches the file size.
      expect(peak).toBeLessThan(total / 3);
    } finally {
      await counting.close();
    }
  });

  it('get() answers the content type the server stored (webp, json), not a guess from the key', async () => {
    const store = createSupabaseStore(configFor(wire));
    await store.put('jobs/j9/keyframe-1.webp', chunked(bytes(300)), { contentType: 'image/webp' });
    await store.put('jobs/j9/storyboard.json', chunked(Buffer.from('{"a":1}')), { contentType: 'application/json' });
    // Stored under a key whose extension says otherwise: only the server's answer can be right.
    await store.put('jobs/j9/still.bin', chunked(bytes(50)), { contentType: 'image/png' });
    for (const [key, type] of [['jobs/j9/keyframe-1.webp', 'image/webp'], ['jobs/j9/storyboard.json', 'application/json'], ['jobs/j9/still.bin', 'image/png']]) {
      const got = await store.get(key!);
      got.body.resume();
      expect(got.contentType).toBe(type);
    }
  });

  it.each(['jobs/j1/scène.mp4', 'jobs/j1/100%.mp4', 'jobs/j1/[1].mp4', 'jobs/j1/"a".mp4'])('refuses the key %s as the server does (400 InvalidKey), before sending it', async (key) => {
    const store = createSupabaseStore(configFor(wire));
    const uploads = wire.uploads;
    await expect(store.put(key, chunked(bytes(10)), { contentType: 'video/mp4' })).rejects.toMatchObject({ code: 'invalid_storage_path', status: 400 });
    expect(wire.uploads).toBe(uploads);
    // The double answers it as Supabase does: HTTP 400 with the status inside the body.
    const res = await fetch(`${wire.url}/storage/v1/object/${BUCKET}/${encodeURIComponent(key).replace(/%2F/g, '/')}`, {
      method: 'POST', headers: { apikey: wire.serviceKey, authorization: `Bearer ${wire.serviceKey}`, 'content-type': 'video/mp4' }, body: 'x',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ statusCode: '400', error: 'InvalidKey' });
  });

  it('sends Content-Length when the caller knows it', async () => {
    const data = bytes(100_000);
    const store = createSupabaseStore(configFor(wire));
    await store.put('jobs/j1/known-length.mp4', chunked(data), { contentType: 'video/mp4', contentLength: data.length });
    expect(wire.objects.get(`${BUCKET}/jobs/j1/known-length.mp4`)?.data?.equals(data)).toBe(true);
  });

  it('a second put at the same path replaces the object (upsert): one object, two writes', async () => {
    const store = createSupabaseStore(configFor(wire));
    const key = `${BUCKET}/jobs/j2/final.mp4`;
    const countBefore = wire.objects.size;
    await store.put('jobs/j2/final.mp4', chunked(bytes(5000, 1)), { contentType: 'video/mp4' });
    await store.put('jobs/j2/final.mp4', chunked(bytes(7000, 2)), { contentType: 'video/mp4' });
    expect(wire.objects.size).toBe(countBefore + 1);
    expect(wire.objects.get(key)?.writes).toBe(2);
    expect(wire.objects.get(key)?.data?.equals(bytes(7000, 2))).toBe(true);
  });

  it('url() returns a signed URL that fetches the bytes, with the TTL from config or the argument', async () => {
    const store = createSupabaseStore(configFor(wire, { SIGNED_URL_TTL_SECONDS: '900' }));
    const data = bytes(20_000);
    await store.put('jobs/j3/scene 1.mp4', chunked(data), { contentType: 'video/mp4' });

    const url = await store.url('jobs/j3/scene 1.mp4');
    expect(url.startsWith(`${wire.url}/storage/v1/object/sign/${BUCKET}/jobs/j3/scene%201.mp4?token=`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);

    const lifetime = (signed: string) => {
      const token = new URL(signed).searchParams.get('token') ?? '';
      expect(token.split('.')).toHaveLength(3);
      const claims = readUrlTokenClaims(token);
      expect(claims?.url).toBe(`${BUCKET}/jobs/j3/scene 1.mp4`);
      return claims!.exp - Math.floor(Date.now() / 1000);
    };
    expect(lifetime(url)).toBeGreaterThan(890);
    expect(lifetime(await store.url('jobs/j3/scene 1.mp4', 120))).toBeLessThanOrEqual(120);

    // Another object's claims under this signature: refused, as the real server refuses it.
    const other = Buffer.from(JSON.stringify({ url: `${BUCKET}/other.mp4`, iat: 1, exp: 9_999_999_999 })).toString('base64url');
    const forged = url.replace(/(token=[^.]+\.)[^.]+/, `$1${other}`);
    const refused = await fetch(forged);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ statusCode: '400', error: 'InvalidJWT', message: 'invalid signature' });
  });

  it('public bucket: url() is the public object URL, fetchable without a key', async () => {
    const publicWire = await startStorageWire({ buckets: [{ id: BUCKET, public: true }] });
    try {
      const store = createSupabaseStore(configFor(publicWire, { STORAGE_PUBLIC_BUCKET: 'true' }));
      const data = bytes(3000);
      await store.put('jobs/j4/scene-1.mp4', chunked(data), { contentType: 'video/mp4' });
      const url = await store.url('jobs/j4/scene-1.mp4');
      expect(url).toBe(`${publicWire.url}/storage/v1/object/public/${BUCKET}/jobs/j4/scene-1.mp4`);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      await publicWire.close();
    }
  });

  it('exists: true after put, false for a missing object; any other failure is an error, not false', async () => {
    const store = createSupabaseStore(configFor(wire));
    await store.put('jobs/j5/a.mp4', chunked(bytes(10)), { contentType: 'video/mp4' });
    expect(await store.exists('jobs/j5/a.mp4')).toBe(true);
    expect(await store.exists('jobs/j5/missing.mp4')).toBe(false);

    const badKey = createSupabaseStore(loadConfig({ SUPABASE_URL: wire.url, SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_wrong', SUPABASE_STORAGE_BUCKET: BUCKET }));
    expect(await caught(badKey.exists('jobs/j5/a.mp4'))).toMatchObject({ status: 401, retryable: false });
  });

  it('a 503 upload becomes a retryable AppError keeping status 503; a 500 likewise', async () => {
    const store = createSupabaseStore(configFor(wire));
    for (const status of [503, 500]) {
      wire.setBehavior({ uploadFailureRate: 1, failureStatuses: [status] });
      const error = await caught(store.put(`jobs/j6/${status}.mp4`, chunked(bytes(200_000)), { contentType: 'video/mp4', contentLength: 200_000 }));
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).retryable).toBe(true);
      expect((error as AppError).status).toBe(status);
      expect(wire.objects.has(`${BUCKET}/jobs/j6/${status}.mp4`)).toBe(false);
    }
  });

  it('a wrong service key is a non-retryable AppError; a refused connection is retryable', async () => {
    const badKey = createSupabaseStore(loadConfig({ SUPABASE_URL: wire.url, SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_wrong', SUPABASE_STORAGE_BUCKET: BUCKET }));
    const denied = await caught(badKey.put('jobs/j7/x.mp4', chunked(bytes(10)), { contentType: 'video/mp4' }));
    expect(denied).toMatchObject({ retryable: false, status: 401 });

    const closed = await startStorageWire();
    await closed.close();
    const unreachable = createSupabaseStore(configFor(closed));
    const error = await caught(unreachable.exists('jobs/j7/x.mp4'));
    expect(error).toMatchObject({ code: 'storage_unreachable', retryable: true });
  });

  it('an upload whose source stalls longer than REQUEST_TIMEOUT_MS fails as a retryable timeout', async () => {
    const store = createSupabaseStore(configFor(wire, { REQUEST_TIMEOUT_MS: '200' }));
    const stalled = Readable.from(
      (async function* () {
        yield bytes(1000);
        await new Promise(() => undefined);
      })(),
    );
    const error = await caught(store.put('jobs/j8/stall.mp4', stalled, { contentType: 'video/mp4' }));
    expect(error).toMatchObject({ code: 'storage_timeout', retryable: true });
    expect(stalled.destroyed).toBe(true);
  });

  it("the caller's AbortSignal stops an upload with the caller's reason", async () => {
    const store = createSupabaseStore(configFor(wire));
    const controller = new AbortController();
    const body = Readable.from(
      (async function* () {
        yield bytes(1000);
        controller.abort(new Error('job cancelled'));
        await new Promise(() => undefined);
      })(),
    );
    const error = await caught(store.put('jobs/j9/x.mp4', body, { contentType: 'video/mp4', signal: controller.signal }));
    expect((error as Error).message).toBe('job cancelled');
  });

  it("get: a slow answer fails as a retryable timeout, and the caller's abort stops it", async () => {
    const store = createSupabaseStore(configFor(wire, { REQUEST_TIMEOUT_MS: '200' }));
    await store.put('jobs/j10/x.mp4', chunked(bytes(1000)), { contentType: 'video/mp4' });
    wire.setBehavior({ latencyMs: 2000 });
    const started = Date.now();
    expect(await caught(store.get('jobs/j10/x.mp4'))).toMatchObject({ code: 'storage_timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);

    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort(new Error('tick budget spent'));
    }, 50);
    expect(((await caught(store.get('jobs/j10/x.mp4', { signal: controller.signal }))) as Error).message).toBe('tick budget spent');
    // Timed from the abort itself: how late a loaded machine fires the 50 ms timer is not the store's doing.
    expect(Date.now() - abortedAt).toBeLessThan(100);
  });

  it('a source that fails mid-upload surfaces its own error and leaves no object', async () => {
    const store = createSupabaseStore(configFor(wire));
    const broken = Readable.from(
      (async function* () {
        yield bytes(CHUNK);
        throw new Error('download from the provider broke');
      })(),
    );
    const error = await caught(store.put('jobs/j10/broken.mp4', broken, { contentType: 'video/mp4' }));
    expect((error as Error).message).toBe('download from the provider broke');
    expect(wire.objects.has(`${BUCKET}/jobs/j10/broken.mp4`)).toBe(false);
  });

  it('paths that could escape or confuse a URL are refused before any request', async () => {
    const store = createSupabaseStore(configFor(wire));
    const uploads = wire.uploads;
    for (const bad of ['', '/abs.mp4', 'a/../b.mp4', 'a//b.mp4', 'a?b.mp4', 'a#b.mp4']) {
      expect(await caught(store.put(bad, chunked(bytes(1)), { contentType: 'video/mp4' }))).toMatchObject({ code: 'invalid_storage_path' });
    }
    expect(wire.uploads).toBe(uploads);
  });

  it('the double injects faults from a seeded PRNG: the same seed fails the same uploads', async () => {
    const pattern = async (seed: number) => {
      const faulty = await startStorageWire({ buckets: [{ id: BUCKET }], seed, uploadFailureRate: 0.5, failureStatuses: [500, 503], latencyMs: [0, 3] });
      try {
        const store = createSupabaseStore(configFor(faulty));
        const outcomes: string[] = [];
        for (let i = 0; i < 12; i++) {
          const put = store.put(`jobs/f/${i}.mp4`, chunked(bytes(100)), { contentType: 'video/mp4', contentLength: 100 });
          outcomes.push(await put.then(() => 'ok', (error: AppError) => String(error.status)));
        }
        expect(faulty.failedUploads).toBe(outcomes.filter((o) => o !== 'ok').length);
        return outcomes.join(',');
      } finally {
        await faulty.close();
      }
    };
    const first = await pattern(5);
    expect(first).toMatch(/ok/);
    expect(first).toMatch(/50[03]/);
    expect(await pattern(5)).toBe(first);
  });

  it('an upload into a project without the bucket creates it, private, and fails retryably; the retry stores it', async () => {
    const fresh = await startStorageWire({});
    try {
      const store = createSupabaseStore(configFor(fresh));
      const first = await caught(store.put('jobs/j11/a.mp4', chunked(bytes(100)), { contentType: 'video/mp4' }));
      expect(first).toMatchObject({ code: 'storage_bucket_missing', retryable: true });
      expect(fresh.buckets.get(BUCKET)).toMatchObject({ public: false, fileSizeLimit: BUCKET_SETTINGS.fileSizeLimit, allowedMimeTypes: [...BUCKET_SETTINGS.allowedMimeTypes] });
      await store.put('jobs/j11/a.mp4', chunked(bytes(100)), { contentType: 'video/mp4' });
      await store.put('jobs/j11/b.mp4', chunked(bytes(100)), { contentType: 'video/mp4' });
      expect([...fresh.objects.keys()].sort()).toEqual([`${BUCKET}/jobs/j11/a.mp4`, `${BUCKET}/jobs/j11/b.mp4`]);
    } finally {
      await fresh.close();
    }
  });

  it('ensureBucket creates a missing bucket (private unless STORAGE_PUBLIC_BUCKET) and is idempotent', async () => {
    const fresh = await startStorageWire();
    try {
      const config = configFor(fresh);
      expect(await ensureBucket(config)).toEqual({ created: true });
      expect(fresh.buckets.get(BUCKET)?.public).toBe(false);
      expect(await ensureBucket(config)).toEqual({ created: false });
      expect(fresh.buckets.size).toBe(1);

      const publicConfig = configFor(fresh, { SUPABASE_STORAGE_BUCKET: 'public-videos', STORAGE_PUBLIC_BUCKET: 'true' });
      await Promise.all([ensureBucket(publicConfig), ensureBucket(publicConfig)]);
      expect(fresh.buckets.get('public-videos')?.public).toBe(true);
      expect(fresh.buckets.size).toBe(2);
    } finally {
      await fresh.close();
    }
  });
});

describe('local store (LOCAL_STORAGE_DIR) and serveLocalFile', () => {
  let dir: string;
  let config: Config;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'storage-test-'));
    config = loadConfig({ LOCAL_STORAGE_DIR: path.join(dir, 'store'), AUTH_DEV_KEYS_DIR: path.join(dir, 'dev-auth'), SUPABASE_STORAGE_BUCKET: BUCKET, PUBLIC_BASE_URL: 'http://localhost:3999/' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const get = (pathname: string, headers: Record<string, string> = {}, method = 'GET') =>
    serveLocalFile(config, new Request(`http://localhost:3999${pathname}`, { headers, method }));

  it('put writes atomically: a failing source leaves the previous version and no partial file', async () => {
    const store = createLocalStore(config);
    await store.put('jobs/j1/scene-1.mp4', chunked(bytes(1000, 1)), { contentType: 'video/mp4' });

    const failing = Readable.from(
      (async function* () {
        yield bytes(500, 2);
        throw new Error('source broke');
      })(),
    );
    await expect(store.put('jobs/j1/scene-1.mp4', failing, { contentType: 'video/mp4' })).rejects.toThrow('source broke');
    await expect(store.put('jobs/j1/scene-1.mp4', chunked(bytes(10)), { contentType: 'video/mp4', contentLength: 11 })).rejects.toMatchObject({
      code: 'storage_length_mismatch',
    });

    const folder = path.join(dir, 'store', BUCKET, 'jobs', 'j1');
    expect((await readFile(path.join(folder, 'scene-1.mp4'))).equals(bytes(1000, 1))).toBe(true);
    expect((await readdir(folder)).sort()).toEqual(['.scene-1.mp4.meta.json', 'scene-1.mp4']);
    expect(await store.exists('jobs/j1/scene-1.mp4')).toBe(true);
    expect(await store.exists('jobs/j1/other.mp4')).toBe(false);
    expect(await store.exists('jobs')).toBe(false);
  });

  it("put stops on the caller's AbortSignal with the caller's reason and leaves nothing behind", async () => {
    const store = createLocalStore(config);
    const controller = new AbortController();
    const body = Readable.from(
      (async function* () {
        yield bytes(100);
        controller.abort(new Error('job cancelled'));
        await new Promise(() => undefined);
      })(),
    );
    await expect(store.put('jobs/j3/aborted.mp4', body, { contentType: 'video/mp4', signal: controller.signal })).rejects.toThrow('job cancelled');
    expect(await readdir(path.join(dir, 'store', BUCKET, 'jobs', 'j3'))).toEqual([]);
  });

  /** The path and query of the URL the store hands out for `objectPath`: signed, as a client gets it. */
  const signed = async (objectPath: string) => {
    const url = new URL(await createLocalStore(config).url(objectPath));
    return `${url.pathname}${url.search}`;
  };

  it('url() encodes each segment under /files/<bucket>/ and signs it like Supabase Storage', async () => {
    const store = createLocalStore(config);
    const url = new URL(await store.url('jobs/a b/scene#1.mp4'));
    expect(`${url.origin}${url.pathname}`).toBe(`http://localhost:3999/files/${BUCKET}/jobs/a%20b/scene%231.mp4`);
    const claims = readUrlTokenClaims(url.searchParams.get('token')!);
    expect(claims).toMatchObject({ url: `${BUCKET}/jobs/a b/scene#1.mp4` });
    expect(claims!.exp - claims!.iat).toBe(config.SIGNED_URL_TTL_SECONDS);
    await store.put('jobs/a b/scene#1.mp4', chunked(bytes(64)), { contentType: 'video/mp4' });
    const response = await get(`${url.pathname}${url.search}`);
    expect(response.status).toBe(200);
  });

  it('refuses a missing, forged, expired or borrowed token with Storage\'s own 400; the secret is a private file; a public bucket needs no token', async () => {
    const store = createLocalStore(config);
    await store.put('jobs/j9/final.mp4', chunked(bytes(64)), { contentType: 'video/mp4' });
    await store.put('jobs/j9/other.mp4', chunked(bytes(64)), { contentType: 'video/mp4' });
    const at = `/files/${BUCKET}/jobs/j9/final.mp4`;
    const token = new URL(await store.url('jobs/j9/final.mp4')).searchParams.get('token')!;
    const secret = await readFile(path.join(dir, 'dev-auth', 'storage-url-secret'), 'utf8');
    const expired = signUrlToken({ url: `${BUCKET}/jobs/j9/final.mp4` }, Buffer.from(secret.trim(), 'hex'), 60, Date.now() - 61_000);
    const cases: Array<[string, string, string]> = [
      [at, 'InvalidRequest', "querystring must have required property 'token'"],
      [`${at}?token=${token.slice(0, -2)}xx`, 'InvalidJWT', 'invalid signature'],
      [`${at}?token=abc`, 'InvalidJWT', 'jwt malformed'],
      [`${at}?token=${expired}`, 'InvalidJWT', 'jwt expired'],
      [`/files/${BUCKET}/jobs/j9/other.mp4?token=${token}`, 'InvalidSignature', 'The url do not match the signature'],
    ];
    for (const [target, code, message] of cases) {
      const response = await get(target);
      expect(response.status, target).toBe(400);
      expect(await response.json()).toEqual({ statusCode: '400', code, error: code, message });
    }
    expect((await stat(path.join(dir, 'dev-auth', 'storage-url-secret'))).mode & 0o777).toBe(0o600);
    expect((await get(`${at}?token=${token}`)).status).toBe(200);
    const publicConfig = loadConfig({ LOCAL_STORAGE_DIR: config.LOCAL_STORAGE_DIR, AUTH_DEV_KEYS_DIR: config.AUTH_DEV_KEYS_DIR, SUPABASE_STORAGE_BUCKET: BUCKET, PUBLIC_BASE_URL: 'http://localhost:3999/', STORAGE_PUBLIC_BUCKET: 'true' });
    expect(await createLocalStore(publicConfig).url('jobs/j9/final.mp4')).toBe(`http://localhost:3999${at}`);
    expect((await serveLocalFile(publicConfig, new Request(`http://localhost:3999${at}`))).status).toBe(200);
  });

  it('refuses paths that escape the root, for writes and for serving', async () => {
    const store = createLocalStore(config);
    await writeFile(path.join(dir, 'secret.txt'), 'do not serve');
    await mkdir(path.join(dir, 'store'), { recursive: true });
    for (const bad of ['../secret.txt', '../../secret.txt', '/etc/passwd', 'a/../../x', 'a\\..\\x', '.hidden', 'a//b', '']) {
      await expect(store.put(bad, chunked(bytes(1)), { contentType: 'text/plain' })).rejects.toMatchObject({ code: 'invalid_storage_path' });
    }
    for (const pathname of [`/files/${BUCKET}/..%2F..%2Fsecret.txt`, `/files/${BUCKET}/%2e%2e/%2e%2e/secret.txt`, '/files/..%2Fsecret.txt', `/files/${BUCKET}/jobs/j1/.scene-1.mp4.meta.json`]) {
      // Refused before any file is looked at: a 404, or the 400 of a URL without its token.
      const response = await get(pathname);
      expect([400, 404]).toContain(response.status);
      expect(await response.text()).not.toContain('do not serve');
    }
    expect(await openLocalFile(config, '..', 'secret.txt')).toBeUndefined();
    expect(await openLocalFile(config, BUCKET, '../../secret.txt')).toBeUndefined();
  });

  it('serveLocalFile answers 200, 206 for a byte range, 416 past the end, HEAD without a body, 404 when missing', async () => {
    const store = createLocalStore(config);
    const data = bytes(10_000, 3);
    await store.put('jobs/j2/video.mp4', chunked(data, 4096), { contentType: 'video/mp4', contentLength: data.length });
    const at = await signed('jobs/j2/video.mp4');

    const full = await get(at);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('content-length')).toBe('10000');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await full.arrayBuffer()).equals(data)).toBe(true);

    const part = await get(at, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);

    const open = await get(at, { range: 'bytes=9990-' });
    expect(Buffer.from(await open.arrayBuffer()).equals(data.subarray(9990))).toBe(true);
    const suffix = await get(at, { range: 'bytes=-10' });
    expect(suffix.headers.get('content-range')).toBe('bytes 9990-9999/10000');

    const stale = await get(at, { range: 'bytes=0-9', 'if-range': 'W/"stale"' });
    expect(stale.status).toBe(200);

    const beyond = await get(at, { range: 'bytes=10000-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10000');

    const head = await get(at, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10000');
    expect(head.body).toBeNull();

    expect((await get(await signed('jobs/j2/missing.mp4'))).status).toBe(404);
    expect((await get(at, {}, 'DELETE')).status).toBe(405);

    const opened = await openLocalFile(config, BUCKET, 'jobs/j2/video.mp4');
    expect(opened).toMatchObject({ size: 10_000, contentType: 'video/mp4' });
    const chunks: Buffer[] = [];
    for await (const chunk of opened!.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });
});

describe('the bucket settings', () => {
  it('supabase/config.toml declares the bucket with the same size limit and MIME types as BUCKET_SETTINGS', async () => {
    const toml = await readFile(path.join(import.meta.dirname, '..', 'supabase', 'config.toml'), 'utf8');
    const section = /\n\[storage\.buckets\.explainer-videos\]\n([\s\S]*?)(?=\n\[|$)/.exec(toml)?.[1] ?? '';
    expect(/^file_size_limit = "([^"]+)"/m.exec(section)?.[1]).toBe(BUCKET_SETTINGS.fileSizeLimit);
    const types = /^allowed_mime_types = \[([^\]]*)\]/m.exec(section)?.[1] ?? '';
    expect(types.split(',').map((t) => t.trim().replace(/^"|"$/g, ''))).toEqual([...BUCKET_SETTINGS.allowedMimeTypes]);
  });
});

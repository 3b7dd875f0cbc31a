/**
 * Resumable (TUS) uploads: the Supabase store with the real tus-js-client over a real socket
 * against the Storage double's TUS routes (tests/doubles/storage-tus.ts), which answer as
 * Supabase Storage's @tus/server does.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { RESUMABLE_THRESHOLD_BYTES, TUS_CHUNK_BYTES, encodeUploadMetadata } from '../lib/storage/resumable.js';
import { createSupabaseStore } from '../lib/storage/supabase.js';
import { outcomeOfError } from '../lib/tasks/outcome.js';
import { startStorageWire, type StorageWire } from './doubles/storage-wire.js';
import { caught } from './support/refusals.js';

const BUCKET = 'explainer-test';
const SMALL_BUCKET = 'small-test';
const MB = 1024 * 1024;
const FAST_RETRIES = [10, 20, 40];

function bytes(n: number, seed = 5): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

/** A stream of `data` in pieces (as a download or ffmpeg delivers it), never the whole at once. */
function streamOf(data: Buffer, piece = 256 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += piece) yield data.subarray(at, at + piece);
    })(),
  );
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('resumable uploads: real tus-js-client against the Storage double', () => {
  let wire: StorageWire;
  let config: Config;
  const store = () => createSupabaseStore(config, { tusRetryDelaysMs: FAST_RETRIES });
  const env = (bucket: string) => ({ SUPABASE_URL: wire.url, SUPABASE_SERVICE_ROLE_KEY: wire.serviceKey, SUPABASE_STORAGE_BUCKET: bucket });

  beforeAll(async () => {
    wire = await startStorageWire({
      buckets: [{ id: BUCKET, fileSizeLimit: '512MiB', allowedMimeTypes: ['video/mp4', 'application/json'] }, { id: SMALL_BUCKET, fileSizeLimit: '10MB' }],
      seed: 3,
    });
    config = loadConfig(env(BUCKET));
  });
  afterAll(async () => {
    await wire.close();
  });
  afterEach(() => {
    wire.setBehavior({ tusPatchFaults: [], globalFileSizeLimit: undefined });
  });

  it('an object above 6 MB of known length declares it up front and goes in exact 6 MB chunks', async () => {
    const data = bytes(20 * MB + 123);
    const creates = wire.tus.creates;
    const patches = wire.tus.patches.length;
    await store().put('jobs/t1/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length });
    expect(wire.tus.creates).toBe(creates + 1);
    expect(wire.tus.declaredLengths.at(-1)).toBe(data.length);
    expect(wire.tus.patches.slice(patches)).toEqual([TUS_CHUNK_BYTES, TUS_CHUNK_BYTES, TUS_CHUNK_BYTES, 2 * MB + 123]);
    const stored = wire.objects.get(`${BUCKET}/jobs/t1/final.mp4`);
    expect(stored).toMatchObject({ size: data.length, contentType: 'video/mp4', sha256: sha256(data), writes: 1 });
    expect(stored?.data?.equals(data)).toBe(true);
  });

  it('an object of unknown length defers it, also when it ends exactly on a chunk boundary', async () => {
    for (const [name, size] of [['boundary', 2 * TUS_CHUNK_BYTES], ['odd', 7 * MB + 9], ['tiny', 100]] as const) {
      const data = bytes(size, 9);
      await store().put(`jobs/t2/${name}.mp4`, streamOf(data), { contentType: 'video/mp4' });
      expect(wire.tus.declaredLengths.at(-1)).toBeUndefined();
      expect(wire.objects.get(`${BUCKET}/jobs/t2/${name}.mp4`)).toMatchObject({ size, sha256: sha256(data) });
    }
  });

  it('6 MB and less of known length keeps the standard upload', async () => {
    const creates = wire.tus.creates;
    const data = bytes(RESUMABLE_THRESHOLD_BYTES);
    await store().put('jobs/t3/six.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length });
    expect(wire.tus.creates).toBe(creates);
    expect(wire.objects.get(`${BUCKET}/jobs/t3/six.mp4`)?.sha256).toBe(sha256(data));
  });

  it('a connection dropped mid-chunk resumes from the offset the server reports, not from zero', async () => {
    const data = bytes(20 * MB, 11);
    const next = wire.tus.patches.length + 1;
    const heads = wire.tus.heads;
    // The second chunk's connection breaks after 1 MB of it arrived; the server keeps that 1 MB.
    wire.setBehavior({ tusPatchFaults: [{ patch: next + 1, dropAfterBytes: 1 * MB }] });
    const before = wire.bytesReceived;
    await store().put('jobs/t4/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length });
    const received = wire.bytesReceived - before;
    expect(wire.tus.heads).toBeGreaterThan(heads);
    // Whole object once, plus at most what was resent of one chunk.
    expect(received).toBeGreaterThanOrEqual(data.length);
    expect(received).toBeLessThanOrEqual(data.length + TUS_CHUNK_BYTES);
    expect(wire.objects.get(`${BUCKET}/jobs/t4/final.mp4`)).toMatchObject({ size: data.length, sha256: sha256(data) });
  });

  it('a chunk whose PATCH stalls mid-request is cut off by its own stall timer and resent from the server offset, within the step', async () => {
    // Idle timeout 1.2 s for the whole upload, so a stall timer of 0.6 s per request.
    const quick = createSupabaseStore(loadConfig({ ...env(BUCKET), REQUEST_TIMEOUT_MS: '1200' }), { tusRetryDelaysMs: FAST_RETRIES });
    const data = bytes(14 * MB, 17);
    const next = wire.tus.patches.length + 1;
    const { creates, heads, hangs } = wire.tus;
    // The second chunk's PATCH stops being read after 1 MB (kept) and is never answered.
    wire.setBehavior({ tusPatchFaults: [{ patch: next + 1, hangAfterBytes: 1 * MB }] });
    const before = wire.bytesReceived;
    // Without the stall timer the idle timer fails the whole upload (storage_timeout) instead.
    await quick.put('jobs/t13/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length });
    expect(wire.tus.hangs).toBe(hangs + 1);
    expect(wire.tus.heads).toBeGreaterThan(heads);
    expect(wire.tus.creates).toBe(creates + 1);
    expect(wire.bytesReceived - before).toBeLessThanOrEqual(data.length + TUS_CHUNK_BYTES);
    expect(wire.objects.get(`${BUCKET}/jobs/t13/final.mp4`)).toMatchObject({ size: data.length, sha256: sha256(data) });
  });

  it('a chunk that stalls on every try, nothing of it read, gives up after the bounded retries, as a retryable error naming the stall', async () => {
    const quick = createSupabaseStore(loadConfig({ ...env(BUCKET), REQUEST_TIMEOUT_MS: '1200' }), { tusRetryDelaysMs: FAST_RETRIES });
    const next = wire.tus.patches.length + 1;
    wire.setBehavior({ tusPatchFaults: Array.from({ length: 10 }, (_, i) => ({ patch: next + i, hangAfterBytes: 0 })) });
    const error = await caught(quick.put('jobs/t14/final.mp4', streamOf(bytes(8 * MB)), { contentType: 'video/mp4', contentLength: 8 * MB }));
    expect(error).toMatchObject({ code: 'storage_unreachable', retryable: true });
    expect((error as Error).message).toMatch(/PATCH made no progress for 600 ms/);
    expect(wire.tus.patches.length - next + 1).toBe(1 + FAST_RETRIES.length);
    expect(wire.objects.has(`${BUCKET}/jobs/t14/final.mp4`)).toBe(false);
  });

  it('a chunk answered 500 is sent again within the step, and the object completes', async () => {
    const data = bytes(13 * MB, 13);
    const next = wire.tus.patches.length + 1;
    wire.setBehavior({ tusPatchFaults: [{ patch: next + 1, status: 500 }] });
    const before = wire.bytesReceived;
    await store().put('jobs/t5/final.mp4', streamOf(data), { contentType: 'video/mp4' });
    expect(wire.bytesReceived - before).toBeLessThanOrEqual(data.length + TUS_CHUNK_BYTES);
    expect(wire.objects.get(`${BUCKET}/jobs/t5/final.mp4`)?.sha256).toBe(sha256(data));
  });

  it('a chunk that keeps failing gives up after the bounded retries, as a retryable error keeping the status', async () => {
    const data = bytes(8 * MB);
    const next = wire.tus.patches.length + 1;
    wire.setBehavior({ tusPatchFaults: Array.from({ length: 10 }, (_, i) => ({ patch: next + i, status: 503 })) });
    const error = await caught(store().put('jobs/t6/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length }));
    expect(error).toMatchObject({ code: 'storage_unavailable', status: 503, retryable: true });
    // The first try and one per delay.
    expect(wire.tus.patches.length - next + 1).toBe(1 + FAST_RETRIES.length);
    expect(wire.objects.has(`${BUCKET}/jobs/t6/final.mp4`)).toBe(false);
  });

  it("an object over the bucket's size limit is refused before any byte is sent, as a non-retryable error; the step fails", async () => {
    const sized = createSupabaseStore(loadConfig({ SUPABASE_URL: wire.url, SUPABASE_SERVICE_ROLE_KEY: wire.serviceKey, SUPABASE_STORAGE_BUCKET: SMALL_BUCKET }), { tusRetryDelaysMs: FAST_RETRIES });
    const data = bytes(20 * MB);
    const patches = wire.tus.patches.length;
    const error = await caught(sized.put('jobs/t7/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length }));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'storage_object_too_large', status: 413, retryable: false });
    expect((error as Error).message).toMatch(/20971520 bytes exceeds the bucket's size limit/);
    expect(wire.tus.patches.length).toBe(patches);
    expect(outcomeOfError(error)).toMatchObject({ type: 'failed', code: 'storage_object_too_large' });
  });

  it('of unknown length, it is refused (non-retryable) at the chunk that crosses the limit, and nothing is stored', async () => {
    const sized = createSupabaseStore(loadConfig({ SUPABASE_URL: wire.url, SUPABASE_SERVICE_ROLE_KEY: wire.serviceKey, SUPABASE_STORAGE_BUCKET: SMALL_BUCKET }), { tusRetryDelaysMs: FAST_RETRIES });
    const data = bytes(20 * MB);
    const before = wire.bytesReceived;
    const error = await caught(sized.put('jobs/t8/final.mp4', streamOf(data), { contentType: 'video/mp4' }));
    expect(error).toMatchObject({ code: 'storage_object_too_large', status: 413, retryable: false });
    expect(wire.bytesReceived - before).toBeLessThanOrEqual(2 * TUS_CHUNK_BYTES);
    expect(wire.objects.has(`${SMALL_BUCKET}/jobs/t8/final.mp4`)).toBe(false);
  });

  it("the project's global limit (Free plan: 50 MB) caps a bucket that allows more", async () => {
    wire.setBehavior({ globalFileSizeLimit: 50 * 1000 * 1000 });
    const data = bytes(60 * MB);
    const error = await caught(store().put('jobs/t9/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length }));
    expect(error).toMatchObject({ code: 'storage_object_too_large', retryable: false });
  });

  it("a type the bucket does not allow, or a wrong key, is refused as Supabase does, not retried", async () => {
    const creates = wire.tus.creates;
    const typed = await caught(store().put('jobs/t10/x.webm', streamOf(bytes(100)), { contentType: 'video/webm' }));
    expect(typed).toMatchObject({ code: 'storage_rejected', status: 415, retryable: false });
    expect((typed as Error).message).toMatch(/mime type video\/webm is not supported/);
    const badKey = createSupabaseStore(loadConfig({ SUPABASE_URL: wire.url, SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_wrong', SUPABASE_STORAGE_BUCKET: BUCKET }), { tusRetryDelaysMs: FAST_RETRIES });
    expect(await caught(badKey.put('jobs/t10/y.mp4', streamOf(bytes(100)), { contentType: 'video/mp4' }))).toMatchObject({ status: 401, retryable: false });
    expect(wire.tus.creates).toBe(creates);
  });

  it('an upload that expires mid-way (PATCH answered 410) fails the step retryably as a lost upload, not as a refusal', async () => {
    const data = bytes(14 * MB, 19);
    const next = wire.tus.patches.length + 1;
    wire.setBehavior({ tusPatchFaults: [{ patch: next, thenExpire: true }] });
    const error = await caught(store().put('jobs/t15/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length }));
    expect(error).toMatchObject({ code: 'storage_upload_lost', retryable: true });
    expect((error as Error).message).toMatch(/\(410\): The file for this url no longer exists/);
    expect(wire.objects.has(`${BUCKET}/jobs/t15/final.mp4`)).toBe(false);
  });

  it('an upload found expired when resuming (HEAD 410) is lost too: tus starts a new one, which the stream cannot rewind for', async () => {
    const data = bytes(14 * MB, 23);
    const next = wire.tus.patches.length + 1;
    const creates = wire.tus.creates;
    wire.setBehavior({ tusPatchFaults: [{ patch: next + 1, dropAfterBytes: 1 * MB, thenExpire: true }] });
    const error = await caught(store().put('jobs/t16/final.mp4', streamOf(data), { contentType: 'video/mp4', contentLength: data.length }));
    expect(error).toMatchObject({ code: 'storage_upload_lost', retryable: true });
    expect((error as Error).message).toMatch(/resume at byte 0/);
    // tus-js-client answers a 4xx HEAD by creating a fresh upload (lib/upload.js _resumeUpload).
    expect(wire.tus.creates).toBe(creates + 2);
    expect(wire.objects.has(`${BUCKET}/jobs/t16/final.mp4`)).toBe(false);
  });

  it("the caller's AbortSignal stops a resumable upload with the caller's reason, and releases the source", async () => {
    const controller = new AbortController();
    const body = Readable.from(
      (async function* () {
        yield bytes(7 * MB);
        controller.abort(new Error('job cancelled'));
        await new Promise(() => undefined);
      })(),
    );
    const error = await caught(store().put('jobs/t11/x.mp4', body, { contentType: 'video/mp4', signal: controller.signal }));
    expect((error as Error).message).toBe('job cancelled');
    expect(body.destroyed).toBe(true);
  });

  it("a source that fails mid-upload surfaces its own error and leaves no object", async () => {
    const broken = Readable.from(
      (async function* () {
        yield bytes(7 * MB);
        throw new Error('download from the provider broke');
      })(),
    );
    const error = await caught(store().put('jobs/t12/x.mp4', broken, { contentType: 'video/mp4' }));
    expect((error as Error).message).toBe('download from the provider broke');
    expect(wire.objects.has(`${BUCKET}/jobs/t12/x.mp4`)).toBe(false);
  });
});

describe('the Storage double speaks TUS as Supabase Storage does', () => {
  let wire: StorageWire;
  let auth: Record<string, string>;
  const endpoint = () => `${wire.url}/storage/v1/upload/resumable`;

  beforeAll(async () => {
    wire = await startStorageWire({ buckets: [{ id: BUCKET }] });
    auth = { authorization: `Bearer ${wire.serviceKey}`, apikey: wire.serviceKey };
  });
  afterAll(async () => {
    await wire.close();
  });

  async function create(extra: Record<string, string> = {}): Promise<Response> {
    return fetch(endpoint(), {
      method: 'POST',
      headers: {
        ...auth,
        'tus-resumable': '1.0.0',
        'upload-length': '10',
        'upload-metadata': encodeUploadMetadata({ bucketName: BUCKET, objectName: 'raw/a.mp4', contentType: 'video/mp4' }),
        ...extra,
      },
    });
  }

  it('creates with 201 and a Location of base64url(bucket/object/version); HEAD answers the offset; PATCH advances it', async () => {
    const created = await create();
    expect(created.status).toBe(201);
    expect(created.headers.get('tus-resumable')).toBe('1.0.0');
    const location = created.headers.get('location')!;
    expect(location.startsWith(`${endpoint()}/`)).toBe(true);
    const id = Buffer.from(location.slice(endpoint().length + 1), 'base64url').toString();
    expect(id).toMatch(new RegExp(`^${BUCKET}/raw/a\\.mp4/[0-9a-f-]{36}$`));

    const head = await fetch(location, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    expect([head.status, head.headers.get('upload-offset'), head.headers.get('upload-length'), head.headers.get('cache-control')]).toEqual([200, '0', '10', 'no-store']);

    const patch = (offset: number, body: Buffer, type = 'application/offset+octet-stream') =>
      fetch(location, { method: 'PATCH', headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': type }, body: new Uint8Array(body) });
    const first = await patch(0, bytes(4));
    expect([first.status, first.headers.get('upload-offset')]).toEqual([204, '4']);
    const conflict = await patch(0, bytes(4));
    expect([conflict.status, await conflict.text()]).toEqual([409, 'Upload-Offset conflict\n']);
    const badType = await patch(4, bytes(6), 'application/octet-stream');
    expect([badType.status, await badType.text()]).toEqual([400, 'Invalid content-type\n']);
    const tooMuch = await patch(4, bytes(7));
    expect([tooMuch.status, await tooMuch.text()]).toEqual([413, 'Maximum size exceeded\n']);
    const last = await patch(4, bytes(6));
    expect([last.status, last.headers.get('upload-offset'), last.headers.get('tus-complete')]).toEqual([204, '10', '1']);
    expect(wire.objects.get(`${BUCKET}/raw/a.mp4`)?.size).toBe(10);
  });

  it('refuses as tus-node-server does: no Tus-Resumable (412), no length (400), bad metadata (400), unknown upload (404), no bucket (404)', async () => {
    const noVersion = await fetch(endpoint(), { method: 'POST', headers: { ...auth, 'upload-length': '1' } });
    expect([noVersion.status, await noVersion.text()]).toEqual([412, 'Tus-Resumable Required\n']);
    const noLength = await create({ 'upload-length': '' });
    expect(noLength.status).toBe(400);
    const bothMissing = await fetch(endpoint(), { method: 'POST', headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-metadata': 'bucketName YQ==' } });
    expect([bothMissing.status, await bothMissing.text()]).toEqual([400, 'Upload-Length or Upload-Defer-Length header required\n']);
    const badMetadata = await create({ 'upload-metadata': 'a YQ==,a YQ==' });
    expect([badMetadata.status, (await badMetadata.text()).startsWith('Upload-Metadata is invalid')]).toEqual([400, true]);
    const unknown = await fetch(`${endpoint()}/${Buffer.from(`${BUCKET}/x/y`).toString('base64url')}`, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    expect(unknown.status).toBe(404);
    const noBucket = await create({ 'upload-metadata': encodeUploadMetadata({ bucketName: 'nope', objectName: 'a.mp4' }) });
    expect([noBucket.status, await noBucket.text()]).toEqual([404, 'Bucket not found']);
  });

  it('412 without Tus-Resumable (or with an empty one): the exact body, the version, a text type, nothing processed', async () => {
    for (const version of [undefined, '']) {
      const res = await fetch(endpoint(), { method: 'POST', headers: { ...auth, 'upload-length': '1', ...(version === undefined ? {} : { 'tus-resumable': version }) } });
      expect([res.status, await res.text()]).toEqual([412, 'Tus-Resumable Required\n']);
      expect([res.headers.get('tus-resumable'), res.headers.get('content-type'), res.headers.get('content-length')]).toEqual(['1.0.0', 'text/plain;charset=UTF-8', '23']);
    }
  });

  it("OPTIONS lists the S3 store's extensions: termination and expiration, no checksum", async () => {
    const res = await fetch(endpoint(), { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-extension')).toBe('creation,creation-with-upload,creation-defer-length,termination,expiration');
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, HEAD, PATCH, OPTIONS, DELETE');
  });

  it('Upload-Checksum is ignored, never a 460: @tus/server has no checksum extension', async () => {
    const location = (await create({ 'upload-metadata': encodeUploadMetadata({ bucketName: BUCKET, objectName: 'raw/c.mp4' }) })).headers.get('location')!;
    const res = await fetch(location, {
      method: 'PATCH',
      headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'upload-checksum': `sha1 ${Buffer.from('not the sum').toString('base64')}` },
      body: new Uint8Array(bytes(4)),
    });
    expect([res.status, res.headers.get('upload-offset')]).toEqual([204, '4']);
  });

  it('DELETE terminates an unfinished upload (then 404), refuses a finished one (400), and 404s an unknown one; PUT is not found', async () => {
    const head = (location: string) => fetch(location, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    const del = (location: string) => fetch(location, { method: 'DELETE', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    const unfinished = (await create({ 'upload-metadata': encodeUploadMetadata({ bucketName: BUCKET, objectName: 'raw/t.mp4' }) })).headers.get('location')!;
    const removed = await del(unfinished);
    expect([removed.status, removed.headers.get('tus-resumable')]).toEqual([204, '1.0.0']);
    const gone = await head(unfinished);
    expect(gone.status).toBe(404);
    expect([(await del(unfinished)).status]).toEqual([404]);

    const finished = (await create({ 'upload-length': '2', 'upload-metadata': encodeUploadMetadata({ bucketName: BUCKET, objectName: 'raw/f.mp4' }) })).headers.get('location')!;
    await fetch(finished, { method: 'PATCH', headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: new Uint8Array(bytes(2)) });
    const whole = await head(finished);
    expect([whole.status, whole.headers.get('upload-offset'), whole.headers.get('upload-length')]).toEqual([200, '2', '2']);
    const refused = await del(finished);
    expect([refused.status, await refused.text()]).toEqual([400, 'Cannot terminate an already completed upload']);

    const put = await fetch(finished, { method: 'PUT', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    expect([put.status, await put.text()]).toEqual([404, 'Not found\n']);
  });

  it('an upload past its expiry answers HEAD and PATCH with 410; one never created, 404', async () => {
    const location = (await create({ 'upload-metadata': encodeUploadMetadata({ bucketName: BUCKET, objectName: 'raw/e.mp4' }) })).headers.get('location')!;
    wire.setBehavior({ tusUploadExpiryMs: 1 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const head = await fetch(location, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
      expect(head.status).toBe(410);
      const patch = await fetch(location, { method: 'PATCH', headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: new Uint8Array(bytes(1)) });
      expect([patch.status, await patch.text()]).toEqual([410, 'The file for this url no longer exists\n']);
    } finally {
      wire.setBehavior({ tusUploadExpiryMs: 60 * 60 * 1000 });
    }
    const never = await fetch(`${endpoint()}/${Buffer.from(`${BUCKET}/x/never`).toString('base64url')}`, {
      method: 'PATCH',
      headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(bytes(1)),
    });
    expect([never.status, await never.text()]).toEqual([404, 'The file for this url was not found\n']);
  });

  it('defers the length until the last PATCH declares it', async () => {
    const deferred = await fetch(endpoint(), {
      method: 'POST',
      headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-defer-length': '1', 'upload-metadata': encodeUploadMetadata({ bucketName: BUCKET, objectName: 'raw/d.mp4' }) },
    });
    const location = deferred.headers.get('location')!;
    const head = await fetch(location, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });
    expect(head.headers.get('upload-defer-length')).toBe('1');
    const last = await fetch(location, {
      method: 'PATCH',
      headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'upload-length': '3', 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(bytes(3)),
    });
    expect([last.status, last.headers.get('upload-offset')]).toEqual([204, '3']);
    expect(wire.objects.get(`${BUCKET}/raw/d.mp4`)).toMatchObject({ size: 3, contentType: 'application/octet-stream', cacheControl: 'no-cache' });
  });
});

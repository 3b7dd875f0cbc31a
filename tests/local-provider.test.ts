/**
 * The local Veo stand-in, end to end through the real bundled ffmpeg: operation names that
 * survive a restart, the delay, the safety marker, and clips that are real MP4s of the asked
 * length and shape. Also the two media helpers it stands on: runFfmpeg and the MP4 reader.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, type Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { ffmpegFilters, ffmpegPath, runFfmpeg, type FfmpegProgress } from '../lib/media/ffmpeg.js';
import { looksLikeMp4, readMp4Info } from '../lib/media/mp4.js';
import { BLOCKED_MARKER, escapeFilterValue } from '../lib/providers/local-render.js';
import { FAILS_ONCE_MARKER, RESTARTS_ONCE_MARKER, createLocalProvider, localVeoDir } from '../lib/providers/local.js';
import type { AspectRatio, OperationState, VideoSource } from '../lib/providers/types.js';

const DELAY_MS = 5000;
const T0 = Date.UTC(2026, 0, 1);

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'local-provider-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Each test gets its own storage dir, so cached renders never leak between tests. */
async function configFor(env: Record<string, string> = {}): Promise<Config> {
  const dir = await mkdtemp(path.join(root, 'case-'));
  return loadConfig({ LOCAL_VIDEO_DELAY_MS: String(DELAY_MS), LOCAL_STORAGE_DIR: path.join(dir, 'storage'), ...env });
}

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function videoOf(state: OperationState): VideoSource {
  if (!state.done || !('video' in state)) throw new Error(`expected a finished video, got ${JSON.stringify(state)}`);
  return state.video;
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe('local provider', () => {
  test.each<[AspectRatio, number, number, number]>([
    ['16:9', 4, 640, 360],
    ['9:16', 6, 360, 640],
  ])('%s, %ds: not done before the delay, then a real MP4 of that length and shape', async (aspectRatio, seconds, width, height) => {
    const config = await configFor();
    const time = clock();
    const provider = createLocalProvider(config, { now: time.now });
    expect(provider.name).toBe('local');

    const { operationName } = await provider.startVideo({ prompt: 'How photosynthesis turns light into sugar', aspectRatio, durationSeconds: seconds });
    expect(operationName).toMatch(/^local\/operations\/[0-9a-f-]{36}\.[A-Za-z0-9_-]+$/);
    // Starting renders nothing: no clip exists until someone opens it.
    await expect(readdir(localVeoDir(config))).rejects.toThrow();

    time.advance(DELAY_MS - 1);
    expect(await provider.getVideoOperation(operationName)).toEqual({ done: false });
    time.advance(1);
    const source = videoOf(await provider.getVideoOperation(operationName));
    expect(source).toMatchObject({ kind: 'uri', mimeType: 'video/mp4' });
    expect(source.kind === 'uri' && source.uri.startsWith('local-veo://')).toBe(true);

    const download = await provider.openVideo(source);
    const bytes = await readAll(download.body);
    expect(download.contentType).toBe('video/mp4');
    expect(download.contentLength).toBe(bytes.length);
    expect(looksLikeMp4(bytes.subarray(0, 12))).toBe(true);
    const info = await readMp4Info(bytes);
    expect(info.hasVideo).toBe(true);
    expect(info.width).toBe(width);
    expect(info.height).toBe(height);
    expect(info.durationSeconds).toBeGreaterThan(seconds - 0.1);
    expect(info.durationSeconds).toBeLessThan(seconds + 0.1);
    expect(info.brands).toContain('isom');
    // Small enough to be a stand-in, big enough to be real frames.
    expect(bytes.length).toBeGreaterThan(5_000);
    expect(bytes.length).toBeLessThan(2_000_000);
  });

  test('a prompt with the blocked marker ends as safety_filtered, after the same delay', async () => {
    const time = clock();
    const provider = createLocalProvider(await configFor(), { now: time.now });
    const { operationName } = await provider.startVideo({ prompt: `A lab accident ${BLOCKED_MARKER}`, aspectRatio: '16:9', durationSeconds: 4 });
    expect(await provider.getVideoOperation(operationName)).toEqual({ done: false });
    time.advance(DELAY_MS);
    const state = await provider.getVideoOperation(operationName);
    expect(state.done && 'failure' in state && state.failure.code).toBe('safety_filtered');
    expect(state.done && 'failure' in state && state.failure.message).toMatch(/safety/i);
  });

  test('a prompt with the fails-once marker ends in an operation error the first time only, even across instances', async () => {
    const time = clock();
    const config = await configFor();
    const prompt = `Tides and the moon ${FAILS_ONCE_MARKER}`;
    const first = await createLocalProvider(config, { now: time.now }).startVideo({ prompt, aspectRatio: '16:9', durationSeconds: 2 });
    // Another prompt with the marker has its own first time.
    const other = await createLocalProvider(config, { now: time.now }).startVideo({ prompt: `Eclipses ${FAILS_ONCE_MARKER}`, aspectRatio: '16:9', durationSeconds: 2 });
    // A restart (a new instance) starting the same prompt again: the retry.
    const retried = await createLocalProvider(config, { now: time.now }).startVideo({ prompt, aspectRatio: '16:9', durationSeconds: 2 });
    time.advance(DELAY_MS);
    const provider = createLocalProvider(config, { now: time.now });
    for (const name of [first.operationName, other.operationName]) {
      // The same answer on every poll of the failed operation.
      for (let poll = 0; poll < 2; poll++) {
        const state = await provider.getVideoOperation(name);
        expect(state.done && 'failure' in state && state.failure).toEqual({ code: 'provider_error', message: expect.stringContaining(FAILS_ONCE_MARKER) });
      }
    }
    const info = await readMp4Info(await readAll((await provider.openVideo(videoOf(await provider.getVideoOperation(retried.operationName)))).body));
    expect(Math.abs(info.durationSeconds - 2)).toBeLessThan(0.1);
  });

  test("a prompt with the restarts-once marker ends its first generation in a failure on the provider's side, which the service may make again", async () => {
    const time = clock();
    const config = await configFor();
    const prompt = `Thunder ${RESTARTS_ONCE_MARKER}`;
    const provider = createLocalProvider(config, { now: time.now });
    const first = await provider.startVideo({ prompt, aspectRatio: '16:9', durationSeconds: 2 });
    const again = await provider.startVideo({ prompt, aspectRatio: '16:9', durationSeconds: 2 });
    time.advance(DELAY_MS);
    const state = await provider.getVideoOperation(first.operationName);
    expect(state.done && 'failure' in state && state.failure).toEqual({ code: 'provider_error', message: expect.stringContaining(RESTARTS_ONCE_MARKER), restartable: true });
    expect(await provider.getVideoOperation(again.operationName)).toMatchObject({ done: true, video: { kind: 'uri' } });
  });

  test('an operation started by one instance is polled and opened by another (a restart, another host)', async () => {
    const time = clock();
    const first = createLocalProvider(await configFor(), { now: time.now });
    const { operationName } = await first.startVideo({ prompt: 'Mitosis in four steps', aspectRatio: '9:16', durationSeconds: 2 });

    // A fresh process: new instance, different storage dir, only the stored name in hand.
    const second = createLocalProvider(await configFor(), { now: () => T0 + DELAY_MS });
    const source = videoOf(await second.getVideoOperation(operationName));
    const info = await readMp4Info(await readAll((await second.openVideo(source)).body));
    expect([info.width, info.height]).toEqual([360, 640]);
    expect(Math.abs(info.durationSeconds - 2)).toBeLessThan(0.1);
  });

  test('a clip renders once: concurrent and later opens share one file and leave no temp files', async () => {
    const config = await configFor({ LOCAL_VIDEO_DELAY_MS: '0' });
    const a = createLocalProvider(config);
    const b = createLocalProvider(config);
    const { operationName } = await a.startVideo({ prompt: 'The water cycle', aspectRatio: '16:9', durationSeconds: 2 });
    const source = videoOf(await a.getVideoOperation(operationName));

    const [one, two] = await Promise.all([a.openVideo(source), b.openVideo(source)]);
    const [bytesOne, bytesTwo] = await Promise.all([readAll(one.body), readAll(two.body)]);
    expect(bytesOne.equals(bytesTwo)).toBe(true);
    const again = await readAll((await a.openVideo(source)).body);
    expect(again.equals(bytesOne)).toBe(true);

    const files = await readdir(path.join(localVeoDir(config), 'videos'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.mp4$/);
  });

  test('an open that is aborted rejects without breaking the render for others', async () => {
    const provider = createLocalProvider(await configFor({ LOCAL_VIDEO_DELAY_MS: '0' }));
    const { operationName } = await provider.startVideo({ prompt: 'Plate tectonics', aspectRatio: '16:9', durationSeconds: 2 });
    const source = videoOf(await provider.getVideoOperation(operationName));
    const controller = new AbortController();
    const aborted = provider.openVideo(source, controller.signal);
    const patient = provider.openVideo(source);
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    const info = await readMp4Info(await readAll((await patient).body));
    expect(info.hasVideo).toBe(true);
  });

  test('names and sources it did not make are refused, as are requests Veo would refuse', async () => {
    const provider = createLocalProvider(await configFor());
    await expectAppError(provider.getVideoOperation('models/veo-3/operations/abc'), 'operation_not_found');
    await expectAppError(provider.getVideoOperation('local/operations/not-a-uuid.e30'), 'operation_not_found');
    const { operationName } = await provider.startVideo({ prompt: 'Gravity', aspectRatio: '16:9', durationSeconds: 4 });
    await expectAppError(provider.getVideoOperation(`${operationName.slice(0, -4)}@@@@`), 'operation_not_found');
    await expectAppError(provider.openVideo({ kind: 'uri', uri: 'https://example.com/video.mp4' }), 'unsupported_uri');
    await expectAppError(provider.startVideo({ prompt: '  ', aspectRatio: '16:9', durationSeconds: 4 }), 'provider_rejected');
    await expectAppError(provider.startVideo({ prompt: 'Gravity', aspectRatio: '16:9', durationSeconds: 0 }), 'provider_rejected');
    await expectAppError(provider.startVideo({ prompt: 'Gravity', aspectRatio: '16:9', durationSeconds: 2.5 }), 'provider_rejected');
  });

  test('a very long prompt still yields a bounded name', async () => {
    const provider = createLocalProvider(await configFor());
    const { operationName } = await provider.startVideo({ prompt: 'Entropy '.repeat(2000), aspectRatio: '16:9', durationSeconds: 4 });
    expect(operationName.length).toBeLessThan(600);
  });

  test('filter values are escaped for both the option and the graph parser', () => {
    expect(escapeFilterValue("/a b/it's:x,y[1];z")).toBe("/a b/it\\\\\\'s\\\\:x\\,y\\[1\\]\\;z");
  });
});

describe('runFfmpeg', () => {
  test('reports progress up to the end and writes the output', async () => {
    const out = path.join(root, 'progress.mp4');
    const reports: FfmpegProgress[] = [];
    await runFfmpeg(
      ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', out],
      { onProgress: (p) => reports.push(p) },
    );
    const last = reports.at(-1);
    expect(last?.done).toBe(true);
    expect(last?.outTimeSeconds).toBeGreaterThan(1.5);
    expect(last?.frame).toBe(20);
    expect(reports.slice(0, -1).every((p) => !p.done)).toBe(true);
    expect((await readMp4Info(out)).width).toBe(160);
  });

  test('a failing command rejects with the tail of stderr', async () => {
    const err = await expectAppError(
      runFfmpeg(['-f', 'lavfi', '-i', 'no_such_source_filter', '-f', 'null', '-']),
      'ffmpeg_failed',
    );
    expect(err.message).toMatch(/exited with code \d+: .*no_such_source_filter/s);
  });

  test('abort kills the child and rejects with the reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    // An endless source: only the abort can end this run.
    const run = runFfmpeg(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-f', 'null', '-'], {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('enough')),
    });
    await expect(run).rejects.toThrow('enough');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a missing binary is named as such', async () => {
    await expectAppError(runFfmpeg(['-version'], { binary: path.join(root, 'no-ffmpeg-here') }), 'ffmpeg_missing');
  });

  test('ffmpegPath prefers FFMPEG_PATH, else the bundled build; the filter list is read from the build', async () => {
    expect(ffmpegPath({ FFMPEG_PATH: '/opt/ffmpeg' })).toBe('/opt/ffmpeg');
    expect(path.basename(ffmpegPath())).toMatch(/^ffmpeg(\.exe)?$/);
    const filters = await ffmpegFilters();
    for (const name of ['scale', 'setpts', 'hflip', 'crop', 'concat']) expect(filters.has(name)).toBe(true);
    expect(filters.has('no_such_filter')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-built boxes, for what ffmpeg never writes: version 1 headers and 64-bit box sizes.

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

function largeBox(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1, 0);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(16 + body.length), 8);
  return Buffer.concat([header, body]);
}

function mvhdV1(timescale: number, duration: number): Buffer {
  const body = Buffer.alloc(4 + 28 + 80);
  body.writeUInt8(1, 0);
  body.writeUInt32BE(timescale, 4 + 16);
  body.writeBigUInt64BE(BigInt(duration), 4 + 20);
  return box('mvhd', body);
}

function tkhdV1(width: number, height: number): Buffer {
  const body = Buffer.alloc(4 + 32 + 8 + 4 + 4 + 36 + 8);
  body.writeUInt8(1, 0);
  body.writeUInt32BE(width * 65536, body.length - 8);
  body.writeUInt32BE(height * 65536, body.length - 4);
  return box('tkhd', body);
}

function trak(handler: string, width: number, height: number): Buffer {
  const hdlr = Buffer.alloc(4 + 4 + 4 + 12 + 1);
  hdlr.write(handler, 8, 'latin1');
  return box('trak', tkhdV1(width, height), box('mdia', box('hdlr', hdlr)));
}

function topLevelTypes(bytes: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    types.push(bytes.toString('latin1', at + 4, at + 8));
    at += size === 1 ? Number(bytes.readBigUInt64BE(at + 8)) : size;
  }
  return types;
}

describe('readMp4Info', () => {
  /** ffmpeg without +faststart writes moov last. */
  let moovLast: string;

  beforeAll(async () => {
    moovLast = path.join(root, 'moov-last.mp4');
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', moovLast]);
  });

  test('a file with moov after mdat (no faststart) is read from disk', async () => {
    const file = moovLast;
    const bytes = await readFile(file);
    const types = topLevelTypes(bytes);
    expect(types.indexOf('moov')).toBeGreaterThan(types.indexOf('mdat'));
    const info = await readMp4Info(file);
    expect(info).toMatchObject({ width: 320, height: 240, hasVideo: true, hasAudio: false });
    expect(Math.abs(info.durationSeconds - 3)).toBeLessThan(0.05);
  });

  test('version 1 mvhd/tkhd, 64-bit box sizes and moov at the end', async () => {
    const ftyp = box('ftyp', Buffer.from('mp42'), Buffer.alloc(4), Buffer.from('isommp42'));
    const mdat = largeBox('mdat', Buffer.alloc(1000, 7));
    const moov = largeBox('moov', mvhdV1(90_000, 90_000 * 7.5), trak('soun', 0, 0), trak('vide', 1280, 720));
    const bytes = Buffer.concat([ftyp, mdat, moov]);
    expect(await readMp4Info(bytes)).toEqual({
      durationSeconds: 7.5,
      width: 1280,
      height: 720,
      hasVideo: true,
      hasAudio: true,
      brands: ['mp42', 'isom'],
    });
    const file = path.join(root, 'hand-built.mp4');
    await writeFile(file, bytes);
    expect((await readMp4Info(file)).durationSeconds).toBe(7.5);
  });

  test('an audio-only MP4 has no video', async () => {
    const bytes = Buffer.concat([box('ftyp', Buffer.from('M4A '), Buffer.alloc(4)), box('moov', mvhdV1(1000, 2000), trak('soun', 0, 0))]);
    expect(await readMp4Info(bytes)).toMatchObject({ hasVideo: false, hasAudio: true, width: 0, height: 0, durationSeconds: 2 });
  });

  test('non-MP4 and truncated input are refused', async () => {
    const html = Buffer.from('<!doctype html><html><body>Quota exceeded</body></html>');
    expect(looksLikeMp4(html)).toBe(false);
    expect(looksLikeMp4(Buffer.from([0, 0, 0]))).toBe(false);
    expect(looksLikeMp4(box('ftyp', Buffer.from('isom'), Buffer.alloc(4)))).toBe(true);
    await expectAppError(readMp4Info(html), 'not_a_video');
    await expectAppError(readMp4Info(Buffer.alloc(0)), 'not_a_video');

    const textFile = path.join(root, 'not-a-video.mp4');
    await writeFile(textFile, html);
    await expectAppError(readMp4Info(textFile), 'not_a_video');

    // Cut off inside mdat: the moov never arrived.
    const whole = await readFile(moovLast);
    await expectAppError(readMp4Info(whole.subarray(0, 2000)), 'not_a_video');
  });
});

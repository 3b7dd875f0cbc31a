/**
 * The ffmpeg side of the final cut and of variations, with the bundled ffmpeg on real clips from
 * the local stand-in: stream copy when clips match, a re-encode when they differ, the poster, the
 * container details the choice rests on, and the variation menu.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { canStreamCopy, concatClips, extractPoster } from '../lib/media/concat.js';
import { describeEffects, effectsKey, pickVariations, variationArgs, variationSeconds } from '../lib/media/effects.js';
import { runFfmpeg } from '../lib/media/ffmpeg.js';
import { readMp4Info } from '../lib/media/mp4.js';
import { createLocalProvider } from '../lib/providers/local.js';
import type { AspectRatio } from '../lib/providers/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'media-cut-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function clip(name: string, prompt: string, seconds: number, aspectRatio: AspectRatio = '16:9'): Promise<string> {
  const local = createLocalProvider(loadConfig({ LOCAL_STORAGE_DIR: path.join(dir, 'store'), LOCAL_VIDEO_DELAY_MS: '0' }));
  const { operationName } = await local.startVideo({ prompt, aspectRatio, durationSeconds: seconds });
  const state = await local.getVideoOperation(operationName);
  if (!state.done || !('video' in state)) throw new Error('render failed');
  const chunks: Buffer[] = [];
  for await (const c of (await local.openVideo(state.video)).body) chunks.push(c as Buffer);
  const file = path.join(dir, name);
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

describe('concatClips and extractPoster', () => {
  it('reads codec, timescale and audio parameters from the container', async () => {
    const info = await readMp4Info(await clip('probe.mp4', 'probe', 2));
    expect(info).toMatchObject({ videoCodec: 'avc1', audioCodec: 'mp4a', audioSampleRate: 48000, audioChannels: 2, width: 640, height: 360 });
    expect(info.videoTimescale).toBeGreaterThan(0);
  });

  it('matching clips are stream-copied; the cut lasts the sum of the clips', async () => {
    const files = [await clip('a.mp4', 'first scene', 2), await clip('b.mp4', 'second scene', 4), await clip('c.mp4', 'third scene', 2)];
    const out = path.join(dir, 'copy.mp4');
    const result = await concatClips(files, out, { listFile: path.join(dir, 'copy.txt') });
    expect(result.mode).toBe('copy');
    const info = await readMp4Info(out);
    // Each clip's AAC priming adds a few hundredths of a second at most.
    expect(info.durationSeconds).toBeGreaterThan(7.95);
    expect(info.durationSeconds).toBeLessThan(8.15);
    expect(info).toMatchObject({ width: 640, height: 360, hasAudio: true });
  });

  it('clips of different frame sizes are re-encoded to the first one, still summing their lengths, with progress reported', async () => {
    const files = [await clip('wide.mp4', 'wide', 2, '16:9'), await clip('tall.mp4', 'tall', 2, '9:16')];
    const infos = await Promise.all(files.map((f) => readMp4Info(f)));
    expect(canStreamCopy(infos)).toBe(false);
    const out = path.join(dir, 'reencode.mp4');
    const seen: number[] = [];
    const result = await concatClips(files, out, { listFile: path.join(dir, 're.txt'), onProgress: (p) => p.outTimeSeconds !== undefined && seen.push(p.outTimeSeconds) });
    expect(result.mode).toBe('reencode');
    const info = await readMp4Info(out);
    expect(info.durationSeconds).toBeGreaterThan(3.8);
    expect(info.durationSeconds).toBeLessThan(4.3);
    expect([info.width, info.height]).toEqual([640, 360]);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('a file name with a quote survives the concat list', async () => {
    const odd = await clip("it's.mp4", 'quoted', 2);
    const out = path.join(dir, 'quoted-out.mp4');
    await concatClips([odd, odd], out, { listFile: path.join(dir, 'quoted.txt') });
    expect((await readMp4Info(out)).durationSeconds).toBeGreaterThan(3.95);
  });

  it('the poster is one JPEG frame', async () => {
    const poster = path.join(dir, 'poster.jpg');
    await extractPoster(await clip('p.mp4', 'poster', 2), poster, 1);
    const bytes = await readFile(poster);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('an aborted concat (the tick ran out of budget) kills ffmpeg and rejects with the abort reason', async () => {
    const files = [await clip('x.mp4', 'x', 4), await clip('y.mp4', 'y', 4, '9:16')];
    const out = path.join(dir, 'aborted.mp4');
    const controller = new AbortController();
    const reason = new Error('tick budget spent');
    const pending = concatClips(files, out, { listFile: path.join(dir, 'ab.txt'), signal: controller.signal, onProgress: () => controller.abort(reason) });
    await expect(pending).rejects.toBe(reason);
  });
});

describe('variation effects', () => {
  it('a seed gives the same distinct sets every time; another seed gives others', () => {
    const a = pickVariations(42, 8);
    expect(pickVariations(42, 8)).toEqual(a);
    expect(new Set(a.map(effectsKey)).size).toBe(8);
    for (const e of a) expect(Object.keys(e).length).toBeGreaterThanOrEqual(2);
    expect(pickVariations(43, 8).map(effectsKey)).not.toEqual(a.map(effectsKey));
  });

  it('every effect renders with the bundled ffmpeg, and speed changes the length by its factor', async () => {
    const source = await clip('src.mp4', 'variation source', 2);
    const info = await readMp4Info(source);
    const sets = [
      { crop: { zoom: 0.8, anchor: 'top-left' as const }, mirror: true as const, speed: 1.25 },
      { colour: 'mono' as const, grain: 14, vignette: true as const, blur: true as const },
      { colour: 'warm' as const, crop: { zoom: 0.9, anchor: 'bottom-right' as const }, speed: 0.8 },
    ];
    const hashes = new Set<string>();
    for (const [i, effects] of sets.entries()) {
      const out = path.join(dir, `v${i}.mp4`);
      await runFfmpeg(variationArgs(source, out, effects, info));
      const got = await readMp4Info(out);
      expect([got.width, got.height]).toEqual([info.width, info.height]);
      expect(got.durationSeconds).toBeCloseTo(variationSeconds(info.durationSeconds, effects), 0);
      hashes.add(createHash('sha256').update(await readFile(out)).digest('hex'));
      expect(describeEffects(effects).length).toBeGreaterThan(0);
    }
    expect(hashes.size).toBe(3);
  });
});

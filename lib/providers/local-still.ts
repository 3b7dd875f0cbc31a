/**
 * The stand-in's stills: a PNG rendered by ffmpeg in one frame, coloured from the prompt's digest
 * and captioned with the prompt when the build has drawtext, so keyframe and image-only jobs run
 * end to end without Google. `[[blocked]]` in the prompt ends as `safety_filtered`, like a video.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../errors.js';
import { runFfmpeg } from '../media/ffmpeg.js';
import { BLOCKED_MARKER, BLOCKED_PATTERN, FRAME_SIZES, captionFilters, captionFont, truncate, wrap } from './local-render.js';
import type { ImageRequest, ImageResult } from './types.js';

const CAPTION_CHARS = 80;

export async function renderLocalStill(request: ImageRequest, binary: string, signal?: AbortSignal): Promise<ImageResult> {
  signal?.throwIfAborted();
  if (request.prompt.trim() === '') {
    throw new AppError('provider_rejected', 'Local stand-in rejected the request: the prompt is empty', { status: 400 });
  }
  const size = FRAME_SIZES[request.aspectRatio];
  if (!size) throw new AppError('provider_rejected', `Local stand-in rejected the request: unsupported aspect ratio ${String(request.aspectRatio)}`, { status: 400 });
  if (BLOCKED_PATTERN.test(request.prompt)) {
    return { failure: { code: 'safety_filtered', message: `The image model's safety filter blocked the still: the prompt contains the test marker ${BLOCKED_MARKER} (local stand-in)` } };
  }
  const digest = createHash('sha256').update(request.prompt).digest('hex');
  const base = path.join(os.tmpdir(), `local-still-${randomUUID()}`);
  const output = `${base}.png`;
  const textFile = `${base}.txt`;
  const { width, height } = size;
  // Two boxes in colours from the digest: different prompts give visibly different stills.
  const filters = [
    `drawbox=x=0:y=0:w=iw/2:h=ih:color=0x${digest.slice(6, 12)}:t=fill`,
    `drawbox=x=iw/4:y=ih/4:w=iw/2:h=ih/2:color=0x${digest.slice(12, 18)}@0.8:t=fill`,
  ];
  try {
    const font = await captionFont(binary);
    if (font) {
      await writeFile(textFile, wrap(truncate(request.prompt.replace(/\s+/g, ' '), CAPTION_CHARS), 28, 3));
      filters.push(...captionFilters(textFile, font, width, height));
    }
    await runFfmpeg(
      ['-f', 'lavfi', '-i', `color=c=0x${digest.slice(0, 6)}:size=${width}x${height}:rate=1`, '-filter:v', filters.join(','), '-frames:v', '1', '-f', 'image2', '-c:v', 'png', '-y', output],
      { binary, ...(signal ? { signal } : {}) },
    );
    const bytes = await readFile(output);
    return { image: { bytesBase64: bytes.toString('base64'), mimeType: 'image/png' } };
  } finally {
    await Promise.all([rm(output, { force: true }), rm(textFile, { force: true })]);
  }
}

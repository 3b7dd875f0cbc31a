/**
 * The local stand-in for Veo, used when no Google key is set. From outside it behaves like Veo:
 * `startVideo` answers at once with an operation name, polls say "not done" until
 * LOCAL_VIDEO_DELAY_MS has passed, and the finished video is a real H.264 MP4 of the requested
 * length and aspect ratio, rendered with ffmpeg when it is first opened.
 *
 * The whole request (bounded) is encoded into the operation name, so any process (after a
 * restart, on another serverless instance, with another disk) can poll and render it: nothing
 * has to survive between `startVideo` and `getVideoOperation` except the name the database holds.
 * A prompt containing `[[blocked]]` ends as `safety_filtered`, so the safety path can be
 * exercised end to end without Veo; one containing `[[fails-once]]` ends in an operation error
 * the first time it is started and succeeds when started again, as a retry would; one containing
 * `[[restarts-once]]` ends its first generation in a failure on the provider's side (as Luma's
 * job failures do), which the service makes again by itself (MAX_PROVIDER_RESTARTS).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { log } from '../log.js';
import { ffmpegPath, runFfmpeg } from '../media/ffmpeg.js';
import { BLOCKED_MARKER, BLOCKED_PATTERN, FRAME_SIZES, captionFilters, captionFont, fontSizeFor, truncate, wrap } from './local-render.js';
import { renderLocalStill } from './local-still.js';
import type { OperationState, VideoDownload, VideoProvider, VideoRequest, VideoSource } from './types.js';

export const LOCAL_PROVIDER_NAME = 'local';
export const LOCAL_URI_SCHEME = 'local-veo:';
/** Put this in a prompt to make its first operation fail the way a Veo operation error does; the next one succeeds. */
export const FAILS_ONCE_MARKER = '[[fails-once]]';
export const FAILS_ONCE_PATTERN = /\[\[fails-once\]\]/i;
/** Put this in a prompt to make its first generation fail on the provider's side; the service makes it again by itself. */
export const RESTARTS_ONCE_MARKER = '[[restarts-once]]';
export const RESTARTS_ONCE_PATTERN = /\[\[restarts-once\]\]/i;

const NAME_PREFIX = 'local/operations/';
/** Only this much of the prompt travels in the name (and is drawn on the video); the name stays short. */
const MAX_TEXT_CHARS = 80;
const MAX_NAME_CHARS = 2048;
const MAX_DURATION_SECONDS = 60;
const FRAME_RATE = 12;
/** Renders take well under a second; this only stops a wedged ffmpeg from holding callers forever. */
const RENDER_TIMEOUT_MS = 60_000;



export interface LocalProviderOptions {
  /** The clock, in epoch milliseconds; tests advance it instead of sleeping. */
  now?: () => number;
}

// ---------------------------------------------------------------------------------------------
// The operation, as carried by its name

/** Short keys: this JSON is base64url-encoded into every operation name. */
const operationSchema = z.object({
  v: z.literal(1),
  /** Created at, epoch ms. */
  c: z.number().int().nonnegative(),
  a: z.enum(['16:9', '9:16']),
  d: z.number().int().min(1).max(MAX_DURATION_SECONDS),
  /** Hex digest of the full prompt: picks the pattern, so long prompts need not travel. */
  s: z.string().regex(/^[0-9a-f]{8,64}$/),
  t: z.string().max(MAX_TEXT_CHARS * 2),
  b: z.boolean(),
  /** Ends in an operation error ([[fails-once]], first start of this prompt). */
  f: z.boolean().optional(),
  /** Ends in a failure on the provider's side, made again by the service ([[restarts-once]], first start). */
  r: z.boolean().optional(),
});

type LocalOperation = z.infer<typeof operationSchema> & { id: string };

function encodeOperation(op: LocalOperation): string {
  const { id, ...payload } = op;
  return `${id}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
}

function unknownOperation(what: string): AppError {
  return new AppError('operation_not_found', `The local stand-in does not know ${what}`, { status: 404, retryable: false });
}

/** `<uuid>.<payload>` back to the operation; anything malformed is an unknown operation. */
function decodeOperation(id: string): LocalOperation {
  const dot = id.indexOf('.');
  const uuid = id.slice(0, dot);
  if (dot < 0 || id.length > MAX_NAME_CHARS || !z.uuid().safeParse(uuid).success) {
    throw unknownOperation(`the operation ${JSON.stringify(id.slice(0, 80))}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(id.slice(dot + 1), 'base64url').toString('utf8'));
  } catch {
    throw unknownOperation('an operation whose name is garbled');
  }
  const parsed = operationSchema.safeParse(payload);
  if (!parsed.success) throw unknownOperation('an operation whose name is garbled');
  return { ...parsed.data, id: uuid };
}

function operationFromName(name: string): LocalOperation {
  if (!name.startsWith(NAME_PREFIX)) throw unknownOperation(`the operation ${JSON.stringify(name.slice(0, 80))}`);
  return decodeOperation(name.slice(NAME_PREFIX.length));
}

function operationFromSource(source: VideoSource): { op: LocalOperation; key: string } {
  if (source.kind !== 'uri' || !source.uri.startsWith(`${LOCAL_URI_SCHEME}//`)) {
    throw new AppError('unsupported_uri', 'The local stand-in can only open videos it made itself', { status: 502 });
  }
  const encoded = source.uri.slice(LOCAL_URI_SCHEME.length + 2);
  // Decoded first: only a validated uuid and a hex digest ever reach a file name.
  const op = decodeOperation(encoded);
  // The payload is part of the cache key, so a name edited by hand never reuses another render.
  const key = `${op.id}-${createHash('sha256').update(encoded).digest('hex').slice(0, 12)}`;
  return { op, key };
}


function validate(request: VideoRequest): void {
  const reject = (message: string) => new AppError('provider_rejected', `Local stand-in rejected the request: ${message}`, { status: 400 });
  if (request.prompt.trim() === '') throw reject('the prompt is empty');
  if (!(request.aspectRatio in FRAME_SIZES)) throw reject(`unsupported aspect ratio ${String(request.aspectRatio)}`);
  const d = request.durationSeconds;
  if (!Number.isInteger(d) || d < 1 || d > MAX_DURATION_SECONDS) throw reject(`duration must be 1–${MAX_DURATION_SECONDS} whole seconds, got ${d}`);
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Picks a moving test source and a tint from the prompt's digest: same prompt, same look. */
function sourceAndTint(op: LocalOperation, width: number, height: number): { source: string; tint: string } {
  const n = Number.parseInt(op.s.slice(0, 8), 16);
  const common = `size=${width}x${height}:rate=${FRAME_RATE}:duration=${op.d}`;
  const hueDegrees = n % 360;
  // Static sources get a hue that turns once over the clip, so every clip visibly moves.
  const turning = `hue=H=2*PI*t/${op.d}`;
  switch ((n >>> 9) % 4) {
    case 0:
      return { source: `testsrc2=${common}`, tint: `hue=h=${hueDegrees}` };
    case 1:
      return { source: `testsrc=${common}`, tint: `hue=h=${hueDegrees}` };
    case 2:
      return { source: `smptebars=${common}`, tint: turning };
    default:
      return { source: `color=c=0x${op.s.slice(8, 14).padEnd(6, '4')}:${common}`, tint: turning };
  }
}







function captionText(op: LocalOperation, width: number, height: number): string {
  const fontSize = fontSizeFor(width, height);
  // DejaVu Sans averages a little over half an em per character.
  const columns = Math.max(12, Math.floor((width * 0.9) / (fontSize * 0.58)));
  return wrap(op.t, columns, 4);
}

/** ffmpeg arguments for one clip: video from a lavfi source, silent AAC audio like Veo 3's track. */
function renderArgs(op: LocalOperation, videoFilters: string[], output: string): string[] {
  const { width, height } = FRAME_SIZES[op.a];
  const { source } = sourceAndTint(op, width, height);
  return [
    '-f', 'lavfi', '-i', source,
    '-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000',
    '-filter:v', [...videoFilters, 'format=yuv420p'].join(','),
    '-map', '0:v', '-map', '1:a',
    '-t', String(op.d),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-maxrate', '400k', '-bufsize', '800k', '-g', String(FRAME_RATE * 2),
    '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '32k',
    '-movflags', '+faststart',
    '-f', 'mp4', '-y', output,
  ];
}

/** Renders to a temporary name and renames into place, so a reader never sees half a file. */
async function render(op: LocalOperation, file: string, binary: string, signal: AbortSignal): Promise<void> {
  const { width, height } = FRAME_SIZES[op.a];
  const temp = `${file}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`;
  const textFile = `${temp}.txt`;
  const filters = [sourceAndTint(op, width, height).tint];
  const font = op.t ? await captionFont(binary) : undefined;
  const started = performance.now();
  try {
    if (font) {
      await writeFile(textFile, captionText(op, width, height));
      filters.push(...captionFilters(textFile, font, width, height));
    }
    await runFfmpeg(renderArgs(op, filters, temp), { signal, binary });
    await moveIntoPlace(temp, file);
  } finally {
    await Promise.all([rm(temp, { force: true }), rm(textFile, { force: true })]);
  }
  log('local_video_rendered', { id: op.id, ms: Math.round(performance.now() - started), caption: Boolean(font), durationSeconds: op.d });
}

/** Another process may have renamed the same clip into place first (Windows refuses to replace it then). */
async function moveIntoPlace(temp: string, file: string): Promise<void> {
  try {
    await rename(temp, file);
  } catch (thrown) {
    if (!(await exists(file))) throw thrown;
  }
}

/** One render per file per process; callers that arrive meanwhile wait for the same one. */
const renders = new Map<string, Promise<void>>();

function renderOnce(op: LocalOperation, file: string, binary: string): Promise<void> {
  let pending = renders.get(file);
  if (!pending) {
    // Not tied to any one caller's signal: a caller that gives up must not kill another's render.
    pending = render(op, file, binary, AbortSignal.timeout(RENDER_TIMEOUT_MS)).finally(() => renders.delete(file));
    renders.set(file, pending);
  }
  return pending;
}

/** Waits for `promise` unless `signal` fires first; the work itself carries on. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile() && s.size > 0, () => false);
}

// ---------------------------------------------------------------------------------------------
// The provider

/** Where rendered clips are cached: beside the local object store, not inside it. */
export function localVeoDir(config: Pick<Config, 'LOCAL_STORAGE_DIR'>): string {
  return path.resolve(config.LOCAL_STORAGE_DIR, '..', 'local-veo');
}

/**
 * Whether this start of a `[[fails-once]]` prompt is its first: a marker file per prompt digest,
 * created exclusively (`wx`), so of two starts only one fails, and a restart does not fail it again.
 */
async function firstFailure(dir: string, digest: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(path.join(dir, digest), `${new Date().toISOString()}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function createLocalProvider(config: Config, options: LocalProviderOptions = {}): VideoProvider {
  const now = options.now ?? Date.now;
  const videosDir = path.join(localVeoDir(config), 'videos');
  const failedOnceDir = path.join(localVeoDir(config), 'failed-once');
  const restartedOnceDir = path.join(localVeoDir(config), 'restarted-once');

  async function startVideo(request: VideoRequest, signal?: AbortSignal): Promise<{ operationName: string }> {
    signal?.throwIfAborted();
    validate(request);
    const digest = createHash('sha256').update(request.prompt).digest('hex').slice(0, 16);
    const failsNow = FAILS_ONCE_PATTERN.test(request.prompt) && (await firstFailure(failedOnceDir, digest));
    const restartsNow = RESTARTS_ONCE_PATTERN.test(request.prompt) && (await firstFailure(restartedOnceDir, digest));
    const op: LocalOperation = {
      id: randomUUID(),
      v: 1,
      c: now(),
      a: request.aspectRatio,
      d: request.durationSeconds,
      s: digest,
      t: truncate([BLOCKED_PATTERN, FAILS_ONCE_PATTERN, RESTARTS_ONCE_PATTERN].reduce((text, marker) => text.replace(new RegExp(marker, 'gi'), ''), request.prompt), MAX_TEXT_CHARS),
      b: BLOCKED_PATTERN.test(request.prompt),
      ...(failsNow ? { f: true } : {}),
      ...(restartsNow ? { r: true } : {}),
    };
    const operationName = `${NAME_PREFIX}${encodeOperation(op)}`;
    log('local_video_started', { operation: op.id, durationSeconds: op.d, aspectRatio: op.a });
    return { operationName };
  }

  async function getVideoOperation(operationName: string, signal?: AbortSignal): Promise<OperationState> {
    signal?.throwIfAborted();
    const op = operationFromName(operationName);
    if (now() - op.c < config.LOCAL_VIDEO_DELAY_MS) return { done: false };
    if (op.b) {
      return {
        done: true,
        failure: { code: 'safety_filtered', message: `Veo's safety filter blocked the video: the prompt contains the test marker ${BLOCKED_MARKER} (local stand-in)` },
      };
    }
    if (op.f) {
      // What Veo reports when an operation itself ends in error (lib/providers/veo.ts): not retried by the tick, retried by a professor.
      return { done: true, failure: { code: 'provider_error', message: `The local stand-in could not make the video: it failed this scene once on purpose (${FAILS_ONCE_MARKER}); retry it` } };
    }
    if (op.r) {
      // What Luma reports when its own servers fail a job: the service makes the scene again by itself.
      return {
        done: true,
        failure: {
          code: 'provider_error',
          message: `The local stand-in failed this generation on its side once on purpose (${RESTARTS_ONCE_MARKER}), as Luma's servers can; a new one is being made`,
          restartable: true,
        },
      };
    }
    return { done: true, video: { kind: 'uri', uri: `${LOCAL_URI_SCHEME}//${operationName.slice(NAME_PREFIX.length)}`, mimeType: 'video/mp4' } };
  }

  async function openVideo(source: VideoSource, signal?: AbortSignal): Promise<VideoDownload> {
    signal?.throwIfAborted();
    const { op, key } = operationFromSource(source);
    const file = path.join(videosDir, `${key}.mp4`);
    if (!(await exists(file))) {
      await mkdir(videosDir, { recursive: true });
      await untilAborted(renderOnce(op, file, ffmpegPath(config)), signal);
    }
    const { size } = await stat(file);
    return { body: createReadStream(file), contentType: 'video/mp4', contentLength: size };
  }

  return {
    name: LOCAL_PROVIDER_NAME,
    startVideo,
    getVideoOperation,
    openVideo,
    generateImage: (request, signal) => renderLocalStill(request, ffmpegPath(config), signal),
  };
}

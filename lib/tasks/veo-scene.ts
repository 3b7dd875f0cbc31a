/**
 * A Veo scene: start one generation, poll it, and when it is done stream the video into
 * storage. Each call does one step and returns; the tick records the outcome.
 */
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { addMinutes } from 'date-fns/addMinutes';
import { callbackUrl } from '../auth/callback-token.js';
import { AppError, ERROR_CODE, ERRORS, isRetryable } from '../errors.js';
import { pauseProvider } from '../jobs/provider-pause.js';
import { beginTransfer, transferWasCutOff } from './transfer.js';
import { veoSceneInputSchema } from '../jobs/task-inputs.js';
import { veoSceneKind } from '../kinds/veo-scene.js';
import { guardVideoStream } from '../media/video-guard.js';
import type { VideoDownload, VideoProvider } from '../providers/types.js';
import { sceneFrames } from './scene-frames.js';
import { OUTCOMES, outcomeOfError } from './outcome.js';
import { type TaskContext, type TaskKind, type TaskOutcome, type TaskRow } from './types.js';

/** Deterministic per job and scene, so a retried upload overwrites instead of duplicating. */
export function sceneObjectPath(jobId: string, position: number): string {
  return `${jobId}/scene-${String(position + 1).padStart(2, '0')}.mp4`;
}

async function start(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome> {
  const input = veoSceneInputSchema.parse(task.input);
  // The provider the scene was planned on (or retried on); rows from before planning chose one take the default.
  const provider = task.provider ? ctx.services.providerFor(task.provider) : ctx.services.provider;
  const { config } = ctx.services;
  const callback = provider.name === 'luma' && config.lumaCallbacks ? { callbackUrl: await callbackUrl(config, 'luma', task.id) } : {};
  // A keyframe still still being made: wait for it rather than start without it.
  const frames = await sceneFrames(task, input, ctx);
  if (frames === 'waiting') return { type: 'waiting' };
  if (!ctx.mayStartPaid()) return OUTCOMES.tooLateToStart();
  // Deliberately not given the tick's abort signal: once the request is on the wire Veo may
  // create the operation whether or not we hang up, so an aborted tick lets the create finish
  // (bounded by REQUEST_TIMEOUT_MS) and records its name rather than paying for a second one.
  let operationName: string;
  try {
    ({ operationName } = await provider.startVideo({
      prompt: input.prompt,
      aspectRatio: input.aspectRatio,
      durationSeconds: input.durationSeconds,
      ...(input.negativePrompt ? { negativePrompt: input.negativePrompt } : {}),
      ...frames,
      ...callback,
    }));
  } catch (thrown) {
    // Out of credits is the account's state, not this scene's fault: pause new starts on the
    // provider and give the scene back without using an attempt; it starts once credits return.
    if (thrown instanceof AppError && thrown.code === ERROR_CODE.insufficientCredits) {
      const until = addMinutes(ctx.now, config.PROVIDER_PAUSE_MINUTES);
      await pauseProvider(ctx.services.db, provider.name, until, thrown.message, ctx.now);
      return { type: 'released', reason: `${provider.name} is paused until ${until.toISOString()}: ${thrown.message}` };
    }
    throw thrown;
  }
  return { type: 'started', provider: provider.name, operationName };
}

async function store(task: TaskRow, download: VideoDownload, ctx: TaskContext): Promise<TaskOutcome> {
  const { config, store: objects } = ctx.services;
  const guard = guardVideoStream(config.MAX_DOWNLOAD_MB * 1024 * 1024);
  const path = sceneObjectPath(task.job_id, veoSceneInputSchema.parse(task.input).scene ?? task.position);
  // The upload reads from `relay` while pipeline() drives download → guard → relay. Whichever
  // side fails first aborts the other, so no socket or half-read stream is left behind.
  const relay = new PassThrough();
  const abort = new AbortController();
  const signal = AbortSignal.any([ctx.signal, abort.signal]);
  const failBoth = (err: unknown): never => {
    abort.abort(err);
    throw err;
  };
  await Promise.all([
    pipeline(download.body, guard, relay, { signal }).catch(failBoth),
    objects
      .put(path, relay, {
        contentType: 'video/mp4',
        ...(download.contentLength !== undefined ? { contentLength: download.contentLength } : {}),
        signal,
      })
      .catch(failBoth),
  ]);
  const url = await objects.url(path);
  return { type: 'completed', output: { objectPath: path, url, bytes: guard.bytes(), contentType: 'video/mp4', store: objects.name } };
}

/**
 * An attempt can store the video and never record it (its tick was killed, ran out of time, or
 * failed to write the outcome after the upload). Finishing from the stored object then beats
 * fetching the video again, or giving up on a scene whose video is in fact stored. Uploads are
 * all-or-nothing, so an object at the scene's path is a whole video that passed the guard.
 */
async function finishFromStore(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome | undefined> {
  const { store: objects } = ctx.services;
  const path = sceneObjectPath(task.job_id, veoSceneInputSchema.parse(task.input).scene ?? task.position);
  if (!(await objects.exists(path))) return undefined;
  return { type: 'completed', output: { objectPath: path, url: await objects.url(path), contentType: 'video/mp4', store: objects.name, resumed: true } };
}

async function advance(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome> {
  if (!task.operation_name || !task.provider) return start(task, ctx);
  // A retry after a failed attempt looks in storage before asking Veo at all.
  const stored = task.attempts > 0 ? await finishFromStore(task, ctx) : undefined;
  if (stored) return stored;
  let state: Awaited<ReturnType<VideoProvider['getVideoOperation']>>;
  try {
    state = await ctx.services.providerFor(task.provider).getVideoOperation(task.operation_name, ctx.signal);
  } catch (thrown) {
    // Veo forgets an operation after two days. If an earlier attempt stored its video before
    // being cut off, that video is the scene's; otherwise the error stands.
    if (!isRetryable(thrown) && task.attempts === 0 && (await transferWasCutOff(ctx.services.db, task.id))) {
      const stored = await finishFromStore(task, ctx);
      if (stored) return stored;
    }
    throw thrown;
  }
  if (!state.done) return { type: 'waiting' };
  if ('failure' in state) {
    const { code, message, restartable } = state.failure;
    return { type: restartable ? 'restart' : 'failed', code, message };
  }
  // A job canceled while this step ran gets nothing more stored (applyOutcome would discard it
  // anyway). The job is read while the download opens rather than before it, keeping a database
  // round trip off every scene's path; a job canceled meanwhile costs a download opened and dropped.
  const opening = ctx.services.providerFor(task.provider).openVideo(state.video, ctx.signal).then((download) => {
    // Until the pipeline in store() takes the body, an error of it (the tick aborting) would have
    // no listener and crash the process; the pipeline still sees the error once it is attached.
    download.body.once('error', () => undefined);
    return download;
  });
  opening.catch(() => undefined); // a failed open is handled where it is awaited, after the job check
  // Waited for, so a step never leaves a request running after it returns.
  const drop = () => opening.then((download) => void download.body.destroy(), () => undefined);
  let transfer: Awaited<ReturnType<typeof beginTransfer>>;
  try {
    transfer = await beginTransfer(ctx.services.db, task.id, task.locked_by ?? '');
    if (transfer.active && transfer.cutOff && task.attempts === 0) {
      const resumed = await finishFromStore(task, ctx);
      if (resumed) {
        await drop();
        return resumed;
      }
    }
  } catch (thrown) {
    await drop();
    throw thrown;
  }
  if (!transfer.active) {
    await drop();
    return OUTCOMES.failed(ERRORS.Canceled('the video was not stored'));
  }
  try {
    return await store(task, await opening, ctx);
  } catch (thrown) {
    // Veo keeps the file for two days: a failed download or upload is worth another try.
    return outcomeOfError(thrown, { prefix: 'Could not store the video: ' });
  }
}

export const veoScene: TaskKind = { ...veoSceneKind, advance };

/**
 * A still: one image from the provider (Imagen on Vertex, a Gemini image model on the Developer
 * API, ffmpeg in the stand-in), stored as `<jobId>/still-NN.<ext>` for image-only jobs or
 * `<jobId>/keyframe-NN.<ext>` when it is to become a scene's first frame. Image generation
 * answers at once, so the task goes from pending to done in one step; it is a provider kind, so
 * it counts toward MAX_IN_FLIGHT and obeys the kill switch like a Veo scene.
 */
import { Readable } from 'node:stream';
import { imagenStillInputSchema } from '../jobs/task-inputs.js';
import { imagenStillKind } from '../kinds/imagen-still.js';
import type { TaskContext, TaskKind, TaskOutcome, TaskRow } from './types.js';

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

export function stillObjectPath(jobId: string, purpose: 'still' | 'keyframe', scene: number, mimeType: string): string {
  return `${jobId}/${purpose}-${String(scene + 1).padStart(2, '0')}.${EXTENSIONS[mimeType] ?? 'png'}`;
}

async function advance(task: TaskRow, ctx: TaskContext): Promise<TaskOutcome> {
  const input = imagenStillInputSchema.parse(task.input);
  const { imageProvider: provider, store } = ctx.services;
  if (!provider) return { type: 'failed', code: 'provider_unavailable', message: 'Stills need a Google key (GEMINI_API_KEY or Vertex AI); this deployment has none' };
  // Not given the tick's abort signal, like a Veo start: the call is paid once it is on the wire,
  // so a tick running out lets it finish (bounded by REQUEST_TIMEOUT_MS) and keeps the image.
  const result = await provider.generateImage({ prompt: input.prompt, aspectRatio: input.aspectRatio });
  if ('failure' in result) return { type: 'failed', code: result.failure.code, message: result.failure.message };
  const bytes = Buffer.from(result.image.bytesBase64, 'base64');
  if (bytes.length === 0) return { type: 'retry', code: 'provider_bad_response', message: 'The image model returned an empty image' };
  const contentType = result.image.mimeType in EXTENSIONS ? result.image.mimeType : 'image/png';
  const path = stillObjectPath(task.job_id, input.purpose, input.scene, contentType);
  await store.put(path, Readable.from([bytes]), { contentType, contentLength: bytes.length, signal: ctx.signal });
  const url = await store.url(path);
  return { type: 'completed', output: { objectPath: path, url, bytes: bytes.length, contentType, store: store.name, provider: provider.name } };
}

export const imagenStill: TaskKind = { ...imagenStillKind, advance };

/**
 * The stills a Veo scene starts from (first frame), ends on (last frame) or takes as references,
 * read from the stills this job made. A scene waits while its stills are still being made; a
 * still that failed is left out, so a missing keyframe costs consistency, never the scene.
 */
import { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import type { VeoSceneInput } from '../jobs/task-inputs.js';
import { log } from '../log.js';
import type { ImageInput, ReferenceImage } from '../providers/types.js';
import type { ObjectStore } from '../storage/types.js';
import { anyActive, objectPathOf, readDependencies, type Dependency } from './deps.js';
import type { TaskContext, TaskRow } from './types.js';

/** Veo takes inline images; anything bigger than this is not a still this service made. */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export interface SceneFrames {
  image?: ImageInput;
  lastFrame?: ImageInput;
  referenceImages?: ReferenceImage[];
}

async function readImage(store: ObjectStore, objectPath: string, signal: AbortSignal): Promise<ImageInput> {
  const object = await store.get(objectPath, { signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body as Readable) {
    size += (chunk as Buffer).length;
    if (size > MAX_IMAGE_BYTES) {
      object.body.destroy();
      throw new AppError('image_too_large', `The still at ${objectPath} is over ${MAX_IMAGE_BYTES} bytes`, { retryable: false });
    }
    chunks.push(chunk as Buffer);
  }
  return { bytesBase64: Buffer.concat(chunks).toString('base64'), mimeType: object.contentType, objectPath };
}

export async function sceneFrames(task: TaskRow, input: VeoSceneInput, ctx: TaskContext): Promise<SceneFrames | 'waiting'> {
  const refs = [input.image, input.lastFrame, ...(input.referenceImages ?? [])].filter((r) => r !== undefined);
  const positions = [...new Set([...refs.map((r) => r.position), ...(input.waitsFor ?? [])])];
  if (positions.length === 0) return {};
  const deps = await readDependencies(ctx.services.db, task.job_id, positions);
  if (anyActive(deps)) return 'waiting';
  const byPosition = new Map<number, Dependency>(deps.map((d) => [d.position, d]));
  const load = async (position: number): Promise<ImageInput | undefined> => {
    const dep = byPosition.get(position);
    const objectPath = dep && objectPathOf(dep);
    if (!objectPath) {
      log('scene_frame_missing', { jobId: task.job_id, taskId: task.id, position, error: dep?.error ?? 'no such task' });
      return undefined;
    }
    return readImage(ctx.services.store, objectPath, ctx.signal);
  };
  const frames: SceneFrames = {};
  const image = input.image && (await load(input.image.position));
  if (image) frames.image = image;
  const lastFrame = input.lastFrame && (await load(input.lastFrame.position));
  if (lastFrame) frames.lastFrame = lastFrame;
  const references: ReferenceImage[] = [];
  for (const ref of input.referenceImages ?? []) {
    const loaded = await load(ref.position);
    if (loaded) references.push({ ...loaded, referenceType: ref.referenceType });
  }
  if (references.length > 0) frames.referenceImages = references;
  return frames;
}

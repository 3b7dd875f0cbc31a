/**
 * What each task kind stores as its input, validated when planned and again when advanced.
 * `waitsFor` names the positions (in the same job) a task needs finished first; the task
 * answers `waiting` until then, and lib/jobs/sync.ts wakes it the moment they are.
 */
import { z } from 'zod';

const ASPECT = z.enum(['16:9', '9:16']);
const position = z.number().int().nonnegative();
const waitsFor = z.array(position).min(1).optional();

/** A still made by another task of the same job. */
export const imageRefSchema = z.object({ position });

export const veoSceneInputSchema = z.object({
  prompt: z.string().min(1),
  text: z.string(),
  aspectRatio: ASPECT,
  durationSeconds: z.number().int().positive(),
  /** Set when a retry moved the scene to a provider that does not make the length first asked for. */
  requestedDurationSeconds: z.number().int().positive().optional(),
  /** Why the clip is made at another length than asked (shown on the scene). */
  durationNote: z.string().optional(),
  negativePrompt: z.string().optional(),
  /** The storyboard index; rows written before it existed use their position. */
  scene: position.optional(),
  /** First frame, last frame and references: stills of this job. */
  image: imageRefSchema.optional(),
  lastFrame: imageRefSchema.optional(),
  referenceImages: z.array(imageRefSchema.extend({ referenceType: z.enum(['asset', 'style']) })).max(3).optional(),
  waitsFor,
});

export type VeoSceneInput = z.infer<typeof veoSceneInputSchema>;

export const imagenStillInputSchema = z.object({
  prompt: z.string().min(1),
  text: z.string(),
  aspectRatio: ASPECT,
  scene: position,
  /** A still of an image-only job, or the first frame of a scene. */
  purpose: z.enum(['still', 'keyframe']),
});

export type ImagenStillInput = z.infer<typeof imagenStillInputSchema>;

export const renderInputSchema = z.object({ waitsFor: z.array(position).min(1) });

export type RenderInput = z.infer<typeof renderInputSchema>;

export const variationInputSchema = z.object({
  index: position,
  count: z.number().int().positive(),
  /** With `index` and `count`, picks this variation's effects (lib/media/effects.ts). */
  seed: z.number().int().nonnegative().max(0xffffffff),
  /** Another finished job whose final video is varied; or (`waitsFor`) this job's own render. */
  sourceJobId: z.uuid().optional(),
  waitsFor,
}).refine((v) => v.sourceJobId !== undefined || v.waitsFor !== undefined, 'a variation needs sourceJobId or waitsFor');

export type VariationInput = z.infer<typeof variationInputSchema>;

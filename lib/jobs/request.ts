/**
 * The generate request as the HTTP boundary accepts it. Built per config because the allowed
 * scene durations depend on the configured Veo model.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { allowedDurations } from '../providers/veo.js';
import { webhookUrlSchema } from '../webhooks/url.js';

export const STYLES = ['fun', 'calm', 'background'] as const;
export const ASPECT_RATIOS = ['16:9', '9:16'] as const;
export const JOB_KINDS = ['video', 'image', 'variations'] as const;

/** Fields that only make sense for some kinds of job, each refused by name otherwise. */
function jobKindRules(r: { kind: string; keyframes: boolean; variations?: number | undefined; sourceJobId?: string | undefined }, ctx: z.RefinementCtx): void {
  const refuse = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  if (r.kind === 'variations' && !r.sourceJobId) refuse('sourceJobId', "is required when kind is 'variations'");
  if (r.kind !== 'variations' && r.sourceJobId) refuse('sourceJobId', "is only allowed when kind is 'variations'");
  if (r.kind !== 'video' && r.keyframes) refuse('keyframes', "is only allowed when kind is 'video'");
  if (r.kind === 'image' && r.variations !== undefined) refuse('variations', "is not allowed when kind is 'image'");
}

/** Text fields refuse NUL and other C0 controls (Postgres cannot store NUL; the rest is noise). */
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s), 'must not contain control characters');

export function generateRequestSchema(config: Config) {
  const durations = allowedDurations(config.VEO_MODEL);
  const defaultDuration = Math.max(...durations);
  return z.strictObject({
    response: text(8000).refine((s) => s.trim().length > 0, 'must not be empty'),
    question: text(4000).optional(),
    escalationId: z.uuid('must be a UUID').optional(),
    /** Service role only: the professor the job is created for. */
    professorId: z.uuid('must be a UUID').optional(),
    style: z.enum(STYLES).default('calm'),
    aspectRatio: z.enum(ASPECT_RATIOS).default('16:9'),
    durationSeconds: z
      .number()
      .int()
      .refine((n) => durations.includes(n), `must be one of ${durations.join(', ')} for ${config.VEO_MODEL}`)
      .default(defaultDuration),
    negativePrompt: text(1000).optional(),
    maxScenes: z.number().int().min(1).max(config.MAX_SCENES).default(Math.min(config.MAX_SCENES, 5)),
    /** What the job makes: a stitched video, stills only, or variations of a finished video (lib/jobs/plan.ts). */
    kind: z.enum(JOB_KINDS).default('video'),
    /** Video jobs: a still per scene that becomes the scene's first frame. */
    keyframes: z.boolean().default(false),
    /** How many variations: of `sourceJobId` (kind 'variations'), or of this video's final cut. */
    variations: z.number().int().min(1).max(config.MAX_VARIATIONS).optional(),
    /** Kind 'variations': the caller's completed job whose final video is varied. */
    sourceJobId: z.uuid('must be a UUID').optional(),
    /** Makes a set of variations reproducible; random when omitted. */
    variationSeed: z.number().int().min(0).max(0xffffffff).optional(),
    /** 'model': a Gemini text model writes the storyboard (with a Google key), else the splitter. */
    storyboard: z.enum(['splitter', 'model']).default('splitter'),
    /** Where to POST the job on a terminal state (lib/webhooks). */
    webhookUrl: webhookUrlSchema(config).optional(),
  }).superRefine(jobKindRules);
}

export type GenerateRequest = z.infer<ReturnType<typeof generateRequestSchema>>;

/** What a veo_scene task stores as its input (all task inputs live in ./task-inputs.ts). */
export { veoSceneInputSchema, type VeoSceneInput } from './task-inputs.js';

/**
 * The generate request as the HTTP boundary accepts it. Built per config because the allowed
 * scene durations depend on the configured Veo model.
 */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { allowedDurations } from '../providers/veo.ts';

export const STYLES = ['fun', 'calm', 'background'] as const;
export const ASPECT_RATIOS = ['16:9', '9:16'] as const;

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
  });
}

export type GenerateRequest = z.infer<ReturnType<typeof generateRequestSchema>>;

/** What a veo_scene task stores as its input. */
export const veoSceneInputSchema = z.object({
  prompt: z.string().min(1),
  text: z.string(),
  aspectRatio: z.enum(ASPECT_RATIOS),
  durationSeconds: z.number().int().positive(),
  negativePrompt: z.string().optional(),
});

export type VeoSceneInput = z.infer<typeof veoSceneInputSchema>;

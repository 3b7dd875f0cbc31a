/**
 * The generate request as the HTTP boundary accepts it. Built per config because the allowed
 * scene durations depend on the configured Veo model.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { clipLimits, VIDEO_ASPECT_RATIOS, type VideoProviderName } from '../model-limits.js';
import { MAX_PROMPT_CHARS } from '../storyboard.js';
import { webhookUrlSchema } from '../webhooks/url.js';

export const STYLES = ['fun', 'calm', 'background'] as const;
export const ASPECT_RATIOS = VIDEO_ASPECT_RATIOS;
export const JOB_KINDS = ['video', 'image', 'variations'] as const;
/** Orders a professor's own waiting scenes; fair share across professors decides whose turn it is. */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

type JobKind = (typeof JOB_KINDS)[number];

/** The longest text each field takes; GET /api/video/capabilities hands the same numbers to forms. */
export const TEXT_LIMITS = {
  response: 8000,
  question: 4000,
  negativePrompt: 1000,
  /**
   * One scene the professor approved (`scenes[].text`): short enough that its prompt never has
   * to cut it, whatever the style and question (lib/storyboard.ts keeps the cues whole and
   * clips only the scene; tests/storyboard.test.ts proves this limit fits).
   */
  sceneText: 1000,
} as const;

/** A provider's clip rules with this config's models. */
export function clipLimitsOf(config: Config, provider: VideoProviderName = config.provider) {
  return clipLimits(provider, { veo: config.VEO_MODEL, luma: config.LUMA_MODEL });
}

/** The defaults a request's omitted fields take, for a provider (the configured default unless named). */
export function requestDefaults(config: Config, provider: VideoProviderName = config.provider) {
  return {
    style: 'calm',
    aspectRatio: '16:9',
    provider: config.provider,
    // The longest clip the provider makes: a scene's narration is not cut short.
    durationSeconds: Math.max(...clipLimitsOf(config, provider).durations),
    maxScenes: Math.min(config.MAX_SCENES, 5),
    storyboard: 'splitter',
    priority: 'normal',
  } as const;
}

export { MAX_PROMPT_CHARS };

/**
 * The fields each kind of job would ignore (lib/jobs/plan.ts): a variations job only cuts another
 * job's finished video, so nothing about scenes applies; an image job makes stills, which have no
 * length, no negative prompt and no variations. Sent anyway, such a field is refused by name
 * rather than recorded on a job it does not describe.
 */
export const IGNORED_BY_KIND: Record<JobKind, readonly string[]> = {
  video: ['sourceJobId'],
  image: ['sourceJobId', 'variations', 'variationSeed', 'durationSeconds', 'negativePrompt', 'provider'],
  variations: ['style', 'aspectRatio', 'durationSeconds', 'negativePrompt', 'maxScenes', 'storyboard', 'scenes', 'provider'],
};

/**
 * Runs before defaults are filled in (see generateRequestSchema), so a field is "given" exactly
 * when the caller sent it; `keyframes` keeps its schema default and is refused only when true.
 */
function jobKindRules(r: { kind: JobKind; keyframes: boolean; sourceJobId?: string | undefined } & Record<string, unknown>, ctx: z.RefinementCtx): void {
  const refuse = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  if (r.kind === 'variations' && !r.sourceJobId) refuse('sourceJobId', "is required when kind is 'variations'");
  if (r.kind !== 'video' && r.keyframes) refuse('keyframes', "is only allowed when kind is 'video'");
  for (const field of IGNORED_BY_KIND[r.kind]) {
    if (r[field] !== undefined) refuse(field, `is not allowed when kind is '${r.kind}': such a job would ignore it`);
  }
}

/** Text fields refuse NUL and other C0 controls (Postgres cannot store NUL; the rest is noise). */
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s), 'must not contain control characters')
    // JSON may spell half of a character ("\ud83c"); PostgreSQL refuses to store it in JSON.
    .refine((s) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s), 'must not contain half of a character (an unpaired surrogate)');

/**
 * Stills need an image provider (Google, or the stand-in locally); a deployment on Luma alone
 * makes clips only, so keyframes and image jobs are refused by name rather than failing later.
 */
function imageRules(config: Config) {
  return (r: { kind: JobKind; keyframes: boolean }, ctx: z.RefinementCtx): void => {
    if (config.imageProvider) return;
    const why = 'needs stills, which need a Google key (GEMINI_API_KEY or Vertex AI); this deployment has none';
    if (r.keyframes) ctx.addIssue({ code: 'custom', path: ['keyframes'], message: why });
    if (r.kind === 'image') ctx.addIssue({ code: 'custom', path: ['kind'], message: `'image' ${why}` });
  };
}

/** The clip length must be one the chosen provider makes: a 400 naming it, before anything is paid for. */
function clipRules(config: Config) {
  return (r: { kind: JobKind; provider?: VideoProviderName | undefined; durationSeconds?: number | undefined }, ctx: z.RefinementCtx): void => {
    if (r.durationSeconds === undefined || r.kind !== 'video') return;
    const limits = clipLimitsOf(config, r.provider ?? config.provider);
    if (!limits.durations.includes(r.durationSeconds)) {
      ctx.addIssue({ code: 'custom', path: ['durationSeconds'], message: `must be one of ${limits.durations.join(', ')} for ${limits.provider} (${limits.model})` });
    }
  };
}

export function generateRequestSchema(config: Config) {
  // Every length some configured provider makes; clipRules then holds it to the chosen one's.
  const durations = [...new Set(config.providers.flatMap((p) => clipLimitsOf(config, p).durations))].sort((a, b) => a - b);
  // Some kinds refuse these fields, so they stay absent until jobKindRules has seen what was
  // sent, then take these values; the document still shows each default.
  const defaults = requestDefaults(config);
  return z
    .strictObject({
      response: text(TEXT_LIMITS.response).refine((s) => s.trim().length > 0, 'must not be empty'),
      question: text(TEXT_LIMITS.question).optional(),
      escalationId: z.uuid('must be a UUID').optional(),
      /** Service role only: the professor the job is created for. */
      professorId: z.uuid('must be a UUID').optional(),
      style: z.enum(STYLES).optional().meta({ default: defaults.style }),
      aspectRatio: z.enum(ASPECT_RATIOS).optional().meta({ default: defaults.aspectRatio }),
      /** A literal set rather than a refine, so the OpenAPI document lists the very values accepted. */
      durationSeconds: z
        .literal(durations, { error: `must be one of ${durations.join(', ')}` })
        .optional()
        .meta({
          default: defaults.durationSeconds,
          description: `Seconds per scene, one the chosen provider makes: ${config.providers.map((p) => `${p} ${clipLimitsOf(config, p).durations.join('/')}`).join(', ')} (GET /api/video/capabilities). Default: the provider's longest.`,
        }),
      /** Who makes the clips; the configured providers only. */
      provider: z
        .enum(config.providers as [VideoProviderName, ...VideoProviderName[]], { error: `must be one of the providers configured here: ${config.providers.join(', ')}` })
        .optional()
        .meta({ default: defaults.provider, description: 'Who makes the clips: one of the providers configured here (GET /api/video/capabilities lists them with their limits).' }),
      negativePrompt: text(TEXT_LIMITS.negativePrompt).optional(),
      maxScenes: z.number().int().min(1).max(config.MAX_SCENES).optional().meta({ default: defaults.maxScenes }),
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
      storyboard: z.enum(['splitter', 'model']).optional().meta({ default: defaults.storyboard }),
      scenes: z
        .array(z.strictObject({ text: text(TEXT_LIMITS.sceneText).refine((s) => s.trim().length > 0, 'must not be empty') }))
        .min(1, 'must hold at least one scene')
        .max(config.MAX_SCENES, `must hold at most ${config.MAX_SCENES} scenes`)
        .optional()
        .meta({
          description:
            'The storyboard the professor approved (POST /api/video/storyboard drafts it): one scene per entry, in order, made exactly as written. At most maxScenes; replaces the split of `response`, which is still recorded as the answer.',
        }),
      priority: z
        .enum(PRIORITIES)
        .default('normal')
        .meta({ description: "Which of your own waiting scenes start first when slots are short; other professors' turns are not affected (fair share)." }),
      /** Where to POST the job on a terminal state (lib/webhooks). */
      webhookUrl: webhookUrlSchema(config).optional(),
    })
    .superRefine(jobKindRules)
    .superRefine(imageRules(config))
    .superRefine(clipRules(config))
    .superRefine((r, ctx) => {
      const max = r.maxScenes ?? defaults.maxScenes;
      if (r.scenes && r.scenes.length > max) ctx.addIssue({ code: 'custom', path: ['scenes'], message: `must hold at most maxScenes (${max}) scenes` });
    })
    .transform(({ style = defaults.style, aspectRatio = defaults.aspectRatio, provider = defaults.provider, durationSeconds, maxScenes = defaults.maxScenes, storyboard = defaults.storyboard, ...rest }) => ({
      ...rest,
      style,
      aspectRatio,
      provider,
      durationSeconds: durationSeconds ?? requestDefaults(config, provider).durationSeconds,
      maxScenes,
      storyboard,
    }));
}

export type GenerateRequest = z.infer<ReturnType<typeof generateRequestSchema>>;

/** The request as a job records it: without the defaults of fields its kind does not use. */
export function recordedRequest(request: GenerateRequest): Record<string, unknown> {
  const ignored = new Set<string>(IGNORED_BY_KIND[request.kind]);
  return Object.fromEntries(Object.entries(request).filter(([key]) => !ignored.has(key)));
}

/** What a veo_scene task stores as its input (all task inputs live in ./task-inputs.ts). */
export { veoSceneInputSchema, type VeoSceneInput } from './task-inputs.js';

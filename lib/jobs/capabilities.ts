/**
 * What a form needs to offer only what the API accepts (GET /api/video/capabilities): the model's
 * clip lengths, shapes and frame rules, every text limit, the choices and their defaults. Read
 * from the very constants the request schema validates with, so a form built on it cannot offer
 * what generate would refuse.
 */
import { z } from 'zod';
import type { Caller } from '../auth/jwt.js';
import type { Config } from '../config.js';
import { LUMA_RESOLUTIONS, PROVIDER_LABELS, VIDEO_PROVIDERS, videoModelLimits } from '../model-limits.js';
import { clipLimitsOf, JOB_KINDS, MAX_PROMPT_CHARS, PRIORITIES, requestDefaults, STYLES, TEXT_LIMITS } from './generate-request.js';


const providerSchema = z.object({
  name: z.enum(VIDEO_PROVIDERS),
  label: z.string(),
  model: z.string(),
  durations: z.array(z.number().int()).meta({ description: 'Seconds per scene this provider makes.' }),
  defaultDuration: z.number().int(),
  aspectRatios: z.array(z.string()),
  keyframes: z.enum(['inline', 'url']).meta({ description: 'How first frames reach the provider: inline bytes (Veo), or a signed Storage URL it fetches (Luma).' }),
  resolution: z.enum(LUMA_RESOLUTIONS).optional().meta({ description: 'The resolution Luma renders at (LUMA_RESOLUTION).' }),
  maxInFlight: z.number().int().optional().meta({ description: 'This provider\'s own cap on operations in flight, within MAX_IN_FLIGHT.' }),
});

export const capabilitiesSchema = z.object({
  provider: z.enum(VIDEO_PROVIDERS).meta({ description: 'Who makes the clips of a job that names no provider: Google Veo, Luma, or the local stand-in (npm start without keys).' }),
  providers: z.array(providerSchema).meta({ description: 'Every provider a job may name (`provider` on generate), the default first, each with the clip lengths and shapes it makes.' }),
  video: z.object({
    model: z.string().meta({ description: "The default provider's model; `providers` has every provider's. The frame rules are Veo's." }),
    durations: z.array(z.number().int()).meta({ description: 'Seconds per scene the model makes.' }),
    defaultDuration: z.number().int(),
    aspectRatios: z.array(z.string()),
    defaultAspectRatio: z.string(),
    referenceImages: z.boolean(),
    frames: z.object({
      framesDuration: z.number().int().optional().meta({ description: 'With interpolation or reference images, the only duration accepted.' }),
      referenceAspectRatios: z.array(z.string()),
      maxAssetImages: z.number().int(),
      maxStyleImages: z.number().int(),
    }),
  }),
  styles: z.array(z.enum(STYLES)),
  defaultStyle: z.enum(STYLES),
  kinds: z.array(z.enum(JOB_KINDS)),
  priorities: z.array(z.enum(PRIORITIES)),
  defaultPriority: z.enum(PRIORITIES),
  keyframes: z.boolean().meta({ description: 'Whether video jobs may ask for a still per scene as its first frame (stills need Google, or the stand-in locally).' }),
  modelStoryboard: z.boolean().meta({ description: "Whether storyboard: 'model' is served (it needs a Google key); otherwise the splitter writes every storyboard." }),
  limits: z.object({
    responseChars: z.number().int(),
    questionChars: z.number().int(),
    negativePromptChars: z.number().int(),
    sceneTextChars: z.number().int().meta({ description: 'Longest text of one approved scene (scenes[].text).' }),
    promptChars: z.number().int().meta({ description: "Longest prompt a scene's clip is asked with." }),
    maxScenes: z.number().int(),
    defaultMaxScenes: z.number().int(),
    maxVariations: z.number().int(),
  }),
  operator: z.boolean().meta({ description: 'Whether the caller is an operator: may open the dashboard\'s operator view and read GET /api/video/metrics.' }),
  quotas: z.object({
    jobsPerHour: z.number().int().meta({ description: 'Jobs a professor may start per rolling hour; 0: no limit.' }),
    activeJobs: z.number().int().meta({ description: 'Jobs a professor may have running at once; 0: no limit.' }),
  }),
});

export type Capabilities = z.infer<typeof capabilitiesSchema>;

export function capabilitiesOf(config: Config, caller: Pick<Caller, 'admin'>): Capabilities {
  const model = videoModelLimits(config.VEO_MODEL);
  const clips = clipLimitsOf(config);
  const defaults = requestDefaults(config);
  return {
    provider: config.provider,
    providers: config.providers.map((name) => {
      const limits = clipLimitsOf(config, name);
      const cap = name === 'local' ? undefined : config.inFlightCaps[name];
      return {
        name,
        label: PROVIDER_LABELS[name],
        model: limits.model,
        durations: limits.durations,
        defaultDuration: requestDefaults(config, name).durationSeconds,
        aspectRatios: [...limits.aspectRatios],
        keyframes: name === 'luma' ? ('url' as const) : ('inline' as const),
        ...(name === 'luma' ? { resolution: config.LUMA_RESOLUTION } : {}),
        ...(cap !== undefined ? { maxInFlight: cap } : {}),
      };
    }),
    video: {
      model: clips.model,
      durations: clips.durations,
      defaultDuration: defaults.durationSeconds,
      aspectRatios: [...clips.aspectRatios],
      defaultAspectRatio: defaults.aspectRatio,
      referenceImages: model.referenceImages,
      frames: {
        ...(model.frames.framesDuration !== undefined ? { framesDuration: model.frames.framesDuration } : {}),
        referenceAspectRatios: [...model.frames.referenceAspectRatios],
        maxAssetImages: model.frames.maxAssetImages,
        maxStyleImages: model.frames.maxStyleImages,
      },
    },
    styles: [...STYLES],
    defaultStyle: defaults.style,
    // Image jobs make stills only, which need an image provider.
    kinds: JOB_KINDS.filter((k) => k !== 'image' || config.imageProvider !== undefined),
    priorities: [...PRIORITIES],
    defaultPriority: defaults.priority,
    keyframes: config.imageProvider !== undefined,
    modelStoryboard: config.google,
    limits: {
      responseChars: TEXT_LIMITS.response,
      questionChars: TEXT_LIMITS.question,
      negativePromptChars: TEXT_LIMITS.negativePrompt,
      sceneTextChars: TEXT_LIMITS.sceneText,
      promptChars: MAX_PROMPT_CHARS,
      maxScenes: config.MAX_SCENES,
      defaultMaxScenes: defaults.maxScenes,
      maxVariations: config.MAX_VARIATIONS,
    },
    operator: caller.admin,
    quotas: { jobsPerHour: config.QUOTA_JOBS_PER_HOUR, activeJobs: config.QUOTA_ACTIVE_JOBS },
  };
}

/**
 * What each video model accepts, with no SDK import: read by request validation
 * (lib/jobs/generate-request.ts), by the providers, and by the capabilities a dashboard is shown. Every
 * per-model rule lives here so it is written once.
 */

/** The providers a job can be made by: Google Veo, Luma Dream Machine, or the local stand-in. */
export const VIDEO_PROVIDERS = ['veo', 'luma', 'local'] as const;
export type VideoProviderName = (typeof VIDEO_PROVIDERS)[number];

/** How a person names each provider (capabilities, the dashboard's scene cards). */
export const PROVIDER_LABELS: Record<VideoProviderName, string> = { veo: 'Google Veo', luma: 'Luma Dream Machine', local: 'Local stand-in' };

/** The short name a sentence uses ("new Luma clips are paused"); an unknown name is shown as it is. */
export function providerShortName(provider: string): string {
  const short: Record<VideoProviderName, string> = { veo: 'Veo', luma: 'Luma', local: 'stand-in' };
  return (VIDEO_PROVIDERS as readonly string[]).includes(provider) ? short[provider as VideoProviderName] : provider;
}

/** The aspect ratios every supported model renders. */
export const VIDEO_ASPECT_RATIOS = ['16:9', '9:16'] as const;
export type VideoAspectRatio = (typeof VIDEO_ASPECT_RATIOS)[number];

export interface VideoModelLimits {
  /** The model id as configured (a Vertex resource path is reduced to its last segment). */
  model: string;
  /** Seconds per clip the model makes. */
  durations: number[];
  aspectRatios: readonly VideoAspectRatio[];
  /** Whether subject (`asset`) or look (`style`) reference images are accepted. */
  referenceImages: boolean;
  /** Frame and reference rules (frameProblems applies them). */
  frames: VideoFrameRules;
  /** Set when Google has discontinued the model: the one to use instead. */
  successor?: string;
  /** The Vertex API version the model is called on (absent: the SDK's default, v1beta1). */
  vertexApiVersion?: 'v1';
}

function modelId(model: string): string {
  return model.split('/').pop() ?? model;
}

/**
 * The per-scene durations (seconds) a Veo model accepts: Veo 2 takes 5–8, Veo 3.x takes 4, 6 or 8.
 * Unknown names get the Veo 3 set, the current generation.
 */
export function allowedDurations(model: string): number[] {
  return /^veo-2(\.|-|$)/.test(modelId(model)) ? [5, 6, 7, 8] : [4, 6, 8];
}

/** Reference images (subject or style) are a Veo 3.1 and veo-2.0-generate-exp feature; others refuse them. */
export function supportsReferenceImages(model: string): boolean {
  const id = modelId(model);
  return /^veo-3\.1-/.test(id) || id === 'veo-2.0-generate-exp';
}

export function videoModelLimits(model: string): VideoModelLimits {
  return {
    model: modelId(model),
    durations: allowedDurations(model),
    aspectRatios: VIDEO_ASPECT_RATIOS,
    referenceImages: supportsReferenceImages(model),
    frames: frameRules(model),
    ...(discontinuedSuccessor(model) ? { successor: discontinuedSuccessor(model) } : {}),
    ...(vertexApiVersion(model) ? { vertexApiVersion: vertexApiVersion(model) } : {}),
  };
}

/**
 * Models Google lists as discontinued (retired 2026-06-30), with the successor its migration
 * table names. Configuring one is refused at start-up (lib/config.ts).
 */
export const DISCONTINUED_VIDEO_MODELS: Readonly<Record<string, string>> = {
  'veo-2.0-generate-001': 'veo-3.1-generate-001',
  'veo-3.0-generate-001': 'veo-3.1-generate-001',
  'veo-3.0-fast-generate-001': 'veo-3.1-fast-generate-001',
};

/** The successor of a discontinued model, or undefined when the model is current. */
export function discontinuedSuccessor(model: string): string | undefined {
  return DISCONTINUED_VIDEO_MODELS[modelId(model)];
}

/**
 * The Vertex API version to call: GA models (`-001`) on `v1`, since `v1beta1` answers
 * RESOURCE_PROJECT_INVALID for them (python-genai#2079); previews stay on the SDK's default.
 */
export function vertexApiVersion(model: string): 'v1' | undefined {
  return /-\d{3}$/.test(modelId(model)) ? 'v1' : undefined;
}

/** Frame and reference rules from Google's Veo documentation, as data the dashboard can show. */
export interface VideoFrameRules {
  /** `lastFrame` (interpolation) is only accepted with a first frame (`image`). */
  lastFrameNeedsImage: true;
  /** With interpolation or reference images, the only duration accepted (Veo 3.1: 8 s). */
  framesDuration?: number;
  /** The aspect ratios reference images are accepted at. */
  referenceAspectRatios: readonly VideoAspectRatio[];
  /** At most this many asset images, or this many style images, never a mix. */
  maxAssetImages: number;
  maxStyleImages: number;
}

export function frameRules(model: string): VideoFrameRules {
  return {
    lastFrameNeedsImage: true,
    ...(/^veo-3\.1-/.test(modelId(model)) ? { framesDuration: 8 } : {}),
    referenceAspectRatios: ['16:9'],
    maxAssetImages: 3,
    maxStyleImages: 1,
  };
}

export interface FramedRequest {
  durationSeconds: number;
  aspectRatio: string;
  image?: unknown;
  lastFrame?: unknown;
  referenceImages?: ReadonlyArray<{ referenceType: 'asset' | 'style' }>;
}

/**
 * What Veo would refuse about a request's frames and references, each naming its field; empty
 * when it would accept them. Checked before any paid call.
 */
export function frameProblems(model: string, request: FramedRequest): Array<{ field: string; message: string }> {
  const rules = frameRules(model);
  const problems: Array<{ field: string; message: string }> = [];
  const refs = request.referenceImages ?? [];
  if (request.lastFrame !== undefined && request.image === undefined) {
    problems.push({ field: 'lastFrame', message: 'needs image (the first frame): Veo only interpolates between two frames' });
  }
  if (refs.length > 0) {
    if (!supportsReferenceImages(model)) problems.push({ field: 'referenceImages', message: `are not accepted by ${modelId(model)}` });
    if (!rules.referenceAspectRatios.includes(request.aspectRatio as VideoAspectRatio)) {
      problems.push({ field: 'aspectRatio', message: `must be ${rules.referenceAspectRatios.join(' or ')} with referenceImages` });
    }
    const styles = refs.filter((r) => r.referenceType === 'style').length;
    const assets = refs.length - styles;
    if (styles > 0 && assets > 0) problems.push({ field: 'referenceImages', message: 'must be asset images or one style image, not a mix' });
    else if (assets > rules.maxAssetImages) problems.push({ field: 'referenceImages', message: `must be at most ${rules.maxAssetImages} asset images` });
    else if (styles > rules.maxStyleImages) problems.push({ field: 'referenceImages', message: `must be at most ${rules.maxStyleImages} style image` });
  }
  const framed = (request.lastFrame !== undefined && request.image !== undefined) || refs.length > 0;
  if (framed && rules.framesDuration !== undefined && request.durationSeconds !== rules.framesDuration) {
    problems.push({ field: 'durationSeconds', message: `must be ${rules.framesDuration} with lastFrame or referenceImages on ${modelId(model)}` });
  }
  return problems;
}

/*
 * Luma Dream Machine (issue 17). Pinned from Luma's API reference for
 * POST /dream-machine/v1/generations and the `lumaai` SDK 1.19.1 types: the models this service
 * supports, what each accepts, and the mapping between its "5s"/"9s" durations and the whole
 * seconds every scene carries. Written here, beside Veo's, so request validation, the provider
 * and the capabilities endpoint read one list.
 */

/** Luma models this service calls. Ray 1.6 is left out: it takes no duration or resolution. */
export const LUMA_MODELS = ['ray-2', 'ray-flash-2'] as const;
export type LumaModel = (typeof LUMA_MODELS)[number];

/** Luma's duration strings and the seconds each stands for. */
export const LUMA_DURATIONS = { '5s': 5, '9s': 9 } as const;
export type LumaDuration = keyof typeof LUMA_DURATIONS;

/** Resolutions Luma renders Ray 2 and Ray Flash 2 at (4k is an upscale, billed as such). */
export const LUMA_RESOLUTIONS = ['540p', '720p', '1080p', '4k'] as const;
export type LumaResolution = (typeof LUMA_RESOLUTIONS)[number];

/**
 * Luma also renders 1:1, 4:3, 3:4, 21:9 and 9:21, but the final cut and poster are composed at
 * 16:9 or 9:16 only, so the service offers Luma the same two shapes as Veo.
 */
export const LUMA_ASPECT_RATIOS: readonly VideoAspectRatio[] = VIDEO_ASPECT_RATIOS;

/** Luma's keyframe rules, as data the dashboard can show. */
export interface LumaFrameRules {
  /** Keyframes are passed as image URLs Luma fetches while the generation is queued. */
  keyframesAsUrls: true;
  /** Unlike Veo, Luma accepts an end frame (frame1) alone. */
  lastFrameNeedsImage: false;
  /** Luma takes no subject or style reference images on these models. */
  referenceImages: false;
}

export interface LumaModelLimits {
  model: LumaModel;
  durations: number[];
  resolutions: readonly LumaResolution[];
  aspectRatios: readonly VideoAspectRatio[];
  frames: LumaFrameRules;
}

export function isLumaModel(model: string): model is LumaModel {
  return (LUMA_MODELS as readonly string[]).includes(model);
}

export function lumaModelLimits(model: LumaModel): LumaModelLimits {
  return {
    model,
    durations: Object.values(LUMA_DURATIONS),
    resolutions: LUMA_RESOLUTIONS,
    aspectRatios: LUMA_ASPECT_RATIOS,
    frames: { keyframesAsUrls: true, lastFrameNeedsImage: false, referenceImages: false },
  };
}

/**
 * The accepted duration closest to the one asked for, ties to the longer clip (a scene's narration
 * should not be cut short). Used when a retry moves a scene to a provider that refuses its length.
 */
export function nearestDuration(accepted: readonly number[], seconds: number): number {
  if (accepted.length === 0) throw new Error('nearestDuration: no accepted durations');
  return accepted.reduce((best, d) => {
    const gap = Math.abs(d - seconds);
    const bestGap = Math.abs(best - seconds);
    return gap < bestGap || (gap === bestGap && d > best) ? d : best;
  });
}

/** Luma's duration string for whole seconds it accepts; undefined for any other length. */
export function toLumaDuration(seconds: number): LumaDuration | undefined {
  const hit = (Object.entries(LUMA_DURATIONS) as Array<[LumaDuration, number]>).find(([, s]) => s === seconds);
  return hit?.[0];
}

export interface LumaRequest {
  durationSeconds: number;
  aspectRatio: string;
  resolution?: string;
  referenceImages?: ReadonlyArray<unknown>;
}

/**
 * What Luma would refuse about a request on a model, each naming its field; empty when it would
 * accept it. Checked before any paid call, as frameProblems is for Veo.
 */
export function lumaProblems(model: string, request: LumaRequest): Array<{ field: string; message: string }> {
  if (!isLumaModel(model)) return [{ field: 'model', message: `must be one of ${LUMA_MODELS.join(', ')}` }];
  const limits = lumaModelLimits(model);
  const problems: Array<{ field: string; message: string }> = [];
  if (!limits.durations.includes(request.durationSeconds)) {
    problems.push({ field: 'durationSeconds', message: `must be ${limits.durations.join(' or ')} on ${model}` });
  }
  if (!limits.aspectRatios.includes(request.aspectRatio as VideoAspectRatio)) {
    problems.push({ field: 'aspectRatio', message: `must be ${limits.aspectRatios.join(' or ')} on ${model}` });
  }
  if (request.resolution !== undefined && !limits.resolutions.includes(request.resolution as LumaResolution)) {
    problems.push({ field: 'resolution', message: `must be one of ${limits.resolutions.join(', ')} on ${model}` });
  }
  if ((request.referenceImages ?? []).length > 0) {
    problems.push({ field: 'referenceImages', message: `are not accepted by ${model}` });
  }
  return problems;
}

/** A provider's model as jobs see it: what each clip may be, whichever provider makes it. */
export interface ProviderClipLimits {
  provider: VideoProviderName;
  model: string;
  durations: number[];
  aspectRatios: readonly VideoAspectRatio[];
}

/**
 * The clip rules of each provider with the configured models: Veo's per model, Luma's pinned list,
 * and the stand-in's, which are Veo's (it stands in for Veo, so a job moved between them fits).
 */
export function clipLimits(provider: VideoProviderName, models: { veo: string; luma: LumaModel }): ProviderClipLimits {
  if (provider === 'luma') {
    const luma = lumaModelLimits(models.luma);
    return { provider, model: luma.model, durations: luma.durations, aspectRatios: luma.aspectRatios };
  }
  const veo = videoModelLimits(models.veo);
  return { provider, model: provider === 'local' ? `${veo.model} (local stand-in)` : veo.model, durations: veo.durations, aspectRatios: veo.aspectRatios };
}

/**
 * What each video model accepts, with no SDK import: read by request validation
 * (lib/jobs/request.ts), by the providers, and by the capabilities a dashboard is shown. Every
 * per-model rule lives here so it is written once.
 */

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

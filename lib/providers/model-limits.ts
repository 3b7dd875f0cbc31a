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
  };
}

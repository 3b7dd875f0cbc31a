/**
 * The new-explainer form's choices and limits, read from GET /api/video/capabilities (never
 * written into the page), narrowed to what the form shows.
 */
import type { Capabilities } from '../lib/jobs/capabilities.js';

export interface FormLimits {
  responseMax: number;
  questionMax: number;
  sceneTextMax: number;
  styles: Array<{ value: string; label: string }>;
  defaultStyle: string;
  aspectRatios: string[];
  defaultAspectRatio: string;
  durations: number[];
  defaultDuration: number;
  maxScenes: number;
  defaultMaxScenes: number;
  maxVariations: number;
  keyframes: boolean;
}

/** Words for the API's style names; a style the page does not know yet shows its name. */
const STYLE_LABELS: Record<string, string> = { calm: 'Calm and clear', fun: 'Playful', background: 'Ambient background' };

export function formLimits(capabilities: Capabilities): FormLimits {
  return {
    responseMax: capabilities.limits.responseChars,
    questionMax: capabilities.limits.questionChars,
    sceneTextMax: capabilities.limits.sceneTextChars,
    styles: capabilities.styles.map((value) => ({ value, label: STYLE_LABELS[value] ?? value })),
    defaultStyle: capabilities.defaultStyle,
    aspectRatios: capabilities.video.aspectRatios,
    defaultAspectRatio: capabilities.video.defaultAspectRatio,
    durations: capabilities.video.durations,
    defaultDuration: capabilities.video.defaultDuration,
    maxScenes: capabilities.limits.maxScenes,
    defaultMaxScenes: capabilities.limits.defaultMaxScenes,
    maxVariations: capabilities.limits.maxVariations,
    keyframes: capabilities.keyframes,
  };
}

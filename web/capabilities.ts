/**
 * The new-explainer form's choices and limits, read from GET /api/video/capabilities (never
 * written into the page), narrowed to what the form shows.
 */
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
  /** The clip length keyframes (first frames) require, when the model has such a rule. */
  keyframeDuration?: number | undefined;
}

const STYLE_LABELS: Record<string, string> = { calm: 'Calm and clear', fun: 'Playful', background: 'Ambient background' };

export function formLimits(raw: unknown): FormLimits {
  void raw;
  throw new Error('capabilities: not wired yet');
}

export { STYLE_LABELS };

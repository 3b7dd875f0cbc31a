/**
 * The new-explainer form's choices and limits, read from GET /api/video/capabilities (never
 * written into the page), narrowed to what the form shows.
 */
import type { Capabilities } from '../lib/jobs/capabilities.js';

/** One provider a job may name, as the form offers it. */
export interface ProviderChoice {
  name: string;
  label: string;
  durations: number[];
  defaultDuration: number;
  aspectRatios: string[];
}

export interface FormLimits {
  /** Every provider configured, the default first; the form offers a choice only when there are two or more. */
  providers: ProviderChoice[];
  defaultProvider: string;
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
    providers: capabilities.providers.map((p) => ({ name: p.name, label: p.label, durations: p.durations, defaultDuration: p.defaultDuration, aspectRatios: p.aspectRatios })),
    defaultProvider: capabilities.provider,
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

/** The clip lengths and shapes the chosen provider makes (the default's when the name is unknown). */
export function providerChoice(limits: FormLimits, name: string): Pick<ProviderChoice, 'durations' | 'defaultDuration' | 'aspectRatios'> {
  return limits.providers.find((p) => p.name === name) ?? { durations: limits.durations, defaultDuration: limits.defaultDuration, aspectRatios: limits.aspectRatios };
}

/**
 * The form's clip length and shape after the professor picks another provider: kept when the new
 * one makes them, else its default, so the form never holds a value generate would refuse.
 */
export function withProvider<V extends { provider: string; durationSeconds: number; aspectRatio: string }>(values: V, limits: FormLimits, provider: string): V {
  const choice = providerChoice(limits, provider);
  return {
    ...values,
    provider,
    durationSeconds: choice.durations.includes(values.durationSeconds) ? values.durationSeconds : choice.defaultDuration,
    aspectRatio: choice.aspectRatios.includes(values.aspectRatio) ? values.aspectRatio : (choice.aspectRatios[0] ?? values.aspectRatio),
  };
}

/** Whether the form offers a provider choice (and so sends `provider`). */
export const offersProviders = (limits: FormLimits): boolean => limits.providers.length > 1;

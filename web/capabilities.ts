/**
 * The new-explainer form's choices and limits, read from GET /api/video/capabilities (never
 * written into the page), narrowed to what the form shows.
 */
import type { Capabilities } from '../lib/jobs/capabilities.js';
import type { Api } from './api.js';

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

let cached: Promise<FormLimits> | undefined;

/** The capabilities as the page uses them, read once per page load (again after a failed read). */
export function loadFormLimits(api: Api): Promise<FormLimits> {
  cached ??= api.request<Capabilities>('/api/video/capabilities').then(formLimits, (err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** What a retry may move a job's failed clips to. */
export interface RetryChoice {
  providers: ProviderChoice[];
  /** The provider the failed clips were made on, when it is still offered: choosing it sends no `provider`. */
  current: string | undefined;
  /** What the dialog starts at: the current provider, else the default. */
  initial: string;
}

/**
 * The providers a retry offers for a job's failed parts: only with two or more configured and a
 * failed clip among them (stills and cuts are not made by a video provider). Undefined otherwise,
 * and then the retry sends no `provider`.
 */
export function retryChoice(limits: FormLimits | undefined, failed: ReadonlyArray<{ kind: string; provider?: string | null | undefined }>): RetryChoice | undefined {
  if (!limits || !offersProviders(limits)) return undefined;
  const clip = failed.find((s) => s.kind === 'veo_scene');
  if (!clip) return undefined;
  // A provider this deployment no longer offers is not "as before": whatever is picked is sent.
  const current = clip.provider && limits.providers.some((p) => p.name === clip.provider) ? clip.provider : undefined;
  return { providers: limits.providers, current, initial: current ?? limits.defaultProvider };
}

/** The retry's body: `{provider}` when the professor picked another provider than the clips had. */
export function retryBody(choice: RetryChoice | undefined, picked: string | undefined): { provider: string } | undefined {
  return choice && picked && picked !== choice.current ? { provider: picked } : undefined;
}

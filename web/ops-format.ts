/**
 * Words for the operator view: task kinds, stop reasons and failure codes as an operator reads
 * them, and durations at the precision each figure deserves. A name the page does not know yet
 * (a new kind or error code) shows as it is, so nothing the API reports is hidden.
 */
import type { TickRunView } from '../lib/ops/schema.js';
import { providerLabel } from './format.js';

const KIND_LABELS: Record<string, string> = {
  veo_scene: 'Video scenes',
  imagen_still: 'Keyframe stills',
  render: 'Final cuts',
  variation: 'Variations',
};

const STOP_LABELS: Record<string, string> = {
  idle: 'Nothing more due',
  budget: 'Ran out of time',
  aborted: 'Shut down',
};

const REASON_LABELS: Record<string, string> = {
  safety_filtered: 'Blocked by the safety filter',
  timed_out: 'Ran past its deadline',
  provider_error: 'Provider error',
  provider_rejected: 'Refused by the provider',
  provider_bad_response: 'Unreadable provider answer',
  rate_limited: 'Rate limited',
  no_video: 'Finished without a video',
  no_image: 'Finished without an image',
  no_scenes: 'No scene to cut',
  no_source: 'Source video missing',
  misconfigured: 'Misconfigured',
  invalid_input: 'Invalid input',
  internal: 'Internal error',
  unknown: 'No reason recorded',
};

export const kindLabel = (kind: string): string => KIND_LABELS[kind] ?? kind;
export const stopLabel = (reason: string): string => STOP_LABELS[reason] ?? reason;
export const reasonLabel = (code: string): string => REASON_LABELS[code] ?? code;

/** "—" for no figure, "850 ms" under a second, "12.4 s" under a minute, then minutes and hours. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}

/** Share of the in-flight slots in use, 0–1; a cap of 0 means nothing may start. */
export function slotsUsed(operations: number, maxInFlight: number): number {
  if (maxInFlight <= 0) return operations > 0 ? 1 : 0;
  return Math.min(1, operations / maxInFlight);
}

/** Failure reasons, most frequent first, ties by name, so the list does not reorder between refreshes. */
export function rankedReasons(byReason: Record<string, number>): Array<{ code: string; count: number }> {
  return Object.entries(byReason)
    .filter(([, count]) => count > 0)
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** A tick as the operator view reads it (lib/ops/schema.ts), less what folding does not look at. */
export type TickLike = Omit<TickRunView, 'finishedAt' | 'generationEnabled'>;

export type TickRow<T extends TickLike> = { kind: 'tick'; tick: T } | { kind: 'idle'; count: number; newest: T; oldest: T };

const didNothing = (t: TickLike) =>
  t.stoppedBecause === 'idle' && t.created + t.polled + t.completed + t.failed + t.uploaded + t.retried + t.expired + t.released + t.lost === 0;

/**
 * Ticks as an operator reads them: runs of ticks that found nothing to do fold into one row, so
 * the ones that worked (or stopped early) stand out. A single idle tick stays a tick.
 */
export function foldIdleTicks<T extends TickLike>(ticks: readonly T[]): Array<TickRow<T>> {
  const rows: Array<TickRow<T>> = [];
  let run: T[] = [];
  const flush = () => {
    if (run.length === 1) rows.push({ kind: 'tick', tick: run[0]! });
    else if (run.length > 1) rows.push({ kind: 'idle', count: run.length, newest: run[0]!, oldest: run.at(-1)! });
    run = [];
  };
  for (const tick of ticks) {
    if (didNothing(tick)) run.push(tick);
    else {
      flush();
      rows.push({ kind: 'tick', tick });
    }
  }
  flush();
  return rows;
}

/** The operator's warning for a paused provider: who, until when, why, and what happens meanwhile. */
export function pausedProviderText(p: { provider: string; pausedUntil: string; reason: string }, now: Date): string {
  const until = new Date(p.pausedUntil);
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  return `New ${providerLabel(p.provider)} starts are paused until ${until.toISOString().slice(11, 16)} UTC (${minutes} min): ${p.reason}. Its scenes wait without using an attempt, other providers go on, and the first start after the pause tries again.`;
}

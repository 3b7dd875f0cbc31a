/** Words and numbers the views show, kept out of the components so they can be tested alone. */
import { formatDistanceStrict } from 'date-fns';
import { PROVIDER_LABELS } from '../lib/model-limits.js';
import { isActive } from '../lib/states.js';

export const STATUS_LABEL: Record<string, string> = {
  pending: 'Waiting',
  processing: 'Generating',
  completed: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

export { isActive };

/**
 * What a scene's error is to its professor: why it failed once it has, and while it is still being
 * made, what the last try met (a transient error or a generation the provider failed, tried again).
 */
export function sceneErrorLead(status: string): string {
  return isActive(status) ? 'Trying again after:' : 'Why it failed:';
}

/** Who made a clip, in words; an unknown provider shows its name. */
export const providerLabel = (name: string): string => (PROVIDER_LABELS as Record<string, string>)[name] ?? name;

/** "3 minutes ago"; "just now" within ten seconds (a clock a little ahead must not say "in 2 seconds"). */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  if (now - at < 10_000) return 'just now';
  return `${formatDistanceStrict(at, now)} ago`;
}

/** "1:05", "12:00", "1:02:03": an elapsed time as a clock shows it. */
export function elapsed(fromIso: string, toMs: number): string {
  const seconds = Math.max(0, Math.floor((toMs - Date.parse(fromIso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** When a refused request may be tried again, in words: "in 40 seconds (at 14:05)". */
export function retryWhen(seconds: number, now: number): string {
  const at = new Date(now + seconds * 1000);
  const clock = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (seconds < 60) return `in ${Math.max(1, Math.ceil(seconds))} second${Math.ceil(seconds) === 1 ? '' : 's'} (at ${clock})`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? '' : 's'} (at ${clock})`;
}

export function megabytes(bytes: number | null | undefined): string {
  if (!bytes) return '';
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The first words of a text, cut at a word, for a title. */
export function headline(text: string, max = 90): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.lastIndexOf(' ', max - 1);
  return `${clean.slice(0, cut > max / 2 ? cut : max - 1)}…`;
}

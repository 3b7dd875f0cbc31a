/**
 * Where a job stands in the start queue and when it should start and finish, from a snapshot of
 * the queue (./queue.ts reads it). The model: MAX_IN_FLIGHT slots, each running one operation at
 * a time for D seconds, D being the median of the recent operations of that kind (started →
 * completed, so it includes the poll that noticed the end). A running operation frees its slot
 * at max(now, startedAt + D); free slots are free now. Waiting scenes take slots in the claim's
 * order (fair share, then priority): the scene with k scenes ahead of it starts at
 * free[k mod C] + floor(k / C) × D, with the C slot times sorted (with equal lengths, slots hand
 * over in that order). A job completes when its last operation ends, plus the median time of
 * each of its other active tasks (the final cut, variations), which run after the scenes.
 */
import { KINDS } from '../kinds/registry.js';
import { veoSceneKind } from '../kinds/veo-scene.js';

export interface QueueSnapshot {
  now: Date;
  maxInFlight: number;
  /** Median seconds per task kind; a kind without history uses its descriptor's typicalSeconds (lib/kinds/). */
  medianSeconds: Readonly<Record<string, number>>;
  /** When each operation now holding a slot started (a claimed, not yet created one: now). */
  runningStartedAt: Date[];
}

export interface JobTaskState {
  kind: string;
  /** Holds a slot (an operation running, or claimed to start). */
  running: boolean;
  startedAt: Date | null;
  /** Scenes ahead of this task in the start queue; null when it is not waiting there. */
  ahead: number | null;
  active: boolean;
  /** Opens a paid operation (a slot); other kinds run after and add their median time. */
  usesSlot: boolean;
}

export interface Standing {
  queuePosition: number | null;
  /** True when the job's first waiting scene has no free slot now. */
  waitsForRoom: boolean;
  estimatedStartAt: Date | null;
  estimatedCompletedAt: Date | null;
}

/** A kind's recent median, else (none of it has completed yet) its descriptor's typical time, else a minute. */
export function secondsOf(snapshot: QueueSnapshot, kind: string): number {
  return snapshot.medianSeconds[kind] ?? KINDS.find(kind)?.typicalSeconds ?? 60;
}

/** When each of the C slots is next free (ms since epoch), ascending. */
export function slotFreeTimes(snapshot: QueueSnapshot, operationSeconds: number): number[] {
  const now = snapshot.now.getTime();
  const cap = Math.max(1, snapshot.maxInFlight);
  const ends = snapshot.runningStartedAt.map((s) => Math.max(now, s.getTime() + operationSeconds * 1000)).sort((a, b) => a - b);
  // Over the cap (it was lowered), the first ones to end free no slot.
  if (ends.length >= cap) return ends.slice(ends.length - cap);
  return [...Array<number>(cap - ends.length).fill(now), ...ends];
}

/** When the scene with `ahead` scenes before it in the queue starts (ms since epoch). */
export function startTime(free: number[], ahead: number, operationSeconds: number): number {
  const cap = free.length;
  return free[ahead % cap]! + Math.floor(ahead / cap) * operationSeconds * 1000;
}

/** `slotKind`: whose median D times the slots; clips, the longest paid operations, by default. */
export function standingOf(snapshot: QueueSnapshot, tasks: JobTaskState[], slotKind: string = veoSceneKind.kind): Standing {
  const now = snapshot.now.getTime();
  const d = secondsOf(snapshot, slotKind);
  const free = slotFreeTimes(snapshot, d);
  const waiting = tasks.filter((t) => t.ahead !== null).map((t) => t.ahead!);
  const queuePosition = waiting.length > 0 ? Math.min(...waiting) : null;
  const active = tasks.filter((t) => t.active);
  let end: number | null = null;
  if (active.length > 0) {
    end = now;
    for (const t of active.filter((x) => x.usesSlot)) {
      const own = secondsOf(snapshot, t.kind) * 1000;
      const at = t.ahead !== null ? startTime(free, t.ahead, d) + own : t.running && t.startedAt ? Math.max(now, t.startedAt.getTime() + own) : now + own;
      end = Math.max(end, at);
    }
    for (const t of active.filter((x) => !x.usesSlot)) end += secondsOf(snapshot, t.kind) * 1000;
  }
  return {
    queuePosition,
    waitsForRoom: queuePosition !== null && queuePosition >= free.filter((f) => f <= now).length,
    estimatedStartAt: queuePosition === null ? null : new Date(startTime(free, queuePosition, d)),
    estimatedCompletedAt: end === null ? null : new Date(end),
  };
}

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
 *
 * With a provider's own cap (MAX_IN_FLIGHT_LUMA, …) or a paused provider, the claim skips the
 * scenes of a provider with no room and takes later ones in the same order
 * (20261205002000_provider_caps_and_pauses.sql), so a scene's rank no longer says when it starts:
 * the snapshot then carries every waiting scene's provider in order, and simulateStarts plays the
 * claim forward instead.
 */
import { KINDS } from '../kinds/registry.js';
import { veoSceneKind } from '../kinds/veo-scene.js';
import { MinHeap } from '../min-heap.js';

export interface QueueSnapshot {
  now: Date;
  maxInFlight: number;
  /** Median seconds per task kind; a kind without history uses its descriptor's typicalSeconds (lib/kinds/). */
  medianSeconds: Readonly<Record<string, number>>;
  /** Each operation now holding a slot: when it started (a claimed, not yet created one: now), and on which provider. */
  running: RunningOperation[];
  /** Providers with a cap of their own, within maxInFlight. */
  providerCaps?: Readonly<Record<string, number>>;
  /** Providers paused now, until when (ms since epoch): no room for them before then. */
  pausedUntil?: Readonly<Record<string, number>>;
  /**
   * The provider of every waiting scene, in the claim's order (null: a row planned before
   * providers were chosen, never capped). Read only when a cap or a pause can bind.
   */
  order?: ReadonlyArray<string | null>;
}

export interface RunningOperation {
  startedAt: Date;
  provider: string | null;
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
  /** Scenes that start before the job's first waiting one. */
  queuePosition: number | null;
  /** True when the job's first waiting scene has no free slot now. */
  waitsForRoom: boolean;
  /** What holds that scene now, when it waits: the slots, its provider's own cap, or its provider's pause. */
  heldBy: Hold | null;
  estimatedStartAt: Date | null;
  estimatedCompletedAt: Date | null;
}

export type Hold = { by: 'slots' } | { by: 'provider_cap'; provider: string } | { by: 'provider_paused'; provider: string; until: Date };

/** A kind's recent median, else (none of it has completed yet) its descriptor's typical time, else a minute. */
export function secondsOf(snapshot: QueueSnapshot, kind: string): number {
  return snapshot.medianSeconds[kind] ?? KINDS.find(kind)?.typicalSeconds ?? 60;
}

/** When each of the C slots is next free (ms since epoch), ascending. */
export function slotFreeTimes(snapshot: QueueSnapshot, operationSeconds: number): number[] {
  const now = snapshot.now.getTime();
  const cap = Math.max(1, snapshot.maxInFlight);
  const ends = snapshot.running.map(({ startedAt: s }) => Math.max(now, s.getTime() + operationSeconds * 1000)).sort((a, b) => a - b);
  // Over the cap (it was lowered), the first ones to end free no slot.
  if (ends.length >= cap) return ends.slice(ends.length - cap);
  return [...Array<number>(cap - ends.length).fill(now), ...ends];
}

/** When the scene with `ahead` scenes before it in the queue starts (ms since epoch). */
export function startTime(free: number[], ahead: number, operationSeconds: number): number {
  const cap = free.length;
  return free[ahead % cap]! + Math.floor(ahead / cap) * operationSeconds * 1000;
}

export interface SimulatedStarts {
  /** When each waiting scene starts (ms since epoch), by its place in the order; Infinity: never, in the model. */
  startAt: number[];
  /** How many waiting scenes start before each one. */
  startsBefore: number[];
}

/**
 * Plays the claim forward over `snapshot.order`: whenever a slot is free, the first waiting scene
 * (in the order) whose provider has room starts; a provider has room under its own cap and once
 * its pause is over. Every operation lasts `operationSeconds`. Scenes of different providers
 * can thus start out of order, which is what the claim does.
 */
export function simulateStarts(snapshot: QueueSnapshot, operationSeconds: number): SimulatedStarts {
  const order = snapshot.order ?? [];
  const now = snapshot.now.getTime();
  const d = operationSeconds * 1000;
  const cap = Math.max(1, snapshot.maxInFlight);
  const caps = snapshot.providerCaps ?? {};
  const paused = snapshot.pausedUntil ?? {};
  const startAt = Array<number>(order.length).fill(Infinity);
  const startsBefore = Array<number>(order.length).fill(order.length);

  const ends = new MinHeap<string | null>();
  const inFlight = new Map<string | null, number>();
  for (const r of snapshot.running) {
    ends.push(Math.max(now, r.startedAt.getTime() + d), r.provider);
    inFlight.set(r.provider, (inFlight.get(r.provider) ?? 0) + 1);
  }
  // Each provider's waiting scenes keep the order among themselves: the claim's pick is always the
  // earliest head among the providers with room.
  const waiting = new Map<string | null, { places: number[]; next: number }>();
  order.forEach((provider, place) => {
    const line = waiting.get(provider) ?? { places: [], next: 0 };
    line.places.push(place);
    waiting.set(provider, line);
  });
  const hasRoom = (provider: string | null, t: number) =>
    provider === null || ((paused[provider] ?? -Infinity) <= t && (inFlight.get(provider) ?? 0) < (caps[provider] ?? Infinity));

  let t = now;
  let started = 0;
  while (started < order.length) {
    while (ends.size < cap) {
      let pick: { provider: string | null; place: number } | undefined;
      for (const [provider, line] of waiting) {
        const place = line.places[line.next];
        if (place !== undefined && (!pick || place < pick.place) && hasRoom(provider, t)) pick = { provider, place };
      }
      if (!pick) break;
      waiting.get(pick.provider)!.next++;
      startAt[pick.place] = t;
      startsBefore[pick.place] = started++;
      ends.push(t + d, pick.provider);
      inFlight.set(pick.provider, (inFlight.get(pick.provider) ?? 0) + 1);
    }
    // The next moment anything can change: an operation ends, or a pause that holds a waiting scene does.
    let next = ends.peek() ?? Infinity;
    for (const [provider, line] of waiting) {
      const until = provider === null ? undefined : paused[provider];
      if (line.next < line.places.length && until !== undefined && until > t) next = Math.min(next, until);
    }
    if (next === Infinity) break;
    t = Math.max(t, next);
    while ((ends.peek() ?? Infinity) <= t) {
      const provider = ends.pop()!;
      inFlight.set(provider, inFlight.get(provider)! - 1);
    }
  }
  return { startAt, startsBefore };
}

/** `slotKind`: whose median D times the slots; clips, the longest paid operations, by default. */
export function standingOf(snapshot: QueueSnapshot, tasks: JobTaskState[], slotKind: string = veoSceneKind.kind): Standing {
  const now = snapshot.now.getTime();
  const d = secondsOf(snapshot, slotKind);
  let startOf: (ahead: number) => number;
  let beforeOf: (ahead: number) => number;
  if (snapshot.order) {
    const simulated = simulateStarts(snapshot, d);
    startOf = (ahead) => simulated.startAt[ahead] ?? Infinity;
    beforeOf = (ahead) => simulated.startsBefore[ahead] ?? simulated.startAt.length;
  } else {
    const free = slotFreeTimes(snapshot, d);
    startOf = (ahead) => startTime(free, ahead, d);
    beforeOf = (ahead) => ahead;
  }
  const waiting = tasks.filter((t) => t.ahead !== null).map((t) => t.ahead!);
  const first = waiting.length > 0 ? waiting.reduce((a, b) => (startOf(b) < startOf(a) || (startOf(b) === startOf(a) && b < a) ? b : a)) : null;
  const firstStart = first === null ? null : startOf(first);
  const active = tasks.filter((t) => t.active);
  let end: number | null = null;
  if (active.length > 0) {
    end = now;
    for (const t of active.filter((x) => x.usesSlot)) {
      const own = secondsOf(snapshot, t.kind) * 1000;
      const at = t.ahead !== null ? startOf(t.ahead) + own : t.running && t.startedAt ? Math.max(now, t.startedAt.getTime() + own) : now + own;
      end = Math.max(end, at);
    }
    for (const t of active.filter((x) => !x.usesSlot)) end += secondsOf(snapshot, t.kind) * 1000;
  }
  const waitsForRoom = firstStart !== null && firstStart > now;
  return {
    queuePosition: first === null ? null : beforeOf(first),
    waitsForRoom,
    heldBy: waitsForRoom && first !== null ? holdOf(snapshot, snapshot.order?.[first] ?? null) : null,
    estimatedStartAt: firstStart === null || !Number.isFinite(firstStart) ? null : new Date(firstStart),
    estimatedCompletedAt: end === null || !Number.isFinite(end) ? null : new Date(end),
  };
}

/** What holds a waiting scene of `provider` now: its pause, its own full cap, else the shared slots. */
function holdOf(snapshot: QueueSnapshot, provider: string | null): Hold {
  if (provider === null) return { by: 'slots' };
  const until = snapshot.pausedUntil?.[provider];
  if (until !== undefined && until > snapshot.now.getTime()) return { by: 'provider_paused', provider, until: new Date(until) };
  const cap = snapshot.providerCaps?.[provider];
  const busy = snapshot.running.filter((r) => r.provider === provider).length;
  if (cap !== undefined && busy >= cap) return { by: 'provider_cap', provider };
  return { by: 'slots' };
}

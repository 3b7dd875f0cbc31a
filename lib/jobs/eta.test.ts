import { describe, expect, it } from 'vitest';
import { slotFreeTimes, standingOf, startTime, type JobTaskState, type QueueSnapshot } from './eta.js';

const NOW = new Date('2026-12-05T03:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const snap = (o: Partial<QueueSnapshot> = {}): QueueSnapshot => ({ now: NOW, maxInFlight: 2, medianSeconds: { veo_scene: 100, render: 20 }, runningStartedAt: [], ...o });
const waiting = (ahead: number): JobTaskState => ({ kind: 'veo_scene', running: false, startedAt: null, ahead, active: true, usesSlot: true });

describe('eta', () => {
  it('free slots are free now; a running operation frees its slot D after it started, never before now', () => {
    expect(slotFreeTimes(snap({ runningStartedAt: [at(-30)] }), 100)).toEqual([NOW.getTime(), at(70).getTime()]);
    expect(slotFreeTimes(snap({ runningStartedAt: [at(-500), at(-10)] }), 100)).toEqual([NOW.getTime(), at(90).getTime()]);
  });

  it('over a lowered cap, only the last operations to end free a slot', () => {
    expect(slotFreeTimes(snap({ maxInFlight: 1, runningStartedAt: [at(-10), at(-50)] }), 100)).toEqual([at(90).getTime()]);
  });

  it('the k-th waiting scene takes slot k mod C, one operation later per lap', () => {
    const free = [0, 40_000];
    expect([0, 1, 2, 3, 4].map((k) => startTime(free, k, 100))).toEqual([0, 40_000, 100_000, 140_000, 200_000]);
  });

  it('a job whose scenes wait: position, start and completion; it waits for room when the slots are taken', () => {
    const s = standingOf(snap({ runningStartedAt: [at(-50), at(-20)] }), [waiting(3), waiting(4), { kind: 'render', running: false, startedAt: null, ahead: null, active: true, usesSlot: false }]);
    // Slots free at +50 and +80; 3 ahead → slot 1, second lap: 80 + 100; the last (4 ahead) takes slot 0 on its third lap: 50 + 200, ends at 350, then the render takes 20.
    expect(s.queuePosition).toBe(3);
    expect(s.waitsForRoom).toBe(true);
    expect(s.estimatedStartAt).toEqual(at(180));
    expect(s.estimatedCompletedAt).toEqual(at(370));
  });

  it('a scene with a free slot does not wait for room and starts now', () => {
    const s = standingOf(snap(), [waiting(1)]);
    expect(s).toEqual({ queuePosition: 1, waitsForRoom: false, estimatedStartAt: NOW, estimatedCompletedAt: at(100) });
  });

  it('a running job has no queue position; it completes when its operation should end', () => {
    const s = standingOf(snap({ runningStartedAt: [at(-30)] }), [{ kind: 'veo_scene', running: true, startedAt: at(-30), ahead: null, active: true, usesSlot: true }]);
    expect(s).toEqual({ queuePosition: null, waitsForRoom: false, estimatedStartAt: null, estimatedCompletedAt: at(70) });
  });

  it('a finished job has no estimate; a kind without history uses its default', () => {
    expect(standingOf(snap(), [{ kind: 'veo_scene', running: false, startedAt: null, ahead: null, active: false, usesSlot: true }]).estimatedCompletedAt).toBeNull();
    expect(standingOf(snap({ medianSeconds: {} }), [waiting(0)]).estimatedCompletedAt).toEqual(at(60));
  });
});

import { describe, expect, it } from 'vitest';
import { simulateStarts, slotFreeTimes, standingOf, startTime, type JobTaskState, type QueueSnapshot } from './eta.js';

const NOW = new Date('2026-12-05T03:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const snap = (o: Partial<QueueSnapshot> = {}): QueueSnapshot => ({ now: NOW, maxInFlight: 2, medianSeconds: { veo_scene: 100, render: 20 }, running: [], ...o });
const ops = (...starts: Date[]) => starts.map((startedAt) => ({ startedAt, provider: 'veo' }));
const waiting = (ahead: number): JobTaskState => ({ kind: 'veo_scene', running: false, startedAt: null, ahead, active: true, usesSlot: true });

describe('eta', () => {
  it('free slots are free now; a running operation frees its slot D after it started, never before now', () => {
    expect(slotFreeTimes(snap({ running: ops(at(-30)) }), 100)).toEqual([NOW.getTime(), at(70).getTime()]);
    expect(slotFreeTimes(snap({ running: ops(at(-500), at(-10)) }), 100)).toEqual([NOW.getTime(), at(90).getTime()]);
  });

  it('over a lowered cap, only the last operations to end free a slot', () => {
    expect(slotFreeTimes(snap({ maxInFlight: 1, running: ops(at(-10), at(-50)) }), 100)).toEqual([at(90).getTime()]);
  });

  it('the k-th waiting scene takes slot k mod C, one operation later per lap', () => {
    const free = [0, 40_000];
    expect([0, 1, 2, 3, 4].map((k) => startTime(free, k, 100))).toEqual([0, 40_000, 100_000, 140_000, 200_000]);
  });

  it('a job whose scenes wait: position, start and completion; it waits for room when the slots are taken', () => {
    const s = standingOf(snap({ running: ops(at(-50), at(-20)) }), [waiting(3), waiting(4), { kind: 'render', running: false, startedAt: null, ahead: null, active: true, usesSlot: false }]);
    // Slots free at +50 and +80; 3 ahead → slot 1, second lap: 80 + 100; the last (4 ahead) takes slot 0 on its third lap: 50 + 200, ends at 350, then the render takes 20.
    expect(s.queuePosition).toBe(3);
    expect(s.waitsForRoom).toBe(true);
    expect(s.estimatedStartAt).toEqual(at(180));
    expect(s.estimatedCompletedAt).toEqual(at(370));
  });

  it('a scene with a free slot does not wait for room and starts now', () => {
    const s = standingOf(snap(), [waiting(1)]);
    expect(s).toEqual({ queuePosition: 1, waitsForRoom: false, heldBy: null, estimatedStartAt: NOW, estimatedCompletedAt: at(100) });
  });

  it('a running job has no queue position; it completes when its operation should end', () => {
    const s = standingOf(snap({ running: ops(at(-30)) }), [{ kind: 'veo_scene', running: true, startedAt: at(-30), ahead: null, active: true, usesSlot: true }]);
    expect(s).toEqual({ queuePosition: null, waitsForRoom: false, heldBy: null, estimatedStartAt: null, estimatedCompletedAt: at(70) });
  });

  it('a finished job has no estimate; a kind without history uses its default', () => {
    expect(standingOf(snap(), [{ kind: 'veo_scene', running: false, startedAt: null, ahead: null, active: false, usesSlot: true }]).estimatedCompletedAt).toBeNull();
    expect(standingOf(snap({ medianSeconds: {} }), [waiting(0)]).estimatedCompletedAt).toEqual(at(60));
  });

  it('with no cap binding, playing the claim forward gives what the rank formula gives', () => {
    for (const running of [[], [at(-30)], [at(-90), at(-10)], [at(-10), at(-50), at(-70)]]) {
      const snapshot = snap({ maxInFlight: 2, running: ops(...running), order: Array(9).fill('veo'), providerCaps: { luma: 1 } });
      const simulated = simulateStarts(snapshot, 100);
      const free = slotFreeTimes(snapshot, 100);
      expect(simulated.startAt).toEqual([...Array(9).keys()].map((k) => startTime(free, k, 100)));
      expect(simulated.startsBefore).toEqual([...Array(9).keys()]);
    }
  });

  it("a provider at its own cap is passed over: the scenes behind it start first, and it starts when one of its own ends", () => {
    // Three slots, Luma capped at 1 and running one (ends at +80). Order: luma, veo, veo, luma.
    const snapshot = snap({ maxInFlight: 3, running: [{ startedAt: at(-20), provider: 'luma' }], providerCaps: { luma: 1 }, order: ['luma', 'veo', 'veo', 'luma'] });
    const simulated = simulateStarts(snapshot, 100);
    // Both Veo scenes take the two free slots now; the first Luma scene waits for Luma's own slot
    // (+80); the second waits for that one to end (+180), though the Veo slots free at +100.
    expect(simulated.startAt).toEqual([at(80), NOW, NOW, at(180)].map((d) => d.getTime()));
    expect(simulated.startsBefore).toEqual([2, 0, 1, 3]);

    const luma = standingOf(snapshot, [{ ...waiting(0) }]);
    expect(luma).toMatchObject({ queuePosition: 2, waitsForRoom: true, heldBy: { by: 'provider_cap', provider: 'luma' }, estimatedStartAt: at(80), estimatedCompletedAt: at(180) });
    // By rank the Veo scene has one ahead; it starts now.
    const veo = standingOf(snapshot, [waiting(1)]);
    expect(veo).toMatchObject({ queuePosition: 0, waitsForRoom: false, heldBy: null, estimatedStartAt: NOW });
  });

  it('a paused provider starts nothing before its pause ends; the others take the room meanwhile', () => {
    const snapshot = snap({ maxInFlight: 2, pausedUntil: { luma: at(50).getTime() }, order: ['luma', 'luma', 'veo'] });
    const simulated = simulateStarts(snapshot, 100);
    // Veo starts now in one slot; at +50 the first Luma scene takes the other; the second waits for Veo's (+100).
    expect(simulated.startAt).toEqual([at(50), at(100), NOW].map((d) => d.getTime()));
    expect(standingOf(snapshot, [waiting(0), waiting(1)])).toMatchObject({
      queuePosition: 1,
      heldBy: { by: 'provider_paused', provider: 'luma', until: at(50) },
      estimatedStartAt: at(50),
      estimatedCompletedAt: at(200),
    });
  });

  it('a cap lowered below what its provider runs frees its first slot only when enough have ended', () => {
    const snapshot = snap({ maxInFlight: 4, running: [{ startedAt: at(-90), provider: 'luma' }, { startedAt: at(-60), provider: 'luma' }], providerCaps: { luma: 1 }, order: ['luma'] });
    expect(simulateStarts(snapshot, 100).startAt).toEqual([at(40).getTime()]);
  });
});

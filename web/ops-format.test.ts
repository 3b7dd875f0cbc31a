import { describe, expect, it } from 'vitest';
import { duration, foldIdleTicks, kindLabel, pausedProviderText, rankedReasons, reasonLabel, slotsUsed, stopLabel } from './ops-format.js';
import type { TickLike } from './ops-format.js';

describe('operator view wording', () => {
  it('names known kinds, stop reasons and codes, and shows unknown ones as they are', () => {
    expect(kindLabel('veo_scene')).toBe('Video scenes');
    expect(kindLabel('luma_scene')).toBe('luma_scene');
    expect(stopLabel('budget')).toBe('Ran out of time');
    expect(stopLabel('crashed')).toBe('crashed');
    expect(reasonLabel('safety_filtered')).toBe('Blocked by the safety filter');
    expect(reasonLabel('brand_new_code')).toBe('brand_new_code');
  });

  it('gives each duration the precision it deserves', () => {
    expect(duration(null)).toBe('—');
    expect(duration(Number.NaN)).toBe('—');
    expect(duration(0.25)).toBe('250 ms');
    expect(duration(4.26)).toBe('4.3 s');
    expect(duration(42.6)).toBe('43 s');
    expect(duration(125)).toBe('2 min 5 s');
    expect(duration(3 * 3600 + 7 * 60 + 30)).toBe('3 h 7 min');
  });

  it('counts the slots in use, capped at full, and a zero cap as full once anything runs', () => {
    expect(slotsUsed(3, 12)).toBe(0.25);
    expect(slotsUsed(14, 12)).toBe(1);
    expect(slotsUsed(0, 0)).toBe(0);
    expect(slotsUsed(1, 0)).toBe(1);
  });

  it('ranks failure reasons by count, ties by name, and drops zeros', () => {
    expect(rankedReasons({ timed_out: 2, safety_filtered: 5, provider_error: 2, internal: 0 })).toEqual([
      { code: 'safety_filtered', count: 5 },
      { code: 'provider_error', count: 2 },
      { code: 'timed_out', count: 2 },
    ]);
  });
});

describe('foldIdleTicks', () => {
  const tick = (id: string, work: Partial<{ polled: number; stoppedBecause: TickLike['stoppedBecause'] }> = {}): TickLike => ({
    tickId: id, startedAt: `2026-12-05T12:00:0${id}Z`, durationMs: 10, stoppedBecause: work.stoppedBecause ?? 'idle',
    created: 0, polled: work.polled ?? 0, completed: 0, failed: 0, uploaded: 0, retried: 0, expired: 0, released: 0, lost: 0,
  });

  it('folds runs of ticks that did nothing, keeps working ones and a lone idle one as they are', () => {
    const rows = foldIdleTicks([tick('9'), tick('8'), tick('7'), tick('6', { polled: 2 }), tick('5'), tick('4', { stoppedBecause: 'budget' }), tick('3'), tick('2')]);
    expect(rows.map((r) => (r.kind === 'idle' ? `idle×${r.count} ${r.newest.tickId}-${r.oldest.tickId}` : r.tick.tickId))).toEqual(['idle×3 9-7', '6', '5', '4', 'idle×2 3-2']);
  });

  it('leaves an empty list empty', () => {
    expect(foldIdleTicks([])).toEqual([]);
  });
});

describe('a paused provider, in words', () => {
  it('names the provider, the time it resumes and the reason, and says the scenes wait', () => {
    const text = pausedProviderText(
      { provider: 'luma', pausedUntil: '2026-12-05T15:40:00.000Z', reason: 'Luma start refused: the Luma account has no credits left (Insufficient credits)' },
      new Date('2026-12-05T15:27:30Z'),
    );
    expect(text).toBe(
      'New Luma Dream Machine starts are paused until 15:40 UTC (13 min): Luma start refused: the Luma account has no credits left (Insufficient credits). Its scenes wait without using an attempt, other providers go on, and the first start after the pause tries again.',
    );
  });
});

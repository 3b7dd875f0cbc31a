import { describe, expect, it } from 'vitest';
import { readLumaReason } from './luma-failures.js';

describe('readLumaReason', () => {
  it("reads each of the moderation reasons Luma's reference lists as a refusal, saying what was refused", () => {
    expect(readLumaReason('Contains blacklisted words')).toEqual({
      kind: 'refused',
      code: 'safety_filtered',
      message: `Luma's moderation refused the video: the scene's prompt contains words Luma does not accept (Luma said: "Contains blacklisted words")`,
      restartable: false,
    });
    expect(readLumaReason('Advanced prompt moderation failed')).toMatchObject({ code: 'safety_filtered', message: expect.stringContaining("judged the scene's prompt unsuitable") });
    expect(readLumaReason('Frame moderation failed')).toMatchObject({ code: 'safety_filtered', message: expect.stringContaining("judged the scene's keyframe image unsuitable") });
  });

  it('reads other wording plainly about moderation as a refusal too, with Luma\'s words', () => {
    const reading = readLumaReason('Prompt not allowed: violates our content policy');
    expect(reading).toMatchObject({ kind: 'refused', code: 'safety_filtered', restartable: false });
    expect(reading.message).toMatch(/^Luma's moderation refused the video: .*\(Luma said: "Prompt not allowed: violates our content policy"\)$/);
  });

  it('reads a keyframe Luma could not fetch or check as unreadable, not a refusal, whatever "moderate" it says', () => {
    for (const reason of ['Failed to read user input frames', 'failed to moderate image', '400: failed to moderate image']) {
      const reading = readLumaReason(reason);
      expect(reading).toMatchObject({ kind: 'unreadable', code: 'provider_rejected', restartable: true });
      expect(reading.message).toMatch(/keyframe image/);
      expect(reading.message).toContain('this is not a content refusal');
      expect(reading.message).toContain(`(Luma said: "${reason}")`);
    }
  });

  it("reads Luma's prompt and job failures as provider errors on Luma's side", () => {
    for (const reason of ['Prompt processing failed', 'Error dispatching job', 'Job failed', 'Error processing callback']) {
      const reading = readLumaReason(reason);
      expect(reading).toMatchObject({ kind: 'failed', code: 'provider_error', restartable: true });
      expect(reading.message).toMatch(/^Luma could not make the video: .*on Luma's side; a retry may work \(Luma said: "/);
    }
  });

  it('keeps an unknown reason in plain words, and says when Luma gave none', () => {
    // A reason Luma's reference does not list is not restarted: nothing says a new generation would help.
    expect(readLumaReason('  Something new  ')).toEqual({ kind: 'failed', code: 'provider_error', message: 'Luma could not make the video: Something new', restartable: false });
    expect(readLumaReason(null)).toEqual({ kind: 'failed', code: 'provider_error', message: 'Luma could not make the video (Luma gave no reason)', restartable: false });
    expect(readLumaReason('   ').message).toBe('Luma could not make the video (Luma gave no reason)');
  });
});
